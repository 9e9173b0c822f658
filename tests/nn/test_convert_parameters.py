"""nn.utils.parameters_to_vector / vector_to_parameters, against torch."""
import numpy as np
import pytest
import torch

import chainrule as cr


def _pair():
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    ours = cr.nn.Sequential(cr.nn.Linear(3, 4), cr.nn.Tanh(), cr.nn.Linear(4, 2))
    ours.load_state_dict({k: cr.tensor(v.detach().numpy()) for k, v in
                          theirs.state_dict().items()})
    return ours, theirs


def test_parameters_to_vector_matches_torch_and_is_differentiable():
    ours, theirs = _pair()
    mine = cr.nn.utils.parameters_to_vector(ours.parameters())
    expected = torch.nn.utils.parameters_to_vector(theirs.parameters())
    np.testing.assert_array_equal(mine.detach().numpy(), expected.detach().numpy())
    (mine ** 2).sum().backward()
    (expected ** 2).sum().backward()
    for p, q in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-6)


def test_vector_to_parameters_matches_torch_and_shares_the_vector():
    ours, theirs = _pair()
    vector = np.linspace(-1, 1, 26, dtype=np.float32)
    mine = cr.tensor(vector)
    cr.nn.utils.vector_to_parameters(mine, ours.parameters())
    torch.nn.utils.vector_to_parameters(torch.tensor(vector), theirs.parameters())
    for p, q in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())
    x = np.ones((5, 3), dtype=np.float32)
    np.testing.assert_allclose(ours(cr.tensor(x)).detach().numpy(),
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-6)
    mine.array[0] = 5.0   # the parameters are views of the vector, as in torch
    assert next(ours.parameters()).detach().numpy()[0, 0] == 5.0


@pytest.mark.parametrize("call, error, message", [
    (lambda m: cr.nn.utils.vector_to_parameters([0.0] * 26, m.parameters()), TypeError,
     "expected a Tensor for vec, but got: list"),
    (lambda m: cr.nn.utils.vector_to_parameters(cr.zeros(25), m.parameters()), RuntimeError,
     "vec has 25 elements but the 4 parameters hold 26"),
    (lambda m: cr.nn.utils.vector_to_parameters(cr.zeros(2, 13), m.parameters()),
     RuntimeError, "vec must be 1-d"),
    (lambda m: cr.nn.utils.parameters_to_vector([]), RuntimeError, "at least one parameter"),
    (lambda m: cr.nn.utils.parameters_to_vector([cr.ones(2), 3.0]), TypeError,
     "parameter 1 is a float, not a Tensor"),
], ids=["list", "short", "2d", "empty", "float"])
def test_bad_vectors_and_parameters_are_refused_by_name(call, error, message):
    with pytest.raises(error, match=message):
        call(_pair()[0])
