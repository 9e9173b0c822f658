"""Embedding against torch: lookups and gradients with copied weights (repeated indices add up,
the padding row gets none), init, max_norm, from_pretrained, reprs and bad indices."""
import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.nn.functional as F
from chainrule.autograd import gradcheck, gradgradcheck
from tests.nn.helpers import NN, assert_matches_torch


def indices(shape, high, seed=0):
    return np.random.default_rng(seed).integers(0, high, shape)


@pytest.mark.parametrize("kwargs, index", [
    (dict(), indices((2, 5), 10)),
    (dict(), np.array([3, 3, 3, 1])),                      # repeated: gradients add up
    (dict(), np.array(4)),                                  # a 0-d index: one row
    (dict(padding_idx=0), np.array([[0, 1, 0], [2, 0, 9]])),
    (dict(padding_idx=-1), np.array([9, 9, 2, 3])),
    (dict(max_norm=1.0), indices((3, 4), 10, seed=1)),
    (dict(max_norm=0.5, norm_type=1.0), indices((6,), 10, seed=2)),
])
def test_embedding_matches_torch(kwargs, index):
    ours, theirs = NN.Embedding(10, 3, **kwargs), torch.nn.Embedding(10, 3, **kwargs)
    assert repr(ours) == repr(theirs)
    assert_matches_torch(ours, theirs, [index])
    # max_norm renormalises rows in place: the tables must agree afterwards too
    np.testing.assert_allclose(ours.weight.detach().numpy(), theirs.weight.detach().numpy(),
                               rtol=1e-5)


def test_int32_indices_work():
    layer = NN.Embedding(5, 2)
    np.testing.assert_array_equal(layer(cr.tensor([4, 0], dtype=cr.int32)).detach().numpy(),
                                  layer.weight.detach().numpy()[[4, 0]])


def test_repeated_indices_accumulate_gradient():
    layer = NN.Embedding(4, 2)
    layer(cr.tensor([1, 1, 1, 3])).sum().backward()
    np.testing.assert_array_equal(layer.weight.grad.numpy(), [[0, 0], [3, 3], [0, 0], [1, 1]])


def test_the_padding_row_starts_at_zero_and_never_gets_a_gradient():
    layer = NN.Embedding(6, 3, padding_idx=2)
    assert not np.any(layer.weight.detach().numpy()[2])
    with cr.no_grad():
        layer.weight[2] = 1.5         # even a non-zero padding row is looked up as it is ...
    out = layer(cr.tensor([2, 0, 2]))
    np.testing.assert_array_equal(out.detach().numpy()[0], [1.5, 1.5, 1.5])
    out.sum().backward()              # ... and passes no gradient back
    assert not np.any(layer.weight.grad.numpy()[2]) and np.all(layer.weight.grad.numpy()[0] == 1)


def test_init_is_standard_normal():
    cr.manual_seed(0)
    w = NN.Embedding(1000, 200).weight.detach().numpy()
    assert abs(w.mean()) < 5 / np.sqrt(w.size) and w.std() == pytest.approx(1, rel=0.01)


def test_functional_embedding_gradcheck():
    # (with padding_idx the gradient deliberately differs from finite differences: tested above)
    weight = cr.tensor(np.random.default_rng(3).standard_normal((5, 2)), requires_grad=True)
    index = cr.tensor([[1, 4], [1, 0]])

    def fn(w):
        return F.embedding(index, w)

    assert gradcheck(fn, [weight]) and gradgradcheck(fn, [weight])


@pytest.mark.parametrize("bad", [[0, 10], [-1, 2], [[3], [12]]])
def test_out_of_range_indices_name_the_layer_and_its_size(bad):
    with pytest.raises(IndexError, match=r"Embedding\(10, 3\): index -?\d+ is out of range for "
                                         r"num_embeddings=10"):
        NN.Embedding(10, 3)(cr.tensor(bad))
    with pytest.raises(IndexError, match="embedding: .*num_embeddings=10"):
        F.embedding(cr.tensor(bad), cr.zeros(10, 3))


def test_other_bad_arguments():
    with pytest.raises(TypeError, match="integer"):
        NN.Embedding(10, 3)(cr.tensor([1.0, 2.0]))
    with pytest.raises(ValueError, match="padding_idx"):
        NN.Embedding(10, 3, padding_idx=10)
    with pytest.raises(NotImplementedError, match="scale_grad_by_freq"):
        NN.Embedding(10, 3, scale_grad_by_freq=True)(cr.tensor([1]))


@pytest.mark.parametrize("shape", [(5,), (5, 3, 2)])
def test_functional_embedding_refuses_a_table_that_is_not_2d(shape):
    with pytest.raises(RuntimeError, match="must be 2-D"):   # torch refuses it too
        torch.nn.functional.embedding(torch.tensor([1]), torch.ones(*shape))
    with pytest.raises(RuntimeError) as raised:
        F.embedding(cr.tensor([1]), cr.ones(*shape))
    assert str(raised.value) == ("embedding: weight must be a 2-D (num_embeddings, embedding_dim) "
                                 f"table, got shape {shape}")


def test_embedding_bag_per_sample_weights_of_another_dtype_are_named():
    def call(lib):
        lib.nn.functional.embedding_bag(lib.tensor([[1, 2]]), lib.ones(5, 3), mode="sum",
                                        per_sample_weights=lib.ones(1, 2, dtype=lib.float64))
    with pytest.raises(RuntimeError):   # torch refuses it too
        call(torch)
    with pytest.raises(RuntimeError, match=r"embedding_bag: per_sample_weights \(float64\) must "
                                           r"have the weight's dtype \(float32\)"):
        call(cr)
