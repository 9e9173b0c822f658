"""Embedding against torch: lookups and gradients with copied weights (repeated indices add up,
the padding row gets none), init, max_norm, from_pretrained, reprs and bad indices."""
import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.nn.functional as F
from chainrule.autograd import gradcheck, gradgradcheck
from tests.nn.test_module import NN, assert_matches_torch


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


def test_from_pretrained():
    table = cr.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    frozen = NN.Embedding.from_pretrained(table)
    assert not frozen.weight.requires_grad and frozen(cr.tensor([2])).tolist() == [[5.0, 6.0]]
    trainable = NN.Embedding.from_pretrained(table, freeze=False, padding_idx=0)
    theirs = torch.nn.Embedding.from_pretrained(torch.tensor(table.numpy()), freeze=False,
                                                padding_idx=0)
    assert trainable.weight.requires_grad and repr(trainable) == repr(theirs)
    with pytest.raises(ValueError, match="2-D"):
        NN.Embedding.from_pretrained(cr.ones(3))


@pytest.mark.parametrize("kwargs", [dict(), dict(padding_idx=3), dict(max_norm=2.0),
                                    dict(norm_type=1.0), dict(sparse=True),
                                    dict(scale_grad_by_freq=True)])
def test_repr_matches_torch(kwargs):
    assert repr(NN.Embedding(7, 4, **kwargs)) == repr(torch.nn.Embedding(7, 4, **kwargs))


BAG_INPUT, BAG_OFFSETS = np.array([1, 2, 3, 5, 6, 2, 0, 4]), np.array([0, 2, 2, 5])


@pytest.mark.parametrize("kwargs, inputs", [
    (dict(mode="mean"), [np.array([[1, 2, 3], [4, 4, 0]])]),
    (dict(mode="sum"), [BAG_INPUT, BAG_OFFSETS]),
    (dict(mode="mean"), [BAG_INPUT, BAG_OFFSETS]),           # an empty bag gives zeros
    (dict(mode="max"), [BAG_INPUT, BAG_OFFSETS]),
    (dict(mode="max", padding_idx=2), [np.array([[1, 2, 3], [2, 2, 2], [4, 0, 4]])]),
    (dict(mode="mean", padding_idx=2), [BAG_INPUT, BAG_OFFSETS]),
    (dict(mode="sum"), [BAG_INPUT, BAG_OFFSETS, np.linspace(-1, 2, 8)]),   # per_sample_weights
])
def test_embedding_bag_matches_torch(kwargs, inputs):
    torch.manual_seed(0)
    ours, theirs = NN.EmbeddingBag(7, 3, **kwargs), torch.nn.EmbeddingBag(7, 3, **kwargs)
    assert repr(ours) == repr(theirs)
    assert_matches_torch(ours, theirs, inputs)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_include_last_offset_matches_torch(mode):
    # the last offset is the input's length, as torch's docs intend (with a shorter one torch's
    # kernels disagree with each other: float64 sums past it, mean divides by the rest)
    weight = np.random.default_rng(0).standard_normal((7, 3))
    offsets = np.append(BAG_OFFSETS, len(BAG_INPUT))
    out = F.embedding_bag(cr.tensor(BAG_INPUT), cr.tensor(weight), cr.tensor(offsets),
                          mode=mode, include_last_offset=True)
    expected = torch.nn.functional.embedding_bag(
        torch.tensor(BAG_INPUT), torch.tensor(weight), torch.tensor(offsets), mode=mode,
        include_last_offset=True)
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-12)


def test_embedding_bag_gradcheck_and_errors():
    weight = cr.tensor(np.random.default_rng(1).standard_normal((7, 3)), requires_grad=True)
    weights = cr.tensor(np.linspace(0.5, 1.5, 8), requires_grad=True)
    assert gradgradcheck(lambda w, s: F.embedding_bag(cr.tensor(BAG_INPUT), w,
                                                      cr.tensor(BAG_OFFSETS), mode="sum",
                                                      per_sample_weights=s) ** 2,
                         (weight, weights))
    with pytest.raises(RuntimeError, match="offsets\\[0\\] has to be 0.*got 1"):
        F.embedding_bag(cr.tensor([1, 2]), weight, cr.tensor([1]))
    with pytest.raises(ValueError, match="if input is 2D, then offsets has to be None"):
        F.embedding_bag(cr.tensor([[1, 2]]), weight, cr.tensor([0]))
    with pytest.raises(ValueError, match="offsets has to be a 1D Tensor"):
        F.embedding_bag(cr.tensor([1, 2]), weight)
    with pytest.raises(NotImplementedError, match="only supported for mode='sum'"):
        F.embedding_bag(cr.tensor([1, 2]), weight, cr.tensor([0]), per_sample_weights=weights)
    with pytest.raises(ValueError, match="mode has to be one of"):
        F.embedding_bag(cr.tensor([1, 2]), weight, cr.tensor([0]), mode="median")


def test_embedding_bag_from_pretrained_and_max_norm_as_torch():
    table = np.random.default_rng(6).standard_normal((7, 3)) * 2
    ours = NN.EmbeddingBag.from_pretrained(cr.tensor(table), mode="sum", max_norm=1.0)
    theirs = torch.nn.EmbeddingBag.from_pretrained(torch.tensor(table), mode="sum", max_norm=1.0)
    assert repr(ours) == repr(theirs) and not ours.weight.requires_grad
    out = ours(cr.tensor(BAG_INPUT), cr.tensor(BAG_OFFSETS))
    expected = theirs(torch.tensor(BAG_INPUT), torch.tensor(BAG_OFFSETS))
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-12)
    # the rows looked up were renormalised in place, as torch does
    np.testing.assert_allclose(ours.weight.detach().numpy(), theirs.weight.detach().numpy(),
                               rtol=1e-12)
