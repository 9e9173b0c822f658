"""nn.utils.rnn against torch 2.13: padding, packing and unpacking give torch's values, batch
sizes, indices and lengths; gradients flow from every result back to the inputs as torch's do
(and pass gradcheck); bad lengths and shapes are refused, naming the argument."""
import numpy as np
import pytest
import torch
import torch.nn.utils.rnn as torch_rnn

import chainrule as cr
from chainrule import porting
from chainrule.autograd import gradcheck
from chainrule.nn.utils import rnn

LIBRARIES = ((cr, rnn), (torch, torch_rnn))


def arrays(*shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape) for shape in shapes]


def run_both(function, inputs):
    """function(library, rnn module, *leaf tensors) on both; its flat list of results and the
    gradients of a random weighting of the floating ones, as NumPy arrays, ours then torch's."""
    runs = []
    for library, module in LIBRARIES:
        leaves = [library.tensor(a, requires_grad=True) for a in inputs]
        results = function(library, module, *leaves)
        weights = [np.random.default_rng(i).standard_normal(tuple(r.shape))
                   for i, r in enumerate(results)]
        loss = sum((r * library.tensor(w)).sum() for r, w in zip(results, weights)
                   if r.is_floating_point())
        loss.backward()
        runs.append(([r.detach().numpy() for r in results], [t.grad.numpy() for t in leaves]))
    return runs


def assert_same(function, inputs):
    (ours, our_grads), (theirs, their_grads) = run_both(function, inputs)
    assert len(ours) == len(theirs)
    for index, (a, b) in enumerate(zip(ours + our_grads, theirs + their_grads)):
        assert a.shape == b.shape and a.dtype == b.dtype, f"result {index}: {a.shape} {a.dtype}" \
                                                          f" != {b.shape} {b.dtype}"
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12, err_msg=f"result {index}")


def packed_fields(packed):
    return [packed.data, packed.batch_sizes] + \
        [t for t in (packed.sorted_indices, packed.unsorted_indices) if t is not None]


# ----- pad_sequence -------------------------------------------------------------------------------
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("padding_side", ["right", "left"])
@pytest.mark.parametrize("trailing", [(), (2,), (2, 3)])
def test_pad_sequence_matches_torch(batch_first, padding_side, trailing):
    sequences = arrays((3, *trailing), (5, *trailing), (1, *trailing), (5, *trailing))
    assert_same(lambda lib, m, *s: [m.pad_sequence(list(s), batch_first, -1.5, padding_side)],
                sequences)


def test_pad_sequence_casts_to_the_first_dtype_and_takes_a_tensor():
    ours = rnn.pad_sequence([cr.ones(2, dtype=cr.int64), cr.ones(3)])
    theirs = torch_rnn.pad_sequence([torch.ones(2, dtype=torch.int64), torch.ones(3)])
    assert str(ours.dtype) == "int64" and theirs.dtype == torch.int64
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    np.testing.assert_array_equal(rnn.pad_sequence(cr.ones(2, 3)).numpy(),
                                  torch_rnn.pad_sequence(torch.ones(2, 3)).numpy())


# ----- pack_padded_sequence and pad_packed_sequence -----------------------------------------------
PACKINGS = [  # (lengths, enforce_sorted)
    ([4, 4, 2, 1], True), ([1, 3, 4, 2], False), ([2, 2, 2, 2], True), ([3, 1, 3, 1], False),
]


@pytest.mark.parametrize("lengths, enforce_sorted", PACKINGS)
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("as_tensor", [False, True])
def test_pack_padded_sequence_matches_torch(lengths, enforce_sorted, batch_first, as_tensor):
    shape = (4, 5, 3) if batch_first else (5, 4, 3)  # padded past the longest sequence

    def pack(lib, module, x):
        given = lib.tensor(lengths) if as_tensor else lengths
        return packed_fields(module.pack_padded_sequence(x, given, batch_first, enforce_sorted))
    assert_same(pack, arrays(shape))


@pytest.mark.parametrize("lengths, enforce_sorted", PACKINGS)
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("total_length", [None, 6])
def test_pad_packed_sequence_matches_torch(lengths, enforce_sorted, batch_first, total_length):
    def round_trip(lib, module, x):
        packed = module.pack_padded_sequence(x, lengths, batch_first, enforce_sorted)
        padded, result_lengths = module.pad_packed_sequence(packed, batch_first, 0.25,
                                                            total_length)
        return [padded, result_lengths]
    assert_same(round_trip, arrays((4, 4, 2)))


def test_pack_sequence_and_unpack_sequence_match_torch():
    def round_trip(lib, module, *sequences):
        packed = module.pack_sequence(list(sequences), enforce_sorted=False)
        return packed_fields(packed) + module.unpack_sequence(packed)
    assert_same(round_trip, arrays((2, 3), (4, 3), (1, 3)))


