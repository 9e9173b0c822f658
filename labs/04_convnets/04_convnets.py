# %% [markdown]
# # Lab 04: Convolutional networks
#
# Lab 03 trained multilayer perceptrons on MNIST-1D; this lab opens the layer that beats them
# there, the **convolution**, and asks why it wins.
#
# 1. Convolution as a matrix product: the patches of a signal as the columns of a matrix
#    (**im2col**, written by you), and a convolution as one matrix product on it, checked
#    against `F.conv1d`, values and gradients.
# 2. Sizes and **receptive fields**: the output length of a convolution, and how much of the
#    input one unit of a stack of convolutions sees, by a formula and by backpropagation.
# 3. **Weight sharing**: a convolution is a dense layer whose matrix is banded and repeats a
#    handful of numbers; we build that matrix and count.
# 4. **Locality**: the CNN and the MLP of Greydanus's *Scaling Down Deep Learning* (2020) on
#    MNIST-1D and on its shuffled variant, where one fixed permutation scrambles the 40
#    positions. The MLP cannot tell the difference (you will prove it); the CNN can.
# 5. **Engineered versus learned features**: the classical pipeline of `chainrule experiment
#    features` (Fourier magnitudes, statistics, template matching, then a linear classifier)
#    against a linear classifier on the CNN's learned features.
#
# Every exercise is a function whose body you write between the markers; the cell after it
# checks it. Seeds are fixed, so every run of this notebook gives the same numbers.

# %% tags=["parameters"] nbgrader={"grade": false, "grade_id": "parameters", "locked": true, "schema_version": 3, "solution": false}
QUICK = False   # the test suite runs every lab with QUICK = True (a cell injected after this one)

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false}
import copy
import os

# One BLAS thread: this lab's matrices are small, and on a busy machine several BLAS threads
# competing for the cores slow it down many times (see lab 03's README). It only takes effect
# before NumPy is loaded, which `import chainrule` does.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import matplotlib.pyplot as plt
import numpy as np

# The figures inline, whatever MPLBACKEND says (a headless run with MPLBACKEND=Agg draws none).
# %matplotlib inline

import chainrule as torch
from chainrule import nn
from chainrule.data import TensorDataset
from chainrule.data.datasets import mnist1d_splits
from chainrule.experiments.features import (FOURIER_TERMS, STATISTICS, Standardiser,
                                            class_templates, engineered_features)
from chainrule.experiments.mnist1d import PAPER, PAPER_SHUFFLED, STEPS, fit_classifier
from chainrule.labs.checks import check_close, check_equal, check_shape, check_true
from chainrule.models.mnist1d import CNN, MLP, Logistic, count_parameters
from chainrule.nn import functional as F

# Optimizer steps of every MNIST-1D training (the paper's 6000: Adam, lr 1e-2, batches of 100).
# QUICK only checks that every cell runs.
TRAIN_STEPS = 100 if QUICK else STEPS

# %% nbgrader={"grade": false, "grade_id": "data", "locked": true, "schema_version": 3, "solution": false}
# MNIST-1D as the library makes it (4000 training, 1000 test signals of 40 points), and its
# shuffled variant: the same signals with their positions reordered by one fixed permutation.
train_set, test_set = mnist1d_splits()
shuffled_train, shuffled_test = mnist1d_splits(shuffled=True)
permutation = shuffled_train.permutation
print(f"train {len(train_set)}, test {len(test_set)}; permutation begins {permutation[:6]}")

fig, axes = plt.subplots(1, 2, figsize=(11, 3), sharey=True, layout="constrained")
for digit in range(3):
    signal = train_set.x[train_set.y == digit][0]
    axes[0].plot(signal, label=f"digit {digit}")
    axes[1].plot(signal[permutation], label=f"digit {digit}")
axes[0].set(title="MNIST-1D", xlabel="position")
axes[1].set(title="the same signals, positions shuffled", xlabel="position")
axes[0].legend()
plt.show()

# %% [markdown]
# ## 1. Convolution as a matrix product
#
# A 1-D convolution layer (in deep learning: a cross-correlation) with C input channels, O output
# channels, kernel size K, stride s, padding p and dilation d computes
#
#     y[n, o, l] = b[o] + Σ_c Σ_k w[o, c, k] · x_pad[n, c, l·s + k·d],
#
# where x_pad is x with p zeros added at both ends. For a fixed output position l the double sum
# is a dot product between the C·K weights of filter o and the C·K inputs the kernel sees there,
# the **patch** at l. Write every patch as a column of a matrix, the **im2col** matrix
# (image to columns, Chellapilla et al., 2006), and the whole convolution is one matrix product:
# the (O, C·K) weights times the (C·K, L_out) patches. That is how chainrule's `conv1d` (and
# most libraries' on a CPU) computes it: one large product runs far faster than loops.
#
# ### Exercise 1: im2col (4 points)
#
# Write `im2col(x, kernel_size, stride=1, padding=0, dilation=1)`: x is a
# tensor (N, C, L); return a tensor (N, C·K, L_out) whose column l holds patch l, channel by
# channel: row c·K + k is x_pad[n, c, l·s + k·d]. Build it from tensor operations so that
# gradients flow through it (you need them in exercise 2): `F.pad(x, (p, p))` pads the last
# dimension, indexing with an integer array `x[:, :, index]` gathers (NumPy's `np.arange` makes
# the index), `permute` and `reshape` arrange. L_out is the number of positions where the dilated
# kernel, d·(K − 1) + 1 wide, fits into the padded signal when it moves s at a time.

