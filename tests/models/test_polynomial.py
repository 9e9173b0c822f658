"""The polynomial model and its two fits, checked against the book (PRML Table 1.1, Figure 1.5),
against each other, against PyTorch and against finite differences."""
import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.data.datasets import sinusoid
from chainrule.models import Polynomial, polynomial_features, rms_error, sum_of_squares_error

# PRML Table 1.1 (p. 8), the printed coefficients for M = 0, 1, 3, 9 (the third column is headed
# "M = 6" in print, an erratum for M = 3), fitted to the book's ten points.
BOOK_X = np.arange(10) / 9
BOOK_T = np.array([0.349486, 0.830839, 1.007332, 0.971507, 0.133066, 0.166823, -0.848307,
                   -0.445686, -0.563567, 0.261502])
TABLE_1_1 = {
    0: [0.19],
    1: [0.82, -1.27],
    3: [0.31, 7.99, -25.43, 17.37],
    9: [0.35, 232.37, -5321.83, 48568.31, -231639.30, 640042.26, -1061800.52, 1042400.18,
        -557682.99, 125201.43],
}


@pytest.mark.parametrize("degree", sorted(TABLE_1_1))
def test_closed_form_reproduces_table_1_1(degree):
    w = Polynomial(degree, dtype=cr.float64).fit_closed_form(BOOK_X, BOOK_T).weight.detach().numpy()
    # to the printed two decimals, where w has no more than 7 significant digits; beyond that,
    # the book's t (rounded to six decimals) limits the agreement to ~1e-6 relative
    np.testing.assert_allclose(w, TABLE_1_1[degree], atol=0.006, rtol=2e-7)


def test_features_are_powers_and_differentiable():
    x = cr.tensor([0.5, 2.0], dtype=cr.float64, requires_grad=True)
    phi = polynomial_features(x, 3)
    np.testing.assert_array_equal(phi.detach().numpy(), [[1, 0.5, 0.25, 0.125], [1, 2, 4, 8]])
    assert cr.autograd.gradcheck(lambda x: polynomial_features(x, 4), (x,))
    assert cr.autograd.gradgradcheck(lambda x: polynomial_features(x, 4), (x,))


def test_forward_and_gradient_agree_with_torch():
    data = sinusoid(10, seed=0)
    model = Polynomial(3, dtype=cr.float64)
    model.weight.data = cr.tensor([0.3, -1.0, 2.0, 0.5], dtype=cr.float64)
    loss = sum_of_squares_error(model(cr.tensor(data.x)), cr.tensor(data.t))
    loss.backward()
    w = torch.tensor([0.3, -1.0, 2.0, 0.5], dtype=torch.float64, requires_grad=True)
    x = torch.tensor(data.x)
    expected = 0.5 * ((torch.stack([x**j for j in range(4)], -1) @ w - torch.tensor(data.t))**2).sum()
    expected.backward()
    assert loss.item() == pytest.approx(expected.item(), rel=1e-12)
    np.testing.assert_allclose(model.weight.grad.numpy(), w.grad.numpy(), rtol=1e-12)


# 20,000 Adam steps each; λ = 0 runs under `make test-slow` only: the λ = 1e-3 case runs the same
# loop with the penalty's gradient added.
@pytest.mark.parametrize("lam", [pytest.param(0.0, marks=pytest.mark.slow), 1e-3])
def test_gradient_training_reaches_the_closed_form_at_degree_3(lam):
    data = sinusoid(10, seed=0)
    closed = Polynomial(3, dtype=cr.float64).fit_closed_form(data.x, data.t, lam)
    trained = Polynomial(3, dtype=cr.float64)
    losses = trained.fit_by_gradient(data.x, data.t, lam)
    np.testing.assert_allclose(trained.weight.detach().numpy(), closed.weight.detach().numpy(), atol=1e-4)
    assert losses[-1] <= losses[0]


def test_gradient_training_takes_any_optimizer():
    data = sinusoid(10, seed=0)
    closed = Polynomial(1, dtype=cr.float64).fit_closed_form(data.x, data.t)
    trained = Polynomial(1, dtype=cr.float64)
    trained.fit_by_gradient(data.x, data.t, optimizer=cr.optim.SGD(trained.parameters(), lr=0.05,
                                                                   momentum=0.9), steps=2000)
    np.testing.assert_allclose(trained.weight.detach().numpy(), closed.weight.detach().numpy(), atol=1e-6)


def test_training_error_falls_with_degree_to_zero_at_nine():
    data = sinusoid(10, seed=0)
    rms = [rms_error(Polynomial(m, dtype=cr.float64).fit_closed_form(data.x, data.t)
                     (cr.tensor(data.x)), data.t) for m in range(10)]
    assert all(later <= earlier + 1e-12 for earlier, later in zip(rms, rms[1:]))
    assert rms[9] < 1e-6 < rms[8]   # ten coefficients interpolate ten points (Figure 1.5)


def test_regularisation_shrinks_the_weights_monotonically():
    data = sinusoid(10, seed=0)
    norms = [np.linalg.norm(Polynomial(9, dtype=cr.float64)
                            .fit_closed_form(data.x, data.t, np.exp(ln)).weight.detach().numpy())
             for ln in [-np.inf, -30, -18, -10, -5, 0, 5]]
    assert all(later < earlier for earlier, later in zip(norms, norms[1:]))
    assert norms[0] > 1e4 and norms[-1] < 0.1   # Table 1.2: from ~10^5 down to nothing


def test_rms_error_is_root_of_twice_the_error_per_point():
    y, t = cr.tensor([1.0, 2.0, 4.0], dtype=cr.float64), cr.tensor([0.0, 2.0, 2.0], dtype=cr.float64)
    assert rms_error(y, t) == pytest.approx((2 * sum_of_squares_error(y, t).item() / 3) ** 0.5)
    with pytest.raises(ValueError, match=r"rms_error: predictions of shape \(3,\) and targets of "
                                         r"shape \(2,\)"):
        rms_error(y, t[:2])


@pytest.mark.parametrize("degree", [-1, 2.0, True, "3"])
def test_a_bad_degree_is_named(degree):
    with pytest.raises(ValueError, match="Polynomial: degree must be an int >= 0"):
        Polynomial(degree)


def test_module_shape_and_state_dict():
    model = Polynomial(2)
    assert model(cr.zeros(4, 5)).shape == (4, 5)
    assert list(model.state_dict()) == ["weight"] and repr(model) == "Polynomial(degree=2)"
