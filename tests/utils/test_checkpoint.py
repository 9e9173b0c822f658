"""utils.checkpoint: the function's results and gradients are torch's; only memory differs."""
import numpy as np
import pytest
import torch
import torch.utils.checkpoint

import chainrule as cr
import chainrule.utils.checkpoint


def _block(L, x, w, scale=1.0):
    return (L.tanh(x @ w) * scale).sum(dim=1)


@pytest.mark.parametrize("use_reentrant", [True, False])
def test_checkpoint_gives_torchs_values_and_gradients(use_reentrant):
    x = np.linspace(-1, 1, 12).reshape(3, 4)
    w = np.linspace(0.5, -0.5, 8).reshape(4, 2)
    results = {}
    for L, checkpoint in ((torch, torch.utils.checkpoint.checkpoint),
                          (cr, cr.utils.checkpoint.checkpoint)):
        xs, ws = L.tensor(x, requires_grad=True), L.tensor(w, requires_grad=True)
        kwargs = {} if use_reentrant else {"scale": 2.0}
        out = checkpoint(lambda a, b, **k: _block(L, a, b, **k), xs, ws,
                         use_reentrant=use_reentrant, preserve_rng_state=False, **kwargs)
        out.sum().backward()
        results[L] = [out.detach().numpy(), xs.grad.numpy(), ws.grad.numpy()]
    for mine, theirs in zip(results[cr], results[torch]):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12)


def test_checkpoint_sequential_gives_torchs_result():
    torch_model = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.ReLU(),
                                      torch.nn.Linear(5, 2))
    ours = cr.nn.Sequential(cr.nn.Linear(3, 5), cr.nn.ReLU(), cr.nn.Linear(5, 2))
    ours.load_state_dict({k: cr.tensor(v.detach().numpy()) for k, v in
                          torch_model.state_dict().items()})
    x = np.ones((4, 3), dtype=np.float32)
    theirs = torch.utils.checkpoint.checkpoint_sequential(torch_model, 2, torch.tensor(x),
                                                          use_reentrant=False)
    mine = cr.utils.checkpoint.checkpoint_sequential(ours, 2, cr.tensor(x), use_reentrant=False)
    np.testing.assert_allclose(mine.detach().numpy(), theirs.detach().numpy(), rtol=1e-6)
    mine = cr.utils.checkpoint.checkpoint_sequential(list(ours.children()), 1, cr.tensor(x))
    np.testing.assert_allclose(mine.detach().numpy(), theirs.detach().numpy(), rtol=1e-6)


def test_checkpoint_enters_context_fns_forward_context():
    entered = []

    class Context:
        def __enter__(self):
            entered.append(True)

        def __exit__(self, *exc):
            return False

    out = cr.utils.checkpoint.checkpoint(lambda a: a * 2, cr.ones(2), use_reentrant=False,
                                         context_fn=lambda: (Context(), Context()))
    assert out.tolist() == [2.0, 2.0] and entered == [True]


@pytest.mark.parametrize("call, error, message", [
    (lambda: cr.utils.checkpoint.checkpoint(3, cr.ones(1)), TypeError,
     "function must be callable, got int"),
    (lambda: cr.utils.checkpoint.checkpoint_sequential([], 0, cr.ones(1)), ValueError,
     "segments must be a positive int, got 0"),
    (lambda: cr.utils.checkpoint.checkpoint_sequential([], 1, cr.ones(1), foo=1), ValueError,
     "unexpected keyword arguments: foo"),
])
def test_bad_calls_are_refused(call, error, message):
    with pytest.raises(error, match=message):
        call()