@pytest.mark.parametrize("batch_first", [False, True])
def test_unpad_sequence_matches_torch(batch_first):
    def unpad(lib, module, x):
        # torch's unpad_sequence transposes its input in place: hand it a copy
        return module.unpad_sequence(x.clone(), lib.tensor([3, 1, 2]), batch_first)
    assert_same(unpad, arrays((3, 3, 2)))


def test_gradients_pass_gradcheck():
    sequences = [cr.tensor(a, requires_grad=True) for a in arrays((3, 2), (1, 2), (2, 2))]

    def through_all(*inputs):
        packed = rnn.pack_sequence(list(inputs), enforce_sorted=False)
        padded, _ = rnn.pad_packed_sequence(packed, batch_first=True, padding_value=2.0)
        return padded * padded
    assert gradcheck(through_all, sequences)


# ----- PackedSequence -----------------------------------------------------------------------------
def test_packed_sequence_is_a_named_tuple_with_torchs_fields():
    packed = rnn.pack_sequence([cr.ones(3), cr.ones(1)])
    data, batch_sizes, sorted_indices, unsorted_indices = packed
    assert packed._fields == torch_rnn.PackedSequence._fields
    assert batch_sizes.tolist() == [2, 1, 1] and sorted_indices is None is unsorted_indices
    assert repr(packed).startswith("PackedSequence(data=tensor(")
    again = rnn.PackedSequence(data, batch_sizes)
    assert again.data is data and again.unsorted_indices is None


def test_packed_sequence_to_converts_the_data_only():
    packed = rnn.pack_sequence([cr.ones(3), cr.ones(1), cr.ones(2)], enforce_sorted=False)
    assert packed.to("cpu") is packed and packed.float() is packed
    double = packed.double()
    assert str(double.data.dtype) == "float64" and str(packed.to(cr.float64).data.dtype) == \
        "float64"
    assert double.batch_sizes is packed.batch_sizes
    assert double.unsorted_indices.tolist() == packed.unsorted_indices.tolist() == [0, 2, 1]
    assert not packed.is_cuda and not packed.is_pinned()


def test_invert_permutation_matches_torch():
    permutation = [2, 0, 3, 1]
    assert rnn.invert_permutation(cr.tensor(permutation)).tolist() == \
        torch_rnn.invert_permutation(torch.tensor(permutation)).tolist()
    assert rnn.invert_permutation(None) is None


def test_the_porting_hook_loads_it():
    with porting.install(force=True):
        namespace = {}
        exec("import torch.nn.utils.rnn as rnn_utils\n"
             "from torch.nn.utils.rnn import pack_padded_sequence", namespace)
    assert namespace["rnn_utils"] is rnn
    assert namespace["pack_padded_sequence"] is rnn.pack_padded_sequence


# ----- errors -------------------------------------------------------------------------------------
@pytest.mark.parametrize("lengths, message", [
    ([2, 4, 1], r"must be sorted in decreasing order when `enforce_sorted` is True.*\[2, 4, 1\]"),
    ([4, 0, 0], r"greater than 0.*'lengths'.*\[4, 0, 0\]"),
    ([4, 3], r"len\(lengths\).*got 2 \(batch_size=3\)"),
    ([5, 3, 1], r"'lengths' \[5, 3, 1\] exceed .* sequence length 4"),
])
def test_pack_padded_sequence_refuses_bad_lengths(lengths, message):
    with pytest.raises(RuntimeError, match=message):
        rnn.pack_padded_sequence(cr.zeros(4, 3, 2), lengths)


def test_pack_padded_sequence_refuses_bad_shapes():
    with pytest.raises(RuntimeError, match=r"'lengths' argument should be a 1D.*\(1, 3\)"):
        rnn.pack_padded_sequence(cr.zeros(4, 3, 2), cr.tensor([[3, 2, 1]]))
    with pytest.raises(ValueError, match=r"pack_padded_sequence: .*at least 2 dims.*\(3,\)"):
        rnn.pack_padded_sequence(cr.zeros(3), [3])


def test_pad_packed_sequence_refuses_a_short_total_length():
    packed = rnn.pack_sequence([cr.ones(3), cr.ones(1)])
    with pytest.raises(ValueError, match="total_length=2 and max sequence length being 3"):
        rnn.pad_packed_sequence(packed, total_length=2)
    with pytest.raises(TypeError, match="expected a PackedSequence, got Tensor"):
        rnn.pad_packed_sequence(cr.ones(3, 1))


@pytest.mark.parametrize("sequences, kwargs, message", [
    ([], {}, "received an empty list of sequences"),
    ([cr.ones(2, 3), cr.ones(3, 2)], {}, r"same trailing dims.*\(2, 3\), \(3, 2\)"),
    ([cr.ones(2), cr.tensor(1.0)], {}, r"at least 1 dim.*\(\) at index 1"),
    ([cr.ones(2)], {"padding_side": "up"}, "one of left or right, but got up"),
])
def test_pad_sequence_refuses_bad_sequences(sequences, kwargs, message):
    with pytest.raises(RuntimeError, match=message):
        rnn.pad_sequence(sequences, **kwargs)
