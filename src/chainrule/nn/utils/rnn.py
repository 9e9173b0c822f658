"""Sequences of different lengths in one batch, as torch.nn.utils.rnn: padded (pad_sequence,
pad_packed_sequence, unpad_sequence) or packed (PackedSequence, pack_padded_sequence,
pack_sequence, unpack_sequence), the form RNN, LSTM and GRU read without computing on padding.

A packed sequence stores the batch time step by time step, each step holding only the sequences
still running: data (sum of lengths, *), batch_sizes[t] = how many sequences are longer than t,
the sequences sorted by decreasing length (sorted_indices, unsorted_indices undo the sort).
Every conversion is one gather (index_select) of rows, so gradients flow back to the inputs.
"""
from collections import namedtuple

from chainrule.backend import float16, float32, float64, int8, int16, int32, int64, uint8, xp
from chainrule.creation import full
from chainrule.ops.join import cat
from chainrule.tensor import Tensor

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence",
           "pad_sequence", "unpad_sequence", "pack_sequence", "unpack_sequence"]


class PackedSequence(namedtuple("PackedSequence_",
                                ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """The data and batch sizes of a packed batch (made by pack_padded_sequence or
    pack_sequence, never by hand). Fields: data (sum of lengths, *); batch_sizes (T,) int64;
    sorted_indices and unsorted_indices (B,) int64, or None when the batch came sorted."""

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:  # PackedSequence((data, batch_sizes), sorted_indices), as torch
            if not (isinstance(data, (list, tuple)) and len(data) == 2):
                raise AssertionError("Expected data to be a list or tuple of length 2")
            data, batch_sizes = data
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        """data converted as Tensor.to converts it (self if unchanged); the indices stay."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        return type(self)(data, self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def cpu(self):
        return self.to("cpu")

    def cuda(self, *args, **kwargs):
        return self.to("cuda", *args, **kwargs)

    def pin_memory(self):
        return self

    def double(self):
        return self.to(dtype=float64)

    def float(self):
        return self.to(dtype=float32)

    def half(self):
        return self.to(dtype=float16)

    def long(self):
        return self.to(dtype=int64)

    def int(self):
        return self.to(dtype=int32)

    def short(self):
        return self.to(dtype=int16)

    def char(self):
        return self.to(dtype=int8)

    def byte(self):
        return self.to(dtype=uint8)

    @property
    def is_cuda(self):
        return self.data.is_cuda

    def is_pinned(self):
        return False


def invert_permutation(permutation):
    """The permutation q with q[p[i]] = i (None for None)."""
    if permutation is None:
        return None
    return Tensor._make(xp.argsort(permutation.array, kind="stable").astype(xp.int64))


def _index(array):
    return Tensor._make(xp.asarray(array, dtype=xp.int64))


def _lengths_list(lengths):
    """lengths as Python ints, from a list or a 1-D tensor (cast to int64, as torch does)."""
    if isinstance(lengths, Tensor):
        if lengths.ndim != 1:
            raise RuntimeError("pack_padded_sequence: 'lengths' argument should be a 1D CPU "
                               f"int64 tensor, but got a {lengths.ndim}D tensor of shape "
                               f"{tuple(lengths.shape)}")
        return [int(n) for n in lengths.array.astype(xp.int64).tolist()]
    return [int(n) for n in lengths]


def _check_lengths(lengths, batch, steps, enforce_sorted):
    if len(lengths) != batch:
        raise RuntimeError(f"pack_padded_sequence: expected len(lengths) to be equal to "
                           f"batch_size, but got {len(lengths)} (batch_size={batch})")
    if enforce_sorted and any(a < b for a, b in zip(lengths, lengths[1:])):
        raise RuntimeError(f"pack_padded_sequence: `lengths` array must be sorted in decreasing "
                           f"order when `enforce_sorted` is True, got {lengths}. You can pass "
                           "`enforce_sorted=False` to pack_padded_sequence and/or pack_sequence "
                           "to sidestep this requirement if you do not need ONNX exportability.")
    if any(n <= 0 for n in lengths):
        raise RuntimeError(f"pack_padded_sequence: length of all samples has to be greater than "
                           f"0, but found an element in 'lengths' that is <= 0: {lengths}")
    if max(lengths, default=0) > steps:
        raise RuntimeError(f"pack_padded_sequence: 'lengths' {lengths} exceed the padded "
                           f"input's sequence length {steps}")


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded batch: only each sequence's first lengths[b] steps are kept.

    Args: input (T, B, *) ((B, T, *) if batch_first); lengths (B,) as a list or int64 tensor,
    in decreasing order unless enforce_sorted=False (then the batch is sorted here and the
    order is recorded in sorted_indices).
    Returns: a PackedSequence with data (sum(lengths), *).
    """
    if not isinstance(input, Tensor) or input.ndim < 2:
        shape = tuple(input.shape) if isinstance(input, Tensor) else type(input).__name__
        raise ValueError(f"pack_padded_sequence: expected a padded tensor of at least 2 dims "
                         f"(T, B, *) or (B, T, *) if batch_first, got {shape}")
    batch_dim, time_dim = (0, 1) if batch_first else (1, 0)
    steps, batch = input.shape[time_dim], input.shape[batch_dim]
    lengths = _lengths_list(lengths)
    _check_lengths(lengths, batch, steps, enforce_sorted)
    sorted_indices = None
    if not enforce_sorted:  # a stable sort: ties keep their order
        order = sorted(range(batch), key=lambda b: -lengths[b])
        lengths = [lengths[b] for b in order]
        sorted_indices = _index(order)
        input = input.index_select(batch_dim, sorted_indices)
    # (t, b) for every kept step, time-major: in each row t the kept b are a prefix
    keep = xp.arange(lengths[0])[:, None] < xp.asarray(lengths)[None, :]
    t, b = xp.nonzero(keep)
    rows = b * steps + t if batch_first else t * batch + b
    flat = input.reshape(steps * batch, *input.shape[2:])
    data = flat.index_select(0, _index(rows))
    return PackedSequence(data, _index(keep.sum(1)), sorted_indices, None)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Unpack to a padded batch, in the original order of the sequences.

    Args: sequence (PackedSequence); padding_value fills the steps past each length;
    total_length pads to that many steps (at least the longest length).
    Returns: (padded (T, B, *) or (B, T, *) if batch_first, lengths (B,) int64).
    """
    if not isinstance(sequence, PackedSequence):
        raise TypeError(f"pad_packed_sequence: expected a PackedSequence, got "
                        f"{type(sequence).__name__}")
    data, sizes = sequence.data, [int(n) for n in sequence.batch_sizes.tolist()]
    steps = len(sizes)
    if total_length is not None:
        if total_length < steps:
            raise ValueError("Expected total_length to be at least the length of the longest "
                             f"sequence in input, but got total_length={total_length} and max "
                             f"sequence length being {steps}")
        steps = total_length
    batch = sizes[0] if sizes else 0
    keep = xp.zeros((steps, batch), dtype=bool)
    keep[:len(sizes)] = xp.arange(batch)[None, :] < xp.asarray(sizes, dtype=xp.int64)[:, None]
    # every padded position reads its packed row, or the one padding row appended after them
    rows = xp.full((steps, batch), data.shape[0], dtype=xp.int64)
    rows[keep] = xp.arange(data.shape[0])
    if batch_first:
        rows = rows.T
    padding = full((1, *data.shape[1:]), padding_value, dtype=data.dtype)
    padded = cat([data, padding]).index_select(0, _index(rows.reshape(-1)))
    padded = padded.reshape(*rows.shape, *data.shape[1:])
    lengths = _index(keep.sum(0))
    if sequence.unsorted_indices is not None:
        padded = padded.index_select(0 if batch_first else 1, sequence.unsorted_indices)
        lengths = lengths.index_select(0, sequence.unsorted_indices)
    return padded, lengths


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack sequences of lengths L_b into one batch, padded to the longest with padding_value.

    Args: sequences, a list of (L_b, *) tensors, all with the same * (and cast to the first's
    dtype); padding_side 'right' (after each sequence) or 'left' (before it).
    Shape: -> (T, B, *) ((B, T, *) if batch_first), T = max L_b.
    """
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"pad_sequence: expected padding_side to be one of left or right, "
                           f"but got {padding_side}.")
    if isinstance(sequences, Tensor):
        sequences = sequences.unbind(0)
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("pad_sequence: received an empty list of sequences")
    _check_sequences(sequences)
    first = sequences[0]
    lengths = [s.shape[0] for s in sequences]
    steps, total = max(lengths), sum(lengths)
    rows = xp.full((len(sequences), steps), total, dtype=xp.int64)
    start = 0
    for b, length in enumerate(lengths):
        offset = 0 if padding_side == "right" else steps - length
        rows[b, offset:offset + length] = xp.arange(start, start + length)
        start += length
    if not batch_first:
        rows = rows.T
    padding = full((1, *first.shape[1:]), padding_value, dtype=first.dtype)
    joined = cat([s.to(first.dtype) for s in sequences] + [padding])
    padded = joined.index_select(0, _index(rows.reshape(-1)))
    return padded.reshape(*rows.shape, *first.shape[1:])


def _check_sequences(sequences):
    for index, sequence in enumerate(sequences):
        if not isinstance(sequence, Tensor) or sequence.ndim == 0:
            what = tuple(sequence.shape) if isinstance(sequence, Tensor) else \
                type(sequence).__name__
            raise RuntimeError(f"pad_sequence: expected each sequence to be a tensor of at least "
                               f"1 dim (L, *), got {what} at index {index}")
    trailing = {tuple(s.shape[1:]) for s in sequences}
    if len(trailing) > 1:
        raise RuntimeError(f"pad_sequence: expected sequences with the same trailing dims, got "
                           f"shapes {[tuple(s.shape) for s in sequences]}")


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """The list of sequences padded_sequences[:lengths[b], b] ([b, :lengths[b]] if batch_first).
    Unlike torch's, it leaves padded_sequences as it is (torch transposes it in place)."""
    batch_dim = 0 if batch_first else 1
    lengths = _lengths_list(lengths)
    if len(lengths) != padded_sequences.shape[batch_dim]:
        raise RuntimeError(f"unpad_sequence: got {len(lengths)} lengths for a batch of "
                           f"{padded_sequences.shape[batch_dim]} (shape "
                           f"{tuple(padded_sequences.shape)})")
    return [padded_sequences.select(batch_dim, b).narrow(0, 0, length)
            for b, length in enumerate(lengths)]


def pack_sequence(sequences, enforce_sorted=True):
    """pack_padded_sequence(pad_sequence(sequences), their lengths): a list of (L_b, *) tensors,
    in decreasing length unless enforce_sorted=False, packed."""
    sequences = list(sequences)
    lengths = [s.shape[0] if isinstance(s, Tensor) and s.ndim else 0 for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """The list of (L_b, *) sequences a PackedSequence holds, in their original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