# %% nbgrader={"grade": false, "grade_id": "im2col", "locked": false, "schema_version": 3, "solution": true}
def im2col(x, kernel_size, stride=1, padding=0, dilation=1):
    """The patches of x (N, C, L) as columns: (N, C * kernel_size, L_out), row c * K + k of
    column l being x_padded[:, c, l * stride + k * dilation]."""
    ### BEGIN SOLUTION
    batch, channels, length = x.shape
    span = dilation * (kernel_size - 1) + 1
    out_length = (length + 2 * padding - span) // stride + 1
    x = F.pad(x, (padding, padding))
    index = (np.arange(out_length)[:, None] * stride
             + np.arange(kernel_size)[None, :] * dilation)        # (L_out, K)
    patches = x[:, :, index]                                       # (N, C, L_out, K)
    return patches.permute(0, 1, 3, 2).reshape(batch, channels * kernel_size, out_length)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "im2col_tests", "locked": true, "points": 4, "schema_version": 3, "solution": false}
x = torch.arange(6.0).reshape(1, 1, 6)   # the signal 0 1 2 3 4 5
check_close(im2col(x, 3), [[[0, 1, 2, 3], [1, 2, 3, 4], [2, 3, 4, 5]]],
            "im2col of 0..5 with kernel 3: column l is the patch (l, l+1, l+2)")
check_close(im2col(x, 2, stride=2, padding=1), [[[0, 1, 3, 5], [0, 2, 4, 0]]],
            "im2col of 0..5 with kernel 2, stride 2, padding 1 (padded: 0 0 1 2 3 4 5 0)")
check_shape(im2col(torch.randn(4, 3, 20), 5, stride=2, padding=1, dilation=2), (4, 15, 7),
            "im2col of (4, 3, 20) with kernel 5, stride 2, padding 1, dilation 2")
### BEGIN HIDDEN TESTS
check_close(im2col(x, 2, dilation=3), [[[0, 1, 2], [3, 4, 5]]],
            "im2col of 0..5 with kernel 2, dilation 3")
# chainrule's unfold reads a 1-D signal as an image of height 1: the same patches, same order.
CASES = [(2, 3, 17, 3, 1, 0, 1), (3, 2, 17, 4, 2, 1, 1), (1, 4, 12, 3, 1, 2, 2),
         (2, 1, 40, 5, 2, 1, 1), (2, 3, 9, 1, 3, 0, 1), (1, 2, 11, 3, 2, 3, 3)]
for batch, channels, length, kernel, stride, padding, dilation in CASES:
    what = (f"im2col of ({batch}, {channels}, {length}) with kernel {kernel}, stride {stride}, "
            f"padding {padding}, dilation {dilation}")
    torch.manual_seed(batch + length)
    x = torch.randn(batch, channels, length, dtype=torch.float64, requires_grad=True)
    x_reference = x.detach().clone().requires_grad_(True)
    expected = F.unfold(x_reference.unsqueeze(2), (1, kernel), dilation=(1, dilation),
                        padding=(0, padding), stride=(1, stride))
    got = im2col(x, kernel, stride=stride, padding=padding, dilation=dilation)
    check_true(isinstance(got, torch.Tensor), f"{what}: expected a tensor, got {type(got)}")
    check_close(got.detach(), expected.detach(), what + ", against F.unfold")
    # backward: each input's gradient is the sum of the upstream gradients of its copies
    upstream = torch.randn(*expected.shape, dtype=torch.float64)
    check_true(got.requires_grad, f"{what}: the result should be part of x's graph (build it "
               "from tensor operations, not from NumPy arrays)")
    (got * upstream).sum().backward()
    (expected * upstream).sum().backward()
    check_close(x.grad, x_reference.grad, what + ": the gradient reaching x")
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 2: the convolution as one matrix product (3 points)
#
# Write `conv1d_im2col(x, weight, bias=None, stride=1, padding=0, dilation=1)`,
# with x (N, C, L), weight (O, C, K) and bias (O,) or None: reshape the weights to (O, C·K),
# multiply by the im2col matrix (`@` broadcasts over the batch), add the bias to every position.
# The result is (N, O, L_out), as `F.conv1d` returns. Your function is differentiable because
# it is made of differentiable operations: `loss.backward()` goes through it with no backward
# written by you.

# %% nbgrader={"grade": false, "grade_id": "conv1d_im2col", "locked": false, "schema_version": 3, "solution": true}
def conv1d_im2col(x, weight, bias=None, stride=1, padding=0, dilation=1):
    """F.conv1d(x, weight, bias, stride, padding, dilation) as weights (O, C*K) @ im2col(x)."""
    ### BEGIN SOLUTION
    out_channels, channels, kernel_size = weight.shape
    columns = im2col(x, kernel_size, stride, padding, dilation)     # (N, C*K, L_out)
    out = weight.reshape(out_channels, channels * kernel_size) @ columns
    if bias is not None:
        out = out + bias.reshape(1, out_channels, 1)
    return out
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "conv1d_im2col_tests", "locked": true, "points": 3, "schema_version": 3, "solution": false}
torch.manual_seed(0)
x, weight, bias = torch.randn(2, 3, 12), torch.randn(4, 3, 3), torch.randn(4)
check_close(conv1d_im2col(x, weight, bias), F.conv1d(x, weight, bias),
            "conv1d_im2col of (2, 3, 12) with 4 filters of size 3, against F.conv1d",
            rtol=1e-4, atol=1e-5)
