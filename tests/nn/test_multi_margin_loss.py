"""MultiMarginLoss and MultiLabelMarginLoss against torch: losses and gradients for every
reduction, p, margin and class weights, unbatched inputs, repeated and absent labels, gradcheck,
reprs and the errors for bad targets."""
import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.nn.functional as F
from chainrule.autograd import gradcheck, gradgradcheck

X = np.random.default_rng(0).standard_normal((4, 5))
LABELS = np.array([0, 3, 4, 3])
# rows: listed in any order; none (-1 first); a repeated label; stops at the first -1
MULTILABELS = np.array([[3, 0, -1, 1, 2], [1, 2, 3, 4, 0], [-1, 1, 1, 1, 1], [2, 2, -1, 0, 0]])


def _compare(ours, theirs, x, *rest):
    xs = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, expected = ours(xs[0], *(cr.tensor(r) for r in rest)), \
        theirs(xs[1], *(torch.tensor(r) for r in rest))
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-12)
    out.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(xs[0].grad.numpy(), xs[1].grad.numpy(), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("p, margin, weighted", [(1, 1.0, False), (2, 0.7, True), (1, 2.0, True)])
def test_multi_margin_loss_matches_torch(reduction, p, margin, weighted):
    weight = np.linspace(0.5, 2.0, 5) if weighted else None
    ours = cr.nn.MultiMarginLoss(p, margin, None if weight is None else cr.tensor(weight),
                                 reduction=reduction)
    theirs = torch.nn.MultiMarginLoss(p, margin, None if weight is None else torch.tensor(weight),
                                      reduction=reduction)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    _compare(ours, theirs, X, LABELS)
    _compare(ours, theirs, X[1], LABELS[1])                                      # unbatched


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_multilabel_margin_loss_matches_torch(reduction):
    ours = cr.nn.MultiLabelMarginLoss(reduction=reduction)
    theirs = torch.nn.MultiLabelMarginLoss(reduction=reduction)
    assert repr(ours) == repr(theirs)
    _compare(ours, theirs, X, MULTILABELS)
    _compare(ours, theirs, X[0], MULTILABELS[0])


def test_gradcheck():
    x = cr.tensor(X + 0.01, requires_grad=True)
    weight = cr.tensor(np.linspace(0.5, 2.0, 5), requires_grad=True)
    assert gradgradcheck(lambda x, w: F.multi_margin_loss(x, cr.tensor(LABELS), p=2, weight=w),
                         (x, weight))
    assert gradcheck(lambda x: F.multilabel_margin_loss(x, cr.tensor(MULTILABELS)), (x,))


def test_bad_targets_are_refused():
    with pytest.raises(IndexError, match="multi_margin_loss: target 5 is out of bounds for 5"):
        F.multi_margin_loss(cr.tensor(X), cr.tensor([0, 1, 2, 5]))
    with pytest.raises(RuntimeError, match=r"multi_margin_loss: expected an integer target of "
                                           r"shape \(4,\)"):
        F.multi_margin_loss(cr.tensor(X), cr.tensor([0, 1]))
    with pytest.raises(ValueError, match="only p == 1 and p == 2"):
        F.multi_margin_loss(cr.tensor(X), cr.tensor(LABELS), p=3)
    with pytest.raises(RuntimeError, match=r"multi_margin_loss: expected weight of shape \(5,\)"):
        F.multi_margin_loss(cr.tensor(X), cr.tensor(LABELS), weight=cr.ones(4))
    with pytest.raises(RuntimeError, match=r"multilabel_margin_loss: .*target of its shape"):
        F.multilabel_margin_loss(cr.tensor(X), cr.tensor(LABELS))
    with pytest.raises(IndexError, match=r"multilabel_margin_loss: target values must be in"):
        F.multilabel_margin_loss(cr.tensor(X), cr.tensor(MULTILABELS + 1))