check_close(conv1d_im2col(x, weight, stride=2, padding=1),
            F.conv1d(x, weight, stride=2, padding=1),
            "conv1d_im2col without bias, stride 2, padding 1", rtol=1e-4, atol=1e-5)
### BEGIN HIDDEN TESTS
CASES = [(2, 3, 12, 4, 3, 1, 0, 1, True), (3, 1, 40, 25, 5, 2, 1, 1, True),
         (1, 5, 19, 2, 3, 2, 1, 2, False), (2, 2, 9, 3, 1, 1, 0, 1, True),
         (2, 3, 16, 3, 4, 3, 2, 3, True)]
for batch, channels, length, filters, kernel, stride, padding, dilation, with_bias in CASES:
    what = (f"conv1d_im2col of ({batch}, {channels}, {length}) with {filters} filters of size "
            f"{kernel}, stride {stride}, padding {padding}, dilation {dilation}"
            f"{'' if with_bias else ', no bias'}")
    torch.manual_seed(length + filters)
    leaves = [torch.randn(batch, channels, length, dtype=torch.float64),
              torch.randn(filters, channels, kernel, dtype=torch.float64),
              torch.randn(filters, dtype=torch.float64) if with_bias else None]
    mine = [t.clone().requires_grad_(True) if t is not None else None for t in leaves]
    theirs = [t.clone().requires_grad_(True) if t is not None else None for t in leaves]
    got = conv1d_im2col(*mine, stride=stride, padding=padding, dilation=dilation)
    expected = F.conv1d(*theirs, stride=stride, padding=padding, dilation=dilation)
    check_close(got.detach(), expected.detach(), what + ", against F.conv1d")
    upstream = torch.randn(*expected.shape, dtype=torch.float64)
    (got * upstream).sum().backward()
    (expected * upstream).sum().backward()
    for name, a, b in zip(("x", "weight", "bias"), mine, theirs):
        if a is not None:
            check_true(a.grad is not None, f"{what}: no gradient reached {name}")
            check_close(a.grad, b.grad, f"{what}: the gradient of {name}, against F.conv1d's")
### END HIDDEN TESTS

# %% [markdown]
# Your convolution is a drop-in replacement: below, the paper's CNN with its three convolutions
# computed by `conv1d_im2col` gives the same logits as the model itself.

# %% nbgrader={"grade": false, "grade_id": "cnn_by_hand", "locked": true, "schema_version": 3, "solution": false}
torch.manual_seed(0)
cnn = CNN()
x = torch.tensor(test_set.x[:8])
h = x.unsqueeze(1)
for conv in (cnn.conv1, cnn.conv2, cnn.conv3):
    h = F.relu(conv1d_im2col(h, conv.weight, conv.bias, stride=2, padding=1))
by_hand = cnn.linear(h.flatten(1))
print("largest difference from the model's logits:",
      f"{(by_hand - cnn(x)).abs().max().item():.2e}")

# %% [markdown]
# ## 2. Sizes and receptive fields
#
# The dilated kernel is d·(K − 1) + 1 wide; it fits into the padded signal, L + 2p long, at the
# positions 0, s, 2s, ... as long as it does not run past the end:
#
#     L_out = ⌊(L + 2p − d·(K − 1) − 1) / s⌋ + 1.
#
# ### Exercise 3: the output length (2 points)
#
# Write `conv_output_length(length, kernel_size, stride=1, padding=0, dilation=1)`,
# returning an int.

# %% nbgrader={"grade": false, "grade_id": "conv_output_length", "locked": false, "schema_version": 3, "solution": true}
def conv_output_length(length, kernel_size, stride=1, padding=0, dilation=1):
    """The length of a 1-D convolution's output for an input of the given length."""
    ### BEGIN SOLUTION
    return (length + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "conv_output_length_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false}
check_equal(conv_output_length(10, 3), 8, "conv_output_length(10, kernel 3)")
check_equal(conv_output_length(40, 5, stride=2, padding=1), 19,
            "the CNN's first layer: length 40, kernel 5, stride 2, padding 1")
### BEGIN HIDDEN TESTS
check_equal(conv_output_length(19, 3, stride=2, padding=1), 10, "the CNN's second layer")
check_equal(conv_output_length(10, 3, stride=2, padding=1), 5, "the CNN's third layer")
for length in (5, 12, 31):
    for kernel in (1, 2, 3, 4):
        for stride in (1, 2, 3):
            for padding in (0, 1, 2):
                for dilation in (1, 2):
                    if dilation * (kernel - 1) + 1 > length + 2 * padding:
                        continue
                    expected = F.conv1d(torch.zeros(1, 1, length), torch.zeros(1, 1, kernel),
                                        stride=stride, padding=padding,
                                        dilation=dilation).shape[-1]
                    check_equal(conv_output_length(length, kernel, stride, padding, dilation),
                                expected, f"conv_output_length({length}, kernel {kernel}, "
                                f"stride {stride}, padding {padding}, dilation {dilation}), "
                                "against F.conv1d's output")
### END HIDDEN TESTS

# %% [markdown]
# The **receptive field** of a unit is the stretch of the input it depends on. One convolution's
# unit sees d·(K − 1) + 1 neighbouring positions. Stack a second layer on it: its kernel spans
# several units of the first layer, and neighbouring units of the first layer are s₁ input
# positions apart (their **jump**). Going up the stack, layer i widens the field by
# dᵢ·(Kᵢ − 1) times the jump j of its input, and multiplies the jump by its stride:
#
#     r ← r + dᵢ·(Kᵢ − 1)·j,   j ← j·sᵢ,   starting from r = 1, j = 1
#
# (Araujo, Norris & Sim, *Computing Receptive Fields of Convolutional Neural Networks*, Distill,
# 2019). Padding does not change r; it only lets the units at the edges look past the ends, at
# zeros. With dilation the field has holes; r is its span, from its first position to its last.
#
# ### Exercise 4: the receptive field by the formula (3 points)
#
# Write `receptive_field(layers)`: `layers` is a list of (kernel_size,
# stride, dilation) from the input up; return r, an int, for a unit of the last layer.

# %% nbgrader={"grade": false, "grade_id": "receptive_field", "locked": false, "schema_version": 3, "solution": true}
def receptive_field(layers):
    """The span of input positions one unit of the last of layers [(K, s, d), ...] depends on."""
    ### BEGIN SOLUTION
    field, jump = 1, 1
    for kernel_size, stride, dilation in layers:
        field += dilation * (kernel_size - 1) * jump
        jump *= stride
    return field
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "receptive_field_tests", "locked": true, "points": 3, "schema_version": 3, "solution": false}
check_equal(receptive_field([(3, 1, 1)]), 3, "one layer of kernel 3")
check_equal(receptive_field([(3, 1, 1), (3, 1, 1)]), 5, "two layers of kernel 3, stride 1")
check_equal(receptive_field([(3, 2, 1), (3, 1, 1)]), 7, "kernel 3 stride 2, then kernel 3")
### BEGIN HIDDEN TESTS
check_equal(receptive_field([]), 1, "no layer at all: a unit is an input position")
check_equal(receptive_field([(5, 2, 1), (3, 2, 1), (3, 2, 1)]), 17, "the paper's CNN")
check_equal(receptive_field([(2, 1, 1), (2, 1, 2), (2, 1, 4), (2, 1, 8)]), 16,
            "WaveNet's doubling dilations 1, 2, 4, 8 with kernel 2")
# Against the span measured by backpropagation (no padding: output 0 starts at input 0).
STACKS = [[(3, 1, 1), (5, 2, 1)], [(4, 3, 1), (3, 2, 2), (2, 1, 1)], [(3, 1, 3), (3, 2, 1)],
          [(2, 2, 1), (2, 2, 1), (2, 2, 1), (3, 1, 1)], [(7, 1, 1)], [(1, 2, 1), (3, 1, 2)]]
for layers in STACKS:
    torch.manual_seed(len(layers))
    x = torch.randn(1, 1, 80, requires_grad=True)
    h = x
    for kernel, stride, dilation in layers:
        h = F.conv1d(h, torch.rand(1, 1, kernel) + 0.5, stride=stride, dilation=dilation)
    h[0, 0, 0].backward()
    seen = np.flatnonzero(x.grad.numpy()[0, 0])
    check_equal(receptive_field(layers), int(seen[-1] - seen[0] + 1),
                f"receptive_field({layers}), against the span of inputs with a gradient")
### END HIDDEN TESTS

# %% [markdown]
# The formula can be checked without knowing it. The gradient of one output unit with respect to
# the input is non-zero exactly at the positions that unit depends on (for a linear stack with
# random weights; a ReLU could switch paths off). One backward pass therefore *measures* the
# receptive field.
#
# ### Exercise 5: the receptive field by backpropagation (3 points)
#
# Write `input_support(model, length, position)`: `model` maps (1, C, length)
# inputs to (1, O, L_out) outputs (a stack of convolutions without activations, C = the first
# layer's `in_channels`; `model` is one `nn.Conv1d` or an `nn.Sequential` of them, and in both
# `next(model.parameters())` is the first layer's weight, (O, C, K)). Feed it a random input that
# requires grad, backpropagate the sum over channels of the output at `position`, and return the
# sorted list of input positions (Python ints) where the gradient is non-zero in any channel.

# %% nbgrader={"grade": false, "grade_id": "input_support", "locked": false, "schema_version": 3, "solution": true}
def input_support(model, length, position):
    """The input positions output position `position` of model depends on, found by backprop."""
    ### BEGIN SOLUTION
    channels = next(model.parameters()).shape[1]
    x = torch.randn(1, channels, length, requires_grad=True)
    model(x)[0, :, position].sum().backward()
    gradient = x.grad.abs().sum(dim=1)[0]   # (length,): summed over the input channels
    return [int(i) for i in np.flatnonzero(gradient.numpy())]
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "input_support_tests", "locked": true, "points": 3, "schema_version": 3, "solution": false}
torch.manual_seed(0)
check_equal(input_support(nn.Conv1d(1, 1, 3), 10, 4), [4, 5, 6],
            "input_support of one Conv1d(kernel 3) at output 4")
stack = nn.Sequential(nn.Conv1d(1, 2, 3), nn.Conv1d(2, 1, 3))
check_equal(input_support(stack, 12, 0), [0, 1, 2, 3, 4], "two kernel-3 layers at output 0")
### BEGIN HIDDEN TESTS
torch.manual_seed(1)
check_equal(input_support(nn.Conv1d(1, 3, 3, padding=1), 10, 0), [0, 1],
            "kernel 3 with padding 1 at output 0 (the third tap sees a padded zero)")
check_equal(input_support(nn.Conv1d(2, 4, 2, dilation=3), 10, 1), [1, 4],
            "kernel 2, dilation 3 at output 1, two input channels")
stack = nn.Sequential(nn.Conv1d(3, 4, 3, stride=2), nn.Conv1d(4, 2, 2, dilation=2))
check_equal(input_support(stack, 30, 3), [6, 7, 8, 10, 11, 12],
            "kernel 3 stride 2, then kernel 2 dilation 2, three input channels, output 3 "
            "(layer-1 units 3 and 5: a field of span 7 with a hole)")
support = input_support(stack, 30, 5)
check_true(all(isinstance(i, int) for i in support), "the positions should be Python ints")
check_equal(support, [10, 11, 12, 14, 15, 16], "the same stack at output 5")
blind = nn.Conv1d(2, 1, 3)
with torch.no_grad():
    blind.weight[:, 0] = 0.0   # the first input channel is ignored: look at every channel
check_equal(input_support(blind, 8, 2), [2, 3, 4], "a Conv1d(2, 1, 3) that ignores channel 0")
### END HIDDEN TESTS

# %% [markdown]
# The paper's CNN: kernel 5 stride 2, then twice kernel 3 stride 2, all with padding 1. Its last
# convolution has 5 positions; by the formula each sees 17 of the 40 input positions (jump 8).
# Below, with the ReLUs left out, the support of each measured by your `input_support`; the edge
# units see fewer real inputs (the rest of their field lies on the padding).

# %% nbgrader={"grade": false, "grade_id": "cnn_receptive_fields", "locked": true, "schema_version": 3, "solution": false}
CNN_LAYERS = [(5, 2, 1), (3, 2, 1), (3, 2, 1)]
print(f"the paper's CNN: receptive field {receptive_field(CNN_LAYERS)} by the formula; lengths "
      f"40 -> {conv_output_length(40, 5, 2, 1)} -> {conv_output_length(19, 3, 2, 1)} -> "
      f"{conv_output_length(10, 3, 2, 1)}")
torch.manual_seed(0)
cnn = CNN()
convolutions = nn.Sequential(cnn.conv1, cnn.conv2, cnn.conv3)   # the ReLUs left out
seen = np.zeros((5, 40))
for position in range(5):
    support = input_support(convolutions, 40, position)
    seen[position, support] = 1
    print(f"unit {position} of the last layer sees inputs {support[0]}..{support[-1]} "
          f"({len(support)} positions)")
fig, ax = plt.subplots(figsize=(10, 2.4), layout="constrained")
ax.imshow(seen, aspect="auto", cmap="Blues", vmin=0, vmax=1.4)
ax.set(xlabel="input position", ylabel="last-layer unit", yticks=range(5),
       title="What each unit of the CNN's last convolution sees (found by backprop)")
plt.show()

# %% [markdown]
# ## 3. Weight sharing
#
# A convolution is linear in its input, so it *is* a dense layer: the flattened output equals a
# matrix times the flattened input. That matrix is huge and mostly zeros, and its non-zeros are
# the same O·C·K weights repeated along diagonals: every output position uses the same filter.
# A dense layer of the same shape would learn every entry separately.
#
# ### Exercise 6: the convolution's dense matrix (3 points)
#
# Write `conv_as_matrix(weight, length, stride=1, padding=0)`: return the
# tensor M, (O·L_out, C·L), such that for every x of shape (N, C, L)
#
#     F.conv1d(x, weight, stride=stride, padding=padding).flatten(1) == x.flatten(1) @ M.T.
#
# Hint: the columns of a linear map's matrix are its responses to the basis vectors; the C·L
# basis vectors, reshaped to (C·L, C, L), are one batch (`torch.eye`, in the weight's dtype:
# `F.conv1d` refuses a float32 input with float64 weights).

# %% nbgrader={"grade": false, "grade_id": "conv_as_matrix", "locked": false, "schema_version": 3, "solution": true}
def conv_as_matrix(weight, length, stride=1, padding=0):
    """The (O * L_out, C * L) matrix of the convolution by weight (O, C, K) on length-L inputs."""
    ### BEGIN SOLUTION
    _, channels, _ = weight.shape
    basis = torch.eye(channels * length, dtype=weight.dtype).reshape(-1, channels, length)
    responses = F.conv1d(basis, weight, stride=stride, padding=padding)   # (C*L, O, L_out)
    return responses.flatten(1).T
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "conv_as_matrix_tests", "locked": true, "points": 3, "schema_version": 3, "solution": false}
weight = torch.tensor([[[1.0, 2.0, 3.0]]])
check_close(conv_as_matrix(weight, 5), [[1, 2, 3, 0, 0], [0, 1, 2, 3, 0], [0, 0, 1, 2, 3]],
            "the matrix of the filter (1, 2, 3) on length 5")
check_shape(conv_as_matrix(torch.randn(4, 2, 3), 10, stride=2, padding=1), (4 * 5, 2 * 10),
            "conv_as_matrix of 4 filters (2 channels, kernel 3) on length 10, stride 2, padding 1")
check_shape(conv_as_matrix(weight.double(), 5), (3, 5), "conv_as_matrix of float64 weights")
### BEGIN HIDDEN TESTS
check_close(conv_as_matrix(weight, 4, padding=1), [[2, 3, 0, 0], [1, 2, 3, 0], [0, 1, 2, 3],
                                                   [0, 0, 1, 2]],
            "the filter (1, 2, 3) on length 4 with padding 1")
for filters, channels, kernel, length, stride, padding in [(4, 2, 3, 10, 2, 1), (3, 1, 5, 40, 2, 1),
                                                           (2, 3, 2, 7, 1, 0), (5, 2, 4, 9, 3, 2)]:
    what = (f"conv_as_matrix of {filters} filters ({channels} channels, kernel {kernel}) on "
            f"length {length}, stride {stride}, padding {padding}")
    torch.manual_seed(length)
    weight = torch.randn(filters, channels, kernel, dtype=torch.float64)
    matrix = conv_as_matrix(weight, length, stride=stride, padding=padding)
    x = torch.randn(6, channels, length, dtype=torch.float64)
    expected = F.conv1d(x, weight, stride=stride, padding=padding).flatten(1)
    check_close(x.flatten(1) @ matrix.T, expected, what + ": x.flatten(1) @ M.T against F.conv1d")
    values = np.unique(matrix.detach().numpy()[matrix.detach().numpy() != 0])
    check_equal(len(values), filters * channels * kernel,
                what + ": its distinct non-zero entries should be the weights")
### END HIDDEN TESTS

# %% [markdown]
# The first layer of the paper's CNN as a dense matrix: 25 filters of 5 taps on 40 positions give
# 25 × 19 outputs. Each block of 19 rows is one filter sliding along the signal.

# %% nbgrader={"grade": false, "grade_id": "weight_sharing", "locked": true, "schema_version": 3, "solution": false}
torch.manual_seed(0)
cnn = CNN()
matrix = conv_as_matrix(cnn.conv1.weight.detach(), 40, stride=2, padding=1)
print(f"conv1 as a dense matrix: {tuple(matrix.shape)} = {matrix.numel():,} entries, "
      f"{int((matrix != 0).sum().item()):,} non-zero, {cnn.conv1.weight.numel()} distinct weights")
LAYERS = (("conv1", (1, 40), cnn.conv1), ("conv2", (25, 19), cnn.conv2),
          ("conv3", (25, 10), cnn.conv3))
for name, (channels, length), conv in LAYERS:
    out_length = conv_output_length(length, conv.kernel_size[0], 2, 1)
    dense = (channels * length) * (conv.out_channels * out_length) + conv.out_channels * out_length
    print(f"{name}: {channels} x {length} -> {conv.out_channels} x {out_length}: "
          f"{count_parameters(conv):6,} parameters as a convolution, {dense:8,} as a dense layer")
print(f"the whole CNN: {count_parameters(cnn):,} parameters; the paper's MLP "
      f"{count_parameters(MLP()):,}")
fig, ax = plt.subplots(figsize=(5, 7), layout="constrained")
limit = float(matrix.abs().max().item())
ax.imshow(matrix.numpy()[:19 * 4], cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto")
ax.set(xlabel="input position", ylabel="output (filter, position)",
       title="conv1 as a dense matrix: the first 4 filters")
plt.show()

# %% [markdown]
# ## 4. Locality: the CNN against the MLP, on MNIST-1D and shuffled
#
# The shuffled variant reorders the 40 positions of every signal by one fixed permutation P.
# No information is lost: P is a bijection, the same for every signal. Yet the paper's CNN drops
# from 94 % to 56 % on it, while the MLP stays at 68 %. Why the MLP does not care: its first layer
# computes W x, and W x = W' (P x) for the matrix W' whose columns are W's columns reordered the
# same way. Every MLP on the data has a twin on the shuffled data that computes the same function,
# and gradient descent from twin initial weights takes twin steps. A convolution has no such twin:
# its filter slides over *neighbouring* positions, and P scatters neighbours.
#
# ### Exercise 7: the MLP's twin (3 points)
#
# Write `permute_inputs(mlp, permutation)`: return a *new* MLP (`copy.deepcopy`
# it; leave the argument unchanged) whose first layer (`linear1`) has its weight's columns
# reordered so that `new(x[:, permutation]) == mlp(x)` for every x (N, 40). Change the copy's
# weight in place under `torch.no_grad()` (`weight.copy_(...)`), so it stays a parameter.

# %% nbgrader={"grade": false, "grade_id": "permute_inputs", "locked": false, "schema_version": 3, "solution": true}
def permute_inputs(mlp, permutation):
    """A copy of mlp that computes on x[:, permutation] what mlp computes on x."""
    ### BEGIN SOLUTION
    twin = copy.deepcopy(mlp)
    with torch.no_grad():
        twin.linear1.weight.copy_(mlp.linear1.weight[:, np.asarray(permutation)])
    return twin
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "permute_inputs_tests", "locked": true, "points": 3, "schema_version": 3, "solution": false}
torch.manual_seed(0)
mlp = MLP(hidden=8, inputs=4)
x = torch.randn(3, 4)
order = [2, 0, 3, 1]
twin = permute_inputs(mlp, order)
check_close(twin(x[:, order]), mlp(x), "the twin on x[:, [2, 0, 3, 1]] against the MLP on x",
            rtol=1e-5, atol=1e-6)
### BEGIN HIDDEN TESTS
torch.manual_seed(1)
mlp = MLP()
before = {name: value.clone() for name, value in mlp.state_dict().items()}
x = torch.tensor(test_set.x[:50])
twin = permute_inputs(mlp, permutation)
check_true(twin is not mlp, "permute_inputs should return a new model (copy.deepcopy)")
check_close(twin(torch.tensor(shuffled_test.x[:50])), mlp(x),
            "the twin on 50 shuffled test signals against the MLP on the same signals unshuffled",
            rtol=1e-4, atol=1e-5)
for name, value in mlp.state_dict().items():
    check_close(value, before[name], f"the original MLP's {name} should not change")
for name in ("linear2.weight", "linear3.bias"):
    check_close(twin.state_dict()[name], before[name], f"the twin's {name} (unchanged)")
check_true(all(p.is_leaf and p.requires_grad for p in twin.parameters()),
           "the twin's weights should stay leaf parameters (copy_ under no_grad)")
check_true(not np.allclose(twin.linear1.weight.detach().numpy(), before["linear1.weight"].numpy()),
           "the twin's first layer should be reordered")
### END HIDDEN TESTS

# %% [markdown]
# Five trainings with the paper's setup (`chainrule.experiments.mnist1d.fit_classifier`: Adam,
# lr 10⁻², batches of 100 taken in order; the test accuracy after the last step, as the paper
# reports it): the CNN and the MLP on each variant, and the MLP's twin (from the MLP's initial
# weights, by your `permute_inputs`) on the shuffled data. The twin computes what the MLP
# computes, up to rounding: its products sum their terms in another order. Those differences of
# one part in ten million grow as training goes on (a long training is chaotic), so the twin
# follows the MLP's curve closely at first and then wanders around it, ending close to it, as
# the MLP on the shuffled data does, while the CNN loses about a third of its accuracy.

# %% nbgrader={"grade": false, "grade_id": "locality", "locked": true, "schema_version": 3, "solution": false}
runs, trained = {}, {}
for name, make, data in (("CNN", CNN, (train_set, test_set)),
                         ("CNN, shuffled", CNN, (shuffled_train, shuffled_test)),
                         ("MLP", MLP, (train_set, test_set)),
                         ("MLP, shuffled", MLP, (shuffled_train, shuffled_test))):
    torch.manual_seed(42)
    model = make()
    runs[name], accuracy = fit_classifier(model, *data, steps=TRAIN_STEPS)
    trained[name] = model
    print(f"{name:24s} {count_parameters(model):6,} parameters, test accuracy {accuracy:.3f}")
print(f"the paper: CNN {PAPER['cnn']} %, shuffled {PAPER_SHUFFLED['cnn']} %; "
      f"MLP {PAPER['mlp']} %, shuffled {PAPER_SHUFFLED['mlp']} %")

# %% nbgrader={"grade": false, "grade_id": "twin", "locked": true, "schema_version": 3, "solution": false}
torch.manual_seed(42)
twin = permute_inputs(MLP(), permutation)   # the MLP's initial weights, reordered
TWIN = "MLP's twin, shuffled"
runs[TWIN], accuracy = fit_classifier(twin, shuffled_train, shuffled_test, steps=TRAIN_STEPS)
print(f"{TWIN:24s} {count_parameters(twin):6,} parameters, test accuracy {accuracy:.3f}")
first, last = runs["MLP"], runs[TWIN]
print(f"the MLP and its twin after {first[0]['step']} steps: test accuracy "
      f"{first[0]['val_accuracy']:.3f} and {last[0]['val_accuracy']:.3f}, test loss "
      f"{first[0]['val_loss']:.5f} and {last[0]['val_loss']:.5f}")

fig, ax = plt.subplots(figsize=(8, 4), layout="constrained")
styles = {"CNN": "-", "CNN, shuffled": "--", "MLP": "-", "MLP, shuffled": "--",
          "MLP's twin, shuffled": ":"}
for name, history in runs.items():
    ax.plot(history["step"], [100 * a for a in history["val_accuracy"]], styles[name],
            marker=".",
            color="tab:blue" if name.startswith("CNN") else "tab:orange",
            linewidth=3 if name == "MLP's twin, shuffled" else 1.5, label=name)
ax.set(xlabel="step", ylabel="test accuracy (%)", ylim=(0, 100),
       title="MNIST-1D: the CNN needs neighbouring positions to be neighbours")
ax.legend()
plt.show()

# %% [markdown]
# ## 5. Engineered features against learned ones
#
# The classical pipeline makes features by hand and fits a simple classifier to them. The
# library's `chainrule.experiments.features` makes 41: the magnitudes of the signal's 21 Fourier
# coefficients (which frequencies it holds, wherever they sit), ten summary statistics, and the
# best correlation of the signal with each class's mean training signal over all shifts
# (template matching). The CNN learns its features instead: its last layer is a linear
# classifier on the 125 numbers its convolutions compute.
#
# ### Exercise 8: the CNN's features (2 points)
#
# Write `cnn_features(model, x)`: for the paper's CNN (`chainrule.models.mnist1d.CNN`) and
# signals x (N, 40), return what its `linear` layer reads, (N, 5·channels): the three
# convolutions, each followed by a ReLU, flattened (see `CNN.forward`).

# %% nbgrader={"grade": false, "grade_id": "cnn_features", "locked": false, "schema_version": 3, "solution": true}
def cnn_features(model, x):
    """The input of model.linear for signals x (N, 40): (N, 5 * channels)."""
    ### BEGIN SOLUTION
    h = x.unsqueeze(1)
    for conv in (model.conv1, model.conv2, model.conv3):
        h = F.relu(conv(h))
    return h.flatten(1)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "cnn_features_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false}
torch.manual_seed(0)
model = CNN()
x = torch.tensor(test_set.x[:10])
check_shape(cnn_features(model, x), (10, 125), "cnn_features of 10 signals, 25 channels")
check_close(model.linear(cnn_features(model, x)), model(x),
            "the CNN's linear layer on your features against the CNN's logits", rtol=1e-5,
            atol=1e-6)
### BEGIN HIDDEN TESTS
torch.manual_seed(1)
model = CNN(channels=7)
x = torch.tensor(shuffled_test.x[:30])
features = cnn_features(model, x)
check_shape(features, (30, 35), "cnn_features of 30 signals, 7 channels")
check_close(model.linear(features), model(x), "a 7-channel CNN's logits from your features",
            rtol=1e-5, atol=1e-6)
check_true(features.min().item() >= 0, "the features come after a ReLU: none is negative")
features.sum().backward()
check_true(model.conv1.weight.grad is not None and model.conv1.weight.grad.abs().sum().item() > 0,
           "cnn_features should be differentiable down to conv1's weights")
### END HIDDEN TESTS

# %% [markdown]
# Four linear classifiers (logistic regression, `Logistic`) trained the same way, on different
# inputs: the raw signal, the 41 engineered features, the 125 features of a CNN with random
# weights (never trained), and the 125 features of the CNN trained in section 4 (frozen: only the
# new linear layer learns). Features are standardised with the training set's statistics.

# %% nbgrader={"grade": false, "grade_id": "features_compared", "locked": true, "schema_version": 3, "solution": false}
def linear_probe(train_features, test_features):
    """Logistic regression on standardised features; returns its test accuracy."""
    standardise = Standardiser(train_features)
    data = [TensorDataset(torch.tensor(standardise(f)), torch.tensor(split.y))
            for f, split in ((train_features, train_set), (test_features, test_set))]
    torch.manual_seed(42)
    _, accuracy = fit_classifier(Logistic(train_features.shape[1]), *data, steps=TRAIN_STEPS)
    return accuracy


templates = class_templates(train_set.x.astype(np.float64), train_set.y)
torch.manual_seed(0)
random_cnn = CNN()
with torch.no_grad():
    inputs = {
        "raw signal (40)": (train_set.x, test_set.x),
        "engineered (41)": (engineered_features(train_set.x, templates),
                            engineered_features(test_set.x, templates)),
        "random CNN's features (125)": tuple(
            cnn_features(random_cnn, torch.tensor(split.x)).numpy()
            for split in (train_set, test_set)),
        "trained CNN's features (125)": tuple(
            cnn_features(trained["CNN"], torch.tensor(split.x)).numpy()
            for split in (train_set, test_set)),
    }
probes = {}
for name, (train_features, test_features) in inputs.items():
    probes[name] = linear_probe(train_features, test_features)
    print(f"logistic regression on {name:30s} test accuracy {probes[name]:.3f}")
print(f"{'the CNN trained end to end':50s} test accuracy {runs['CNN'][-1]['val_accuracy']:.3f}")

# %% [markdown]
# What the two kinds of features look like. Left: the engineered matched filters, each class's
# mean training signal, standardised (40 positions, one template per digit, compared with the
# signal at every shift; blurred, since the digits sit at different places in the signals).
# Right: the CNN's 25 learned first-layer filters (5 taps each, one shared scale), sorted by the
# frequency they respond to most. The engineered features are global and few; the learned ones
# are local, and the layers above compose them into the 125 features the classifier reads.

# %% nbgrader={"grade": false, "grade_id": "filters_drawn", "locked": true, "schema_version": 3, "solution": false}
filters = trained["CNN"].conv1.weight.detach().numpy()[:, 0]            # (25, 5)
peak = np.abs(np.fft.rfft(filters, n=40, axis=1)).argmax(axis=1)       # cycles per 40 positions
order = np.argsort(peak, kind="stable")
fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5), layout="constrained",
                                  gridspec_kw={"width_ratios": [1.6, 1]})
templates = class_templates(train_set.x.astype(np.float64), train_set.y)
image = left.imshow(templates, cmap="RdBu_r", vmin=-2.5, vmax=2.5, aspect="auto")
left.set(xlabel="position", ylabel="digit", yticks=range(10),
         title=f"engineered: the 10 class templates (+ {FOURIER_TERMS} Fourier magnitudes, "
         f"{len(STATISTICS)} statistics)")
fig.colorbar(image, ax=left, label="standardised value")
limit = np.abs(filters).max()
image = right.imshow(filters[order], cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto")
right.set(xlabel="tap", ylabel="filter (by peak frequency)", xticks=range(5), yticks=[],
          title="learned: the CNN's 25 first-layer filters")
fig.colorbar(image, ax=right, label="weight")
plt.show()
print("peak frequency of the learned filters (cycles per 40 positions):", sorted(peak.tolist()))

# %% [markdown]
# ## What to take away
#
# - A convolution is a matrix product of the filters with the patches of the input (im2col);
#   autograd differentiates it through the gather, with no backward written by hand.
# - L_out = ⌊(L + 2p − d(K − 1) − 1)/s⌋ + 1, and a stack's receptive field grows by
#   d(K − 1) times the product of the strides below: strides and dilations widen it fast.
#   One backward pass measures it.
# - A convolution is a dense layer with a banded matrix whose entries repeat: the paper's CNN
#   has a third of the MLP's parameters and beats it by more than 20 points on MNIST-1D.
# - That advantage is the assumption that neighbouring positions belong together. Shuffle the
#   positions and the CNN loses it, while the MLP, which assumes nothing about the order, has an
#   exact twin on the shuffled data and does as well as before.
# - Hand-made features lift a linear classifier far above the raw signal. The trained CNN's
#   features lift it further, to the CNN's own accuracy (its last layer is such a classifier).
#   A CNN with random weights makes features that help too, but far less: the architecture
#   gives a start, the training makes the features.
