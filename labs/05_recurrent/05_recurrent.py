# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lab 05: Recurrent networks and a character-level language model
#
# A recurrent network reads a sequence one element at a time and keeps a **hidden state** h_t,
# a summary of everything it has read so far. Trained to predict the next character of a text,
# it becomes a **language model**: a probability for every possible next character, from which
# we can compute how well it predicts held-out text and from which we can sample new text.
#
# 1. The recurrence by hand: one step of a tanh RNN, then the whole sequence, checked against
#    `chainrule.nn.RNN` with the same weights.
# 2. Gradients through time: ‖∂L/∂h_t‖ for every step t of a long sequence. They vanish or
#    explode geometrically, depending on the recurrent weights' scale; an LSTM's forget gate
#    decides how long they last (Bengio, Simard & Frasconi 1994; Pascanu, Mikolov & Bengio 2013).
# 3. Gradient clipping by the global norm, written by you, on a network whose gradients explode.
# 4. Truncated backpropagation through time on Shakespeare: the hidden state carried from chunk
#    to chunk, and detached, so that each update backpropagates k steps only.
# 5. A bigram model by counting, and a small LSTM language model (`chainrule.models.charlm.CharLM`)
#    compared with it on 32,033 first names, in nats per character of held-out names.
# 6. Sampling: softmax(logits / T) with a temperature T and top-k, and names sampled at
#    T = 0.5, 1 and 1.5.
#
# Every exercise is a function whose body you write between the markers; the cell after it
# checks it, and the grader runs hidden checks too. Seeds are fixed, so every run of this
# notebook gives the same numbers.

# %% tags=["parameters"] nbgrader={"grade": false, "grade_id": "parameters", "locked": true, "schema_version": 3, "solution": false}
QUICK = False   # the test suite runs every lab with QUICK = True (a cell injected after this one)

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false}
import copy
import math
import os
import time

# One BLAS thread: the matrices here are small, and on a busy machine competing BLAS threads
# make them much slower (see lab 03's README). It counts only if set before NumPy is loaded.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import matplotlib.pyplot as plt

# The figures inline, whatever MPLBACKEND says (a headless run with MPLBACKEND=Agg draws none).
# %matplotlib inline

import chainrule as torch
from chainrule import nn
from chainrule.data import DataLoader, random_split
from chainrule.data.datasets.text import CharLines, CharVocab, load_corpus
from chainrule.labs.checks import check_close, check_equal, check_shape, check_true
from chainrule.models.charlm import CharLM
from chainrule.nn import functional as F

# Sizes. QUICK only checks that every cell runs.
T_LONG = 30 if QUICK else 100           # the sequence length of section 2
CLIP_STEPS = 40 if QUICK else 600       # training steps of the clipping experiment
TBPTT_CHARS = 400 if QUICK else 6000    # characters of each row read in section 4's comparison
NAMES_STEPS = 20 if QUICK else 1500     # training steps of the names model (batches of 64)
HIDDEN = 32 if QUICK else 128           # the language models' hidden size

# %% [markdown]
# ## 1. The recurrence by hand
#
# An Elman RNN with a tanh nonlinearity, in PyTorch's (and chainrule's) notation:
#
#     h_t = tanh(x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh),    t = 1, …, T,
#
# with x_t of shape (N, I) (a batch of N inputs of size I), h_t of shape (N, H), W_ih (H, I),
# W_hh (H, H), b_ih and b_hh (H,). The same weights are used at every step; h_0 is given
# (zeros by default).
#
# ### Exercise 1: one step (2 points)
#
# Write `rnn_step(x, h, W_ih, W_hh, b_ih, b_hh)`: h' from the formula above
# (`torch.tanh`, `@`, `.T`).

# %% nbgrader={"grade": false, "grade_id": "rnn_step", "locked": false, "schema_version": 3, "solution": true}
def rnn_step(x, h, W_ih, W_hh, b_ih, b_hh):
    """One step of a tanh RNN: x (N, I), h (N, H) -> the next hidden state (N, H)."""
    ### BEGIN SOLUTION
    return torch.tanh(x @ W_ih.T + b_ih + h @ W_hh.T + b_hh)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "rnn_step_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false}
# One unit, one input: h' = tanh(2 * 0.5 + 0.1 + 0.3 * (-1) + 0.2) = tanh(1.0).
one = rnn_step(torch.tensor([[2.0]]), torch.tensor([[-1.0]]), torch.tensor([[0.5]]),
               torch.tensor([[0.3]]), torch.tensor([0.1]), torch.tensor([0.2]))
check_close(one, [[math.tanh(1.0)]], "rnn_step with one unit: tanh(2*0.5 + 0.1 + 0.3*(-1) + 0.2)")
torch.manual_seed(0)
cell = nn.RNNCell(3, 4)
x, h = torch.randn(5, 3), torch.randn(5, 4)
check_shape(rnn_step(x, h, cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh), (5, 4),
            "rnn_step for a batch of 5, input size 3, hidden size 4")
### BEGIN HIDDEN TESTS
torch.manual_seed(1)
for inputs, hidden in ((3, 4), (1, 7), (6, 2)):
    cell = nn.RNNCell(inputs, hidden, dtype=torch.float64)
    x = torch.randn(8, inputs, dtype=torch.float64)
    h = torch.randn(8, hidden, dtype=torch.float64)
    check_close(rnn_step(x, h, cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh),
                cell(x, h).detach(), f"rnn_step against nn.RNNCell({inputs}, {hidden})",
                rtol=1e-10, atol=1e-12)
# The weights are not square in general: W_ih (H, I) must be transposed, and so must W_hh.
cell = nn.RNNCell(3, 3, dtype=torch.float64)
x, h = torch.randn(4, 3, dtype=torch.float64), torch.randn(4, 3, dtype=torch.float64)
check_close(rnn_step(x, h, cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh),
            cell(x, h).detach(), "rnn_step with square weights (W_ih and W_hh transposed?)",
            rtol=1e-10, atol=1e-12)
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 2: the whole sequence (2 points)
#
# Write `rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh)`: x has shape
# (T, N, I), time first; return the list [h_1, …, h_T] of the T hidden states (each (N, H)),
# computed with your `rnn_step`. Keep each h_t as it is (no `detach`): section 2 differentiates
# through them.

# %% nbgrader={"grade": false, "grade_id": "rnn_forward", "locked": false, "schema_version": 3, "solution": true}
def rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh):
    """The hidden states [h_1, ..., h_T] of a tanh RNN over x (T, N, I) from h0 (N, H)."""
    ### BEGIN SOLUTION
    states, h = [], h0
    for x_t in x:
        h = rnn_step(x_t, h, W_ih, W_hh, b_ih, b_hh)
        states.append(h)
    return states
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "rnn_forward_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false}
torch.manual_seed(0)
rnn = nn.RNN(3, 4)   # time first (batch_first=False), as rnn_forward
x, h0 = torch.randn(6, 2, 3), torch.randn(1, 2, 4)
output, h_last = rnn(x, h0)   # output: every h_t, (T, N, H); h_last: h_T, (layers, N, H)
states = rnn_forward(x, h0[0], rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.bias_ih_l0, rnn.bias_hh_l0)
check_equal(len(states), 6, "the number of hidden states for a sequence of length 6")
check_close(torch.stack(states).detach(), output.detach(), "[h_1, ..., h_T] against nn.RNN's output",
            rtol=1e-4, atol=1e-6)
### BEGIN HIDDEN TESTS
torch.manual_seed(3)
rnn = nn.RNN(5, 7, dtype=torch.float64)
x = torch.randn(9, 3, 5, dtype=torch.float64)
weights = (rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.bias_ih_l0, rnn.bias_hh_l0)
output, h_last = rnn(x)   # h0 = zeros
states = rnn_forward(x, torch.zeros(3, 7, dtype=torch.float64), *weights)
check_close(torch.stack(states).detach(), output.detach(), "rnn_forward from h0 = 0 against nn.RNN",
            rtol=1e-10, atol=1e-12)
check_close(states[0].detach(), torch.tanh(x[0] @ weights[0].T + weights[2] + weights[3]).detach(),
            "h_1 from h_0 = 0 (the first state returned is h_1, not h_0)", rtol=1e-10, atol=1e-12)
# The gradients flow through every state: a loss on all of them, differentiated both ways.
probe = torch.randn(9, 3, 7, dtype=torch.float64)
expected = torch.autograd.grad((output * probe).sum(), weights)
got = torch.autograd.grad((torch.stack(rnn_forward(
    x, torch.zeros(3, 7, dtype=torch.float64), *weights)) * probe).sum(), weights)
for name, g, e in zip(("W_ih", "W_hh", "b_ih", "b_hh"), got, expected):
    check_close(g, e, f"the gradient with respect to {name} through rnn_forward, against nn.RNN's",
                rtol=1e-9, atol=1e-12)
### END HIDDEN TESTS

# %% [markdown]
# ## 2. Gradients through time
#
# Let the loss L depend on the last state only. By the chain rule, its gradient with respect to
# an earlier state is a product of one Jacobian per step:
#
#     ∂L/∂h_t = ∂L/∂h_T · J_T J_{T−1} ⋯ J_{t+1},     J_s = ∂h_s/∂h_{s−1} = diag(1 − h_s²) W_hh.
#
# Each factor multiplies the gradient's norm by roughly the same amount, so over T − t steps it
# shrinks or grows geometrically: it **vanishes** when W_hh's largest singular value is below 1
# (tanh' ≤ 1 only makes it smaller) and may **explode** when it is well above 1 and the units
# are not saturated (Pascanu et al. 2013, section 2). A vanishing gradient means that the network
# cannot learn from what happened many steps back; an exploding one, that a single update can
# throw the weights far away.
#
# ### Exercise 3: the gradient norm of every state (3 points)
#
# Write `grad_norms(loss, states)`: the list of the Euclidean norms
# ‖∂loss/∂s‖ (Python floats), one per tensor s in `states`, in one backward pass:
# `torch.autograd.grad(loss, states, ...)` returns the gradients with respect to non-leaf tensors
# too, without touching any `.grad`. A state the loss does not depend on has gradient 0 (look at
# `autograd.grad`'s `materialize_grads`).

# %% nbgrader={"grade": false, "grade_id": "grad_norms", "locked": false, "schema_version": 3, "solution": true}
def grad_norms(loss, states):
    """[||d loss / d s|| for s in states], Python floats, 0.0 where loss does not depend on s."""
    ### BEGIN SOLUTION
    grads = torch.autograd.grad(loss, list(states), materialize_grads=True)
    return [g.norm().item() for g in grads]
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "grad_norms_tests", "locked": true, "points": 3, "schema_version": 3, "solution": false}
# s1 = 2a, s2 = 3 s1, loss = sum(s2): d loss/d s2 = (1, 1), d loss/d s1 = (3, 3).
a = torch.tensor([1.0, -2.0], requires_grad=True)
s1 = 2 * a
s2 = 3 * s1
norms = grad_norms(s2.sum(), [s1, s2])
check_true(isinstance(norms, list) and all(isinstance(n, float) for n in norms),
           f"grad_norms should return a list of Python floats, got {norms!r}")
check_close(norms, [3 * math.sqrt(2), math.sqrt(2)], "grad_norms of sum(3 * s1) with s1 = 2a")
### BEGIN HIDDEN TESTS
# Against .retain_grad() and backward(), on an RNN's states; then a state the loss does not use.
torch.manual_seed(4)
rnn = nn.RNN(3, 6, dtype=torch.float64)
weights = (rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.bias_ih_l0, rnn.bias_hh_l0)
x = torch.randn(12, 2, 3, dtype=torch.float64)


def reference_states():
    states, h = [], torch.zeros(2, 6, dtype=torch.float64)
    for x_t in x:
        h = torch.tanh(x_t @ weights[0].T + weights[2] + h @ weights[1].T + weights[3])
        states.append(h)
    return states


states = reference_states()
for state in states:
    state.retain_grad()
(states[-1] ** 2).sum().backward()
expected = [state.grad.norm().item() for state in states]
states = reference_states()
check_close(grad_norms((states[-1] ** 2).sum(), states), expected,
            "grad_norms of an RNN's 12 states against .retain_grad() and backward()", rtol=1e-9)
states = reference_states()
check_close(grad_norms((states[5] ** 2).sum(), states)[6:], [0.0] * 6,
            "grad_norms of states the loss does not depend on (those after step 6)")
b = torch.tensor([3.0, 4.0], requires_grad=True)
check_close(grad_norms((b * b).sum() / 2, (b,)), [5.0], "grad_norms of |b|^2 / 2 at b = (3, 4) "
            "(a tuple of states, a leaf)")
check_true(b.grad is None, "grad_norms should not write into .grad (use torch.autograd.grad)")
### END HIDDEN TESTS

# %% [markdown]
# Now a long sequence: T steps of standard normal inputs (N = 16, I = 4) through a tanh RNN with
# H = 64 units, W_ih drawn with std 1/√I, no biases, and W_hh = scale · G/√H with G standard
# normal, so that its largest eigenvalues have modulus about `scale` (the circular law). The
# loss is ‖h_T‖² / N. Then an LSTM (`nn.LSTMCell`, the same inputs) whose forget gates'
# bias is set to 0 or to 3: its cell state is carried as c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t, so
# along c the gradient is multiplied by the forget gate f_t at each step, σ(0) = 0.5 or
# σ(3) ≈ 0.95 at the start; the network learns these gates.

# %% nbgrader={"grade": false, "grade_id": "through_time", "locked": true, "schema_version": 3, "solution": false}
N, I, H = 16, 4, 64
torch.manual_seed(0)
x_long = torch.randn(T_LONG, N, I)
W_ih = torch.randn(H, I) / math.sqrt(I)
G = torch.randn(H, H) / math.sqrt(H)
no_bias = torch.zeros(H)
curves = {}
for scale in (0.5, 1.0, 3.0):
    W_hh = (scale * G).requires_grad_()   # so that the states are part of a graph
    states = rnn_forward(x_long, torch.zeros(N, H), W_ih, W_hh, no_bias, no_bias)
    curves[f"tanh RNN, W_hh scale {scale}"] = grad_norms((states[-1] ** 2).sum() / N, states)
for forget_bias in (0.0, 3.0):
    torch.manual_seed(0)
    lstm = nn.LSTMCell(I, H)
    with torch.no_grad():   # gates in the order (input, forget, cell, output), H rows each
        lstm.bias_ih[H:2 * H] = forget_bias
        lstm.bias_hh[H:2 * H] = 0.0
    h, c, states = torch.zeros(N, H), torch.zeros(N, H), []
    for x_t in x_long:
        h, c = lstm(x_t, (h, c))
        states.append(h)
    curves[f"LSTM, forget-gate bias {forget_bias:g}"] = grad_norms((states[-1] ** 2).sum() / N,
                                                                   states)

fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
for (name, norms), style in zip(curves.items(), ("-", "-", "-", "--", "--")):
    steps_back = [T_LONG - t for t in range(1, T_LONG + 1)]
    ax.semilogy(steps_back, [max(n, 1e-30) for n in norms], style, label=name)
ax.set(xlabel="steps back from the last state, T − t", ylabel="‖∂L/∂h_t‖ (log scale)",
       title=f"The gradient through time, T = {T_LONG}")
ax.invert_xaxis()
ax.legend()
plt.show()
for name, norms in curves.items():
    print(f"{name:32s} ‖∂L/∂h_T‖ {norms[-1]:8.2e}   ‖∂L/∂h_1‖ {norms[0]:8.2e}   "
          f"ratio {norms[0] / norms[-1]:8.1e}")

# %% [markdown]
# At scale 0.5 the gradient loses a factor of 2 to 3 per step: some 50 steps back it is below
# the smallest float32 and becomes exactly 0 (drawn at 10⁻³⁰). At scale 1 the tanh's saturation
# makes it vanish too, more slowly. At scale 3 it grows back in time by about ten orders of
# magnitude. The LSTM with its default initialization (forget bias 0) forgets about as fast as
# the RNN at scale 1; with the forget gates open (bias 3), the gradient 100 steps back is of the
# same order as the last one. This is why LSTMs and GRUs learn long dependencies that plain RNNs
# do not, and why a forget-gate bias of 1 or more is a common initialization (Jozefowicz,
# Zaremba & Sutskever 2015).
#
# ## 3. Clipping the gradient
#
# Exploding gradients have a simple cure: if the gradient of all the parameters together is
# longer than a threshold, shorten it to that length, keeping its direction (Pascanu et al. 2013,
# algorithm 1). With g the concatenation of every parameter's gradient,
#
#     total = ‖g‖₂ = √(Σ_p ‖p.grad‖²),     g ← g · max_norm / (total + 10⁻⁶)  if that factor is < 1.
#
# (The 10⁻⁶ is PyTorch's: it keeps a zero gradient from dividing by zero.)
#
# ### Exercise 4: clipping by the global norm (3 points)
#
# Write `clip_grad_norm(parameters, max_norm)`: scale every
# parameter's `.grad` in place (`p.grad.mul_(factor)`) as above, skip parameters whose `.grad`
# is None, and return `total` as a Python float (the norm *before* clipping). This is
# `nn.utils.clip_grad_norm_`; do not call it.

# %% nbgrader={"grade": false, "grade_id": "clip_grad_norm", "locked": false, "schema_version": 3, "solution": true}
def clip_grad_norm(parameters, max_norm):
    """Scale the gradients of parameters in place so that their total 2-norm is at most max_norm;
    return the total norm before clipping, as a float."""
    ### BEGIN SOLUTION
    grads = [p.grad for p in parameters if p.grad is not None]
    total = math.sqrt(sum((g ** 2).sum().item() for g in grads))
    factor = max_norm / (total + 1e-6)
    if factor < 1:
        with torch.no_grad():
            for g in grads:
                g.mul_(factor)
    return total
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "clip_grad_norm_tests", "locked": true, "points": 3, "schema_version": 3, "solution": false}
# Gradients (3, 0) and (4,): total norm 5; clipped to 1 they become (0.6, 0) and (0.8,).
p, q = torch.zeros(2, requires_grad=True), torch.zeros(1, requires_grad=True)
p.grad, q.grad = torch.tensor([3.0, 0.0]), torch.tensor([4.0])
total = clip_grad_norm([p, q], 1.0)
check_close(total, 5.0, "the total norm of the gradients (3, 0) and (4,)")
check_close(p.grad, [0.6, 0.0], "p.grad after clipping to norm 1", rtol=1e-5)
check_close(q.grad, [0.8], "q.grad after clipping to norm 1", rtol=1e-5)
### BEGIN HIDDEN TESTS
check_true(isinstance(total, float), f"clip_grad_norm should return a float, got {type(total)}")
torch.manual_seed(5)
for max_norm in (0.1, 1.0, 1e6):   # clipped hard, a little, not at all
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))
    frozen = nn.Linear(2, 2)       # parameters without a gradient are skipped
    reference = copy.deepcopy(model)
    x = torch.randn(10, 4)
    for m in (model, reference):
        (m(x) ** 2).sum().backward()
    expected = nn.utils.clip_grad_norm_(reference.parameters(), max_norm).item()
    got = clip_grad_norm(list(model.parameters()) + list(frozen.parameters()), max_norm)
    check_close(got, expected, f"the total norm returned, against nn.utils.clip_grad_norm_ "
                f"(max_norm {max_norm})", rtol=1e-5)
    for (name, a), b in zip(model.named_parameters(), reference.parameters()):
        check_close(a.grad, b.grad, f"{name}.grad clipped to max_norm {max_norm}, against "
                    "nn.utils.clip_grad_norm_", rtol=1e-5, atol=1e-9)
    check_true(frozen.weight.grad is None, "a parameter without .grad should stay without")
zero = torch.zeros(3, requires_grad=True)
zero.grad = torch.zeros(3)
check_close(clip_grad_norm([zero], 1.0), 0.0, "the total norm of zero gradients")
check_close(zero.grad, [0.0, 0.0, 0.0], "zero gradients stay zero (no division by zero)")
### END HIDDEN TESTS

# %% [markdown]
# The exploding case, trained. The task: read a sequence of 50 standard normal numbers and
# output, at the end, the one 5 steps before the last (`nn.RNN(1, 32)` and a linear read-out,
# squared error, SGD with lr 0.05, batches of 32). The recurrent weights start at scale 2, as in
# section 2 but less extreme. Once without clipping, once with your `clip_grad_norm` at 1.

# %% nbgrader={"grade": false, "grade_id": "clipping_run", "locked": true, "schema_version": 3, "solution": false}
def recall_run(max_norm, steps, scale=2.0, length=50, hidden=32):
    """Train RNN + Linear to output x[-5] after reading x; the losses and gradient norms."""
    torch.manual_seed(0)
    rnn, head = nn.RNN(1, hidden), nn.Linear(hidden, 1)
    with torch.no_grad():
        rnn.weight_hh_l0.copy_(scale * torch.randn(hidden, hidden) / math.sqrt(hidden))
    parameters = list(rnn.parameters()) + list(head.parameters())
    optimizer = torch.optim.SGD(parameters, lr=0.05)
    data = torch.Generator().manual_seed(1)
    losses, norms = [], []
    for _ in range(steps):
        x = torch.randn(length, 32, 1, generator=data)
        output, _ = rnn(x)
        loss = F.mse_loss(head(output[-1]), x[-5])
        optimizer.zero_grad()
        loss.backward()
        norms.append(clip_grad_norm(parameters, max_norm))
        optimizer.step()
        losses.append(loss.item())
    return losses, norms


runs = {"no clipping": recall_run(math.inf, CLIP_STEPS),
        "clipped at norm 1": recall_run(1.0, CLIP_STEPS)}
fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4), layout="constrained")
for name, (losses, norms) in runs.items():
    left.semilogy(losses, linewidth=0.8, label=name)
    right.semilogy(norms, linewidth=0.8, label=name)
left.set(xlabel="step", ylabel="training loss (log scale)", title="loss (1 = predicting 0)")
right.set(xlabel="step", ylabel="‖gradient‖ before clipping", title="the gradient's norm")
left.legend()
right.legend()
plt.show()
for name, (losses, norms) in runs.items():
    tail = [v for v in losses[-50:] if math.isfinite(v)]
    print(f"{name:18s} largest loss {max(losses):9.3g}, largest gradient norm {max(norms):9.3g}, "
          f"mean loss of the last 50 steps {sum(tail) / max(len(tail), 1):.3f}")

# %% [markdown]
# Without clipping, a few steps with a gradient norm of 10⁴–10⁶ throw the weights so far that
# the loss jumps by orders of magnitude and takes hundreds of steps to come back; clipped, the
# same gradients become steps of length at most lr · 1, and the loss falls well below that of
# predicting 0.
#
# ## 4. Truncated backpropagation through time
#
# A long text does not fit into one graph: backpropagating through a million characters would
# keep a million steps of activations in memory. **Truncated BPTT** (Williams & Peng 1990;
# Sutskever 2013, section 2.8) cuts the text into B parallel rows, reads each row in chunks of
# k characters and makes one update per chunk:
#
# - the hidden state at the end of a chunk is the initial state of the next one, so the network
#   still *sees* the whole past;
# - but it is **detached** (`state.detach()`: the same values, no history), so backward stops at
#   the chunk's start: the gradient reaches at most k steps back, and one update costs k steps
#   of forward and backward, however far into the text we are.
#
# The text is tiny Shakespeare (1.1 MB, `load_corpus("shakespeare")`); 90 % of it for
# training, 10 % for validation, each cut into B = 32 rows.

# %% nbgrader={"grade": false, "grade_id": "shakespeare", "locked": true, "schema_version": 3, "solution": false}
text = load_corpus("shakespeare")
vocab = CharVocab(text)
codes = torch.tensor(vocab.encode(text))
split = int(0.9 * len(codes))


def rows(codes, batch):
    """codes cut into `batch` rows: inputs X (batch, L) and targets Y, each character's next."""
    length = (len(codes) - 1) // batch
    return (codes[:batch * length].reshape(batch, length),
            codes[1:batch * length + 1].reshape(batch, length))


X_train, Y_train = rows(codes[:split], 32)
X_val, Y_val = rows(codes[split:], 32)
print(f"{len(text):,} characters, {len(vocab)} distinct; rows of {X_train.shape[1]:,} "
      f"(training) and {X_val.shape[1]:,} (validation) characters")
print(repr(text[:120]))

# %% [markdown]
# ### Exercise 5: the truncated-BPTT loop (4 points)
#
# Write `train_tbptt(model, optimizer, X, Y, k, steps, max_norm=1.0)` for a `CharLM`
# (attributes `embedding`, `rnn`, `head`). Chunk i is `X[:, i*k:(i+1)*k]` with targets
# `Y[:, i*k:(i+1)*k]`, for i = 0, …, steps − 1. For each chunk:
#
# 1. `output, state = model.rnn(model.embedding(x), state)`, starting from `state = None`
#    (zeros), then `logits = model.head(output)`, of shape (B, k, V);
# 2. the loss: `F.cross_entropy` of the logits reshaped to (B·k, V) and the targets to (B·k,);
# 3. `zero_grad`, `backward`, `nn.utils.clip_grad_norm_(model.parameters(), max_norm)` (unless
#    max_norm is None), `step`;
# 4. detach the state for the next chunk. An LSTM's state is a tuple (h, c): detach both.
#
# (An error "backward through ... a second time" means the state was not detached: the second
# chunk's backward tried to go on into the first chunk's graph, which the first backward freed.
# The cure here is the detach, not `retain_graph=True`.)
#
# Return the list of the chunks' losses (floats).

# %% nbgrader={"grade": false, "grade_id": "train_tbptt", "locked": false, "schema_version": 3, "solution": true}
def train_tbptt(model, optimizer, X, Y, k, steps, max_norm=1.0):
    """`steps` updates, one per chunk of k columns of X (B, L), the state carried and detached;
    returns the chunks' losses."""
    ### BEGIN SOLUTION
    state, losses = None, []
    for i in range(steps):
        x, y = X[:, i * k:(i + 1) * k], Y[:, i * k:(i + 1) * k]
        output, state = model.rnn(model.embedding(x), state)
        logits = model.head(output)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        if max_norm is not None:
            nn.utils.clip_grad_norm_(model.parameters(), max_norm)
        optimizer.step()
        state = tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()
        losses.append(loss.item())
    return losses
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "train_tbptt_tests", "locked": true, "points": 4, "schema_version": 3, "solution": false}
# A text that repeats "abcd": after some updates the next character is easy to predict.
tiny_vocab = CharVocab("abcd")
stream = torch.tensor(tiny_vocab.encode("abcd" * 100))
X_tiny, Y_tiny = rows(stream, 4)
torch.manual_seed(0)
model = CharLM(tiny_vocab, "gru", embedding_dim=8, hidden_size=16)
optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
losses = train_tbptt(model, optimizer, X_tiny, Y_tiny, k=5, steps=15)
check_equal(len(losses), 15, "the number of losses for steps=15")
check_true(all(isinstance(v, float) for v in losses), "train_tbptt should return Python floats")
check_close(losses[0], math.log(4), "the first chunk's loss (about log 4 for 4 characters)",
            rtol=0.15)
check_true(losses[-1] < 0.5 * losses[0], f"15 updates on 'abcdabcd...' should halve the loss, "
           f"went {losses[0]:.3f} -> {losses[-1]:.3f}")
### BEGIN HIDDEN TESTS
def reference_tbptt(model, optimizer, X, Y, k, steps, max_norm, carry=True):
    state, losses = None, []
    for i in range(steps):
        output, state = model.rnn(model.embedding(X[:, i * k:(i + 1) * k]), state)
        logits = model.head(output)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                               Y[:, i * k:(i + 1) * k].reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        if max_norm is not None:
            nn.utils.clip_grad_norm_(model.parameters(), max_norm)
        optimizer.step()
        state = tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()
        if not carry:
            state = None
        losses.append(loss.item())
    return losses


torch.manual_seed(6)
X_rand = torch.randint(0, 4, (3, 40))
Y_rand = torch.randint(0, 4, (3, 40))
for kind, max_norm in (("lstm", 0.05), ("gru", None), ("rnn", 0.5)):
    torch.manual_seed(7)
    model = CharLM(tiny_vocab, kind, embedding_dim=4, hidden_size=6)
    reference = copy.deepcopy(model)
    got = train_tbptt(model, torch.optim.SGD(model.parameters(), lr=0.5), X_rand, Y_rand, 6, 5,
                      max_norm)
    expected = reference_tbptt(reference, torch.optim.SGD(reference.parameters(), lr=0.5),
                               X_rand, Y_rand, 6, 5, max_norm)
    what = f"{kind}, k = 6, 5 chunks, max_norm {max_norm}"
    check_close(got, expected, f"the chunks' losses ({what}; the state carried from chunk to "
                "chunk, clipping as asked)", rtol=1e-4)
    for (name, a), b in zip(model.named_parameters(), reference.parameters()):
        check_close(a, b, f"parameter {name} after the 5 updates ({what})", rtol=1e-4, atol=1e-6)
torch.manual_seed(7)
model = CharLM(tiny_vocab, "lstm", embedding_dim=4, hidden_size=6)
not_carried = reference_tbptt(copy.deepcopy(model), torch.optim.SGD(model.parameters(), lr=0.0),
                              X_rand, Y_rand, 6, 3, None, carry=False)
carried = train_tbptt(model, torch.optim.SGD(model.parameters(), lr=0.0), X_rand, Y_rand, 6, 3)
check_true(abs(carried[1] - not_carried[1]) > 1e-6, "with lr = 0 the second chunk's loss should "
           "still differ from a run that restarts from zeros: is the state carried over?")
### END HIDDEN TESTS

# %% [markdown]
# What `detach` changes, seen on an LSTM whose forget gates start open (bias 3, as in
# section 2) over 4 chunks of k = 25 characters. Left: the gradient of the *last* chunk's loss
# with respect to the input of every position (the embedding vectors), computed with your
# `grad_norms`. Right: the time of each chunk's backward pass when the state is not detached
# (so each backward goes through every earlier chunk, and must keep their graphs:
# `retain_graph=True`, no optimizer step between, since a step changes the weights in place
# that the earlier chunks' graphs saved) against detached.

# %% nbgrader={"grade": false, "grade_id": "detach_effect", "locked": true, "schema_version": 3, "solution": false}
def chunked(model, X, Y, k, chunks, detach, time_backward=False):
    """The last chunk's loss and the per-position inputs; or each chunk's backward time."""
    state, inputs, seconds = None, [], []
    for i in range(chunks):
        x, y = X[:, i * k:(i + 1) * k], Y[:, i * k:(i + 1) * k]
        vectors = [v.detach().requires_grad_() for v in model.embedding(x).unbind(1)]
        inputs += vectors
        output, state = model.rnn(torch.stack(vectors, dim=1), state)
        loss = F.cross_entropy(model.head(output).reshape(-1, len(model.vocab)), y.reshape(-1))
        if time_backward:
            start = time.perf_counter()
            loss.backward(retain_graph=True)
            seconds.append(time.perf_counter() - start)
        if detach:
            state = tuple(s.detach() for s in state)
    return loss, inputs, seconds


torch.manual_seed(0)
lstm_lm = CharLM(vocab, "lstm", embedding_dim=16, hidden_size=HIDDEN)
with torch.no_grad():
    lstm_lm.rnn.bias_ih_l0[HIDDEN:2 * HIDDEN] = 3.0
fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4), layout="constrained")
for detach in (False, True):
    loss, inputs, _ = chunked(lstm_lm, X_train, Y_train, 25, 4, detach)
    norms = grad_norms(loss, inputs)
    left.plot(range(len(norms)), norms, "o-", markersize=2,
              label="state detached" if detach else "not detached")
    print(f"{'detached' if detach else 'not detached':12s}: ‖∂L/∂x_t‖ at positions 0, 50, 74, 75, "
          f"99: " + ", ".join(f"{norms[t]:.1e}" for t in (0, 50, 74, 75, 99)))
for boundary in (25, 50, 75):
    left.axvline(boundary - 0.5, color="grey", linewidth=0.5)
left.set(xlabel="position t (4 chunks of 25)", ylabel="‖∂L_last chunk/∂x_t‖",
         title="how far back the gradient reaches", ylim=(0, None))
left.legend()
for detach in (False, True):
    _, _, seconds = chunked(lstm_lm, X_train, Y_train, 25, 4 if QUICK else 16, detach, True)
    right.plot(range(1, len(seconds) + 1), [1000 * s for s in seconds], "o-",
               label="state detached" if detach else "not detached (graph kept)")
right.set(xlabel="chunk", ylabel="backward time (ms)", title="the cost of one update's backward",
          ylim=(0, None))
right.legend()
plt.show()

# %% [markdown]
# Detached, the last chunk's loss has no gradient at all with respect to the 75 earlier
# positions: backward stopped at the chunk's start. Not detached, it reaches back through every
# earlier chunk (with the forget gates open it does not even fade here: this untrained network
# responds most to the first characters it read from the zero state), and each backward costs
# as much as all the chunks so far: the time grows linearly with the position in the text (for
# the whole text: quadratically), and so would the memory.
#
# The chunk length k trades how far back the gradient reaches against the number of updates.
# Below, three LSTMs read the same characters (the first `TBPTT_CHARS` of every row) with
# k = 10, 30 and 100, so 10×, 3× and 1× as many updates of different lengths, and are measured on
# the validation rows (the state carried there too, under `no_grad`).

# %% nbgrader={"grade": false, "grade_id": "tbptt_k", "locked": true, "schema_version": 3, "solution": false}
def stream_loss(model, X, Y, k):
    """The mean loss per character over the rows X, Y, read in chunks of k, the state carried."""
    state, total = None, 0.0
    with torch.no_grad():
        for i in range(0, X.shape[1] - k + 1, k):
            output, state = model.rnn(model.embedding(X[:, i:i + k]), state)
            total += F.cross_entropy(model.head(output).reshape(-1, len(model.vocab)),
                                     Y[:, i:i + k].reshape(-1)).item()
    return total / (X.shape[1] // k)


VAL_CHARS = 300 if QUICK else 3000
fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
for k in (10, 30, 100):
    torch.manual_seed(0)
    model = CharLM(vocab, "lstm", embedding_dim=16, hidden_size=HIDDEN)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    start = time.perf_counter()
    losses = train_tbptt(model, optimizer, X_train, Y_train, k, TBPTT_CHARS // k)
    seconds = time.perf_counter() - start
    val = stream_loss(model, X_val[:, :VAL_CHARS], Y_val[:, :VAL_CHARS], 100)
    ax.plot([k * (i + 1) for i in range(len(losses))], losses, linewidth=0.8,
            label=f"k = {k}: {len(losses)} updates, validation {val:.3f}")
    print(f"k = {k:3d}: {len(losses):4d} updates in {seconds:5.1f} s, training loss of the last "
          f"chunk {losses[-1]:.3f}, validation loss {val:.3f} nats/char")
ax.set(xlabel="characters read per row", ylabel="training loss of the chunk (nats/char)",
       title="truncated BPTT, the same characters, three chunk lengths")
ax.legend()
plt.show()

# %% [markdown]
# Over the same characters the forward and backward work is the same (the times printed differ
# by the optimizer steps and by the machine's load), but short chunks give many more updates,
# which at this early stage of training matters more than gradients that reach far back.
# Longer k pays off later, once the network has learned the short-range structure and needs
# longer context (Karpathy's char-rnn reads chunks of 50 by default).
#
# ## 5. Names: a bigram model against an LSTM
#
# The second corpus is makemore's list of 32,033 first names, one per line
# (`load_corpus("names")`). `CharLines` turns each name into makemore's form: the input is a
# boundary token followed by the name's characters, the target is the name's characters
# followed by the boundary token (here the boundary is "\n", index 0), and both are padded to the
# longest name + 1, the targets with −100, which `F.cross_entropy` ignores. So "emma" gives
# x = [0, e, m, m, a, 0, …] and y = [e, m, m, a, 0, −100, …]. We keep 10 % of the names for
# validation.
#
# A language model is measured by its **loss per character on held-out text** in nats
# (−mean ln p(next character)), or in bits (÷ ln 2). A model that knows nothing spreads its
# probability over the 27 tokens: ln 27 = 3.30 nats.

# %% nbgrader={"grade": false, "grade_id": "names", "locked": true, "schema_version": 3, "solution": false}
names = CharLines(load_corpus("names"))
V = len(names.vocab)
labels = ["⏎"] + names.vocab.chars[1:]   # the boundary drawn as ⏎
train_names, val_names = random_split(names, [0.9, 0.1], generator=torch.Generator().manual_seed(0))
x_names, y_names = next(iter(DataLoader(train_names, batch_size=len(train_names))))
x_val_names, y_val_names = next(iter(DataLoader(val_names, batch_size=len(val_names))))
print(f"{len(names):,} names, {V} tokens ({names.vocab.chars[1:]} and the boundary), longest "
      f"{names.max_length}; {len(train_names):,} for training, {len(val_names):,} for validation")
print("x:", x_names[0].tolist())
print("y:", y_names[0].tolist())

# %% [markdown]
# The simplest language model predicts the next character from the current one only: a
# **bigram** model. Its maximum-likelihood estimate counts: p(b | a) = n(a, b) / Σ_b' n(a, b'),
# where n(a, b) is the number of times b follows a in the training names. A pair never seen would
# get probability 0 and an infinite loss, so we add α to every count (**add-α smoothing**;
# α = 1 is Laplace's rule):
#
#     p(b | a) = (n(a, b) + α) / (Σ_b' n(a, b') + α V).
#
# ### Exercise 6: the bigram model by counting (3 points)
#
# Write `bigram_log_probs(x, y, vocab_size, alpha=1.0)`: x and y are int64 tensors of the
# same shape (for instance (names, positions)), each pair (x[i, t], y[i, t]) one observation
# "y follows x", except where y is −100 (padding: skip those). Return the (V, V) tensor of
# ln p(b | a), row a, column b. (`torch.bincount` of `a * V + b` counts all pairs at once;
# a loop over the pairs works but is slow.)

# %% nbgrader={"grade": false, "grade_id": "bigram_log_probs", "locked": false, "schema_version": 3, "solution": true}
def bigram_log_probs(x, y, vocab_size, alpha=1.0):
    """(V, V) tensor: [a, b] = ln p(b | a) from the counts of pairs (x, y), y != -100 skipped,
    with add-alpha smoothing."""
    ### BEGIN SOLUTION
    keep = y != -100
    pairs = x[keep] * vocab_size + y[keep]
    counts = torch.bincount(pairs, minlength=vocab_size * vocab_size)
    counts = counts.reshape(vocab_size, vocab_size).double() + alpha
    return (counts / counts.sum(dim=1, keepdim=True)).log()
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "bigram_log_probs_tests", "locked": true, "points": 3, "schema_version": 3, "solution": false}
# Pairs 0->1, 0->1, 0->2, 1->0 (and one padded position): with alpha = 1 and V = 3,
# row 0: counts (0, 2, 1) + 1 = (1, 3, 2) / 6; row 1: (1, 0, 0) + 1 = (2, 1, 1) / 4; row 2: 1/3 each.
x = torch.tensor([[0, 1, 0], [0, 0, 2]])
y = torch.tensor([[1, 0, 2], [1, -100, -100]])
log_p = bigram_log_probs(x, y, 3)
check_shape(log_p, (3, 3), "bigram_log_probs for V = 3")
expected = [[1 / 6, 3 / 6, 2 / 6], [2 / 4, 1 / 4, 1 / 4], [1 / 3, 1 / 3, 1 / 3]]
check_close(log_p.exp(), expected, "p(b | a) = exp(bigram_log_probs) for the pairs 0->1, 0->1, "
            "0->2, 1->0 with alpha = 1", rtol=1e-5)
### BEGIN HIDDEN TESTS
torch.manual_seed(8)
for vocab_size, alpha in ((5, 0.5), (7, 2.0), (4, 1.0)):
    x = torch.randint(0, vocab_size, (30, 9))
    y = torch.randint(0, vocab_size, (30, 9))
    y[torch.rand(30, 9) < 0.3] = -100
    counts = [[0] * vocab_size for _ in range(vocab_size)]
    for a, b in zip(x.flatten().tolist(), y.flatten().tolist()):
        if b != -100:
            counts[a][b] += 1
    expected = [[math.log((n + alpha) / (sum(row) + alpha * vocab_size)) for n in row]
                for row in counts]
    check_close(bigram_log_probs(x, y, vocab_size, alpha), expected,
                f"ln p(b | a) for 30 x 9 random pairs, V = {vocab_size}, alpha = {alpha}, "
                "30 % of y padded", rtol=1e-5, atol=1e-6)
# One dimension, and a character that never occurs as x: a uniform row.
log_p = bigram_log_probs(torch.tensor([0, 0, 1]), torch.tensor([1, 1, 1]), 3, alpha=1.0)
check_close(log_p.exp(), [[1 / 5, 3 / 5, 1 / 5], [1 / 4, 2 / 4, 1 / 4], [1 / 3, 1 / 3, 1 / 3]],
            "p(b | a) for 1-D x, y = (0, 0, 1), (1, 1, 1) with alpha = 1", rtol=1e-5)
### END HIDDEN TESTS

# %% [markdown]
# The bigram model's loss on the validation names, next to two simpler baselines: the uniform
# model (ln 27) and the **unigram** model (each character's frequency, ignoring the previous
# one, also add-1 smoothed).

# %% nbgrader={"grade": false, "grade_id": "bigram_baseline", "locked": true, "schema_version": 3, "solution": false}
def nats_per_char(log_p, x, y):
    """-mean ln p(y | x) over the positions where y is not padding, for a (V, V) table."""
    keep = y != -100
    return -log_p[x[keep], y[keep]].mean().item()


unigram_counts = torch.bincount(y_names[y_names != -100], minlength=V).double() + 1
unigram = (unigram_counts / unigram_counts.sum()).log().expand(V, V)
bigram = bigram_log_probs(x_names, y_names, V, alpha=1.0)
for name, nats in (("uniform", math.log(V)),
                   ("unigram", nats_per_char(unigram, x_val_names, y_val_names)),
                   ("bigram (add-1)", nats_per_char(bigram, x_val_names, y_val_names))):
    print(f"{name:16s} {nats:.3f} nats/char = {nats / math.log(2):.3f} bits/char")
plt.figure(figsize=(6.5, 6))
plt.imshow(bigram.exp().numpy(), cmap="Blues")
plt.xticks(range(V), labels)
plt.yticks(range(V), labels)
plt.xlabel("next character b")
plt.ylabel("current character a")
plt.title("p(b | a), the bigram model of the training names")
plt.show()

# %% [markdown]
# Now the LSTM (`CharLM(vocab, "lstm", embedding_dim=32, hidden_size=128)` at full settings),
# trained on batches of 64 names with Adam (lr 3·10⁻³ with a cosine decay),
# each name read from its start (no state carried between names, no truncation: a name is at most
# 16 steps). It sees the whole name so far, not only the last character.

# %% nbgrader={"grade": false, "grade_id": "names_lstm", "locked": true, "schema_version": 3, "solution": false}
torch.manual_seed(0)
names_lm = CharLM(names.vocab, "lstm", embedding_dim=32, hidden_size=HIDDEN)
optimizer = torch.optim.Adam(names_lm.parameters(), lr=3e-3)
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=NAMES_STEPS)
loader = DataLoader(train_names, batch_size=64, shuffle=True)


def names_loss(model, x, y):
    return F.cross_entropy(model(x).reshape(-1, V), y.reshape(-1))   # ignores the -100s


EVALUATIONS = 2 if QUICK else 10   # on the 3203 validation names
start, step_losses, val_curve = time.perf_counter(), [], []
batches = iter(loader)
for step in range(1, NAMES_STEPS + 1):
    try:
        x, y = next(batches)
    except StopIteration:
        batches = iter(loader)
        x, y = next(batches)
    loss = names_loss(names_lm, x, y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    scheduler.step()
    step_losses.append(loss.item())
    if step % (NAMES_STEPS // EVALUATIONS) == 0:
        with torch.no_grad():
            val_curve.append((step, names_loss(names_lm, x_val_names, y_val_names).item()))
seconds = time.perf_counter() - start
lstm_val = val_curve[-1][1]
print(f"{sum(p.numel() for p in names_lm.parameters()):,} parameters, {NAMES_STEPS} steps in "
      f"{seconds:.1f} s; validation loss {lstm_val:.3f} nats/char")

# %% [markdown]
# The LSTM against the baselines:

# %% nbgrader={"grade": false, "grade_id": "names_comparison", "locked": true, "schema_version": 3, "solution": false}
RESULTS = {"uniform": math.log(V),
           "unigram": nats_per_char(unigram, x_val_names, y_val_names),
           "bigram (add-1)": nats_per_char(bigram_log_probs(x_names, y_names, V), x_val_names,
                                           y_val_names),
           "LSTM (CharLM)": lstm_val}
for name, nats in RESULTS.items():
    print(f"{name:16s} {nats:.3f} nats/char = {nats / math.log(2):.3f} bits/char (validation)")
fig, ax = plt.subplots(figsize=(8, 4), layout="constrained")
ax.plot(range(1, NAMES_STEPS + 1), step_losses, linewidth=0.5, alpha=0.5,
        label="LSTM, training batch")
ax.plot(*zip(*val_curve), "o-", label="LSTM, validation")
for name, style in (("unigram", ":"), ("bigram (add-1)", "--")):
    ax.axhline(RESULTS[name], linestyle=style, color="black", label=f"{name}, validation")
ax.set(xlabel="step", ylabel="nats per character", title="Names: the LSTM against the baselines",
       ylim=(1.8, 3.4))
ax.legend()
plt.show()

# %% [markdown]
# The bigram model is the best possible model that looks one character back (up to the
# smoothing). The LSTM passes it within the first 150 steps, because it uses the whole prefix
# of the name. For comparison, makemore (Karpathy's PyTorch program) is reported to reach about
# 1.92 nats/char on this list with its default small Transformer.
#
# ## 6. Sampling with a temperature
#
# A language model gives a distribution over the next character; sampling one, feeding it back
# in and repeating generates text (`CharLM.generate`). A **temperature** T reshapes the
# distribution before drawing:
#
#     p_T(b) = exp(z_b / T) / Σ_b' exp(z_b' / T)      (z: the logits).
#
# T = 1 is the model itself; T < 1 sharpens it (T → 0: always the most likely character), T > 1
# flattens it (T → ∞: uniform). **Top-k** sampling keeps only the k largest logits (the others
# get probability 0) and renormalizes, which cuts off the long tail of unlikely characters.
#
# ### Exercise 7: the sampling distribution (3 points)
#
# Write `temperature_probs(logits, temperature=1.0, top_k=None)`: the probabilities p_T over
# the last dimension of `logits` (any shape (..., V)), keeping only the `top_k` largest logits
# of each row when top_k is given. Subtract each row's maximum before `exp` (the result is the
# same, and no logit of 1000 overflows). `torch.topk` gives the k largest values.

# %% nbgrader={"grade": false, "grade_id": "temperature_probs", "locked": false, "schema_version": 3, "solution": true}
def temperature_probs(logits, temperature=1.0, top_k=None):
    """softmax(logits / temperature) over the last dim, restricted to the top_k largest logits."""
    ### BEGIN SOLUTION
    z = logits / temperature
    if top_k is not None:
        kth = torch.topk(z, top_k, dim=-1).values[..., -1:]
        z = torch.where(z < kth, torch.full_like(z, -math.inf), z)
    weights = (z - z.max(dim=-1, keepdim=True).values).exp()
    return weights / weights.sum(dim=-1, keepdim=True)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "temperature_probs_tests", "locked": true, "points": 3, "schema_version": 3, "solution": false}
z = torch.tensor([2.0, 1.0, 0.0])
e = [math.exp(v) for v in (2.0, 1.0, 0.0)]
check_close(temperature_probs(z), [v / sum(e) for v in e], "temperature_probs at T = 1 (softmax)")
e2 = [math.exp(v / 2) for v in (2.0, 1.0, 0.0)]
check_close(temperature_probs(z, 2.0), [v / sum(e2) for v in e2], "temperature_probs at T = 2")
check_close(temperature_probs(z, 1.0, top_k=2), [e[0] / (e[0] + e[1]), e[1] / (e[0] + e[1]), 0.0],
            "temperature_probs with top_k = 2 (the smallest logit gets probability 0)")
### BEGIN HIDDEN TESTS
torch.manual_seed(9)
logits = 3 * torch.randn(4, 6, 27)
for temperature in (0.3, 1.0, 1.7):
    check_close(temperature_probs(logits, temperature), F.softmax(logits / temperature, dim=-1),
                f"temperature_probs of (4, 6, 27) logits at T = {temperature}, against "
                "F.softmax over the last dim", rtol=1e-4, atol=1e-7)
for k in (1, 5):
    probs = temperature_probs(logits, 0.8, top_k=k)
    kept = torch.topk(logits, k, dim=-1).indices
    masked = torch.full_like(logits, -math.inf).scatter(-1, kept, logits.gather(-1, kept))
    check_close(probs, F.softmax(masked / 0.8, dim=-1), f"temperature_probs with top_k = {k} at "
                "T = 0.8 on (4, 6, 27) logits", rtol=1e-4, atol=1e-7)
big = torch.tensor([[1000.0, 999.0, -1000.0]])
check_close(temperature_probs(big, 0.5), F.softmax(big / 0.5, dim=-1),
            "temperature_probs of logits near 1000 (subtract the maximum before exp)", rtol=1e-5)
check_close(temperature_probs(logits, 1.0, top_k=27), F.softmax(logits, dim=-1),
            "temperature_probs with top_k = V (nothing removed)", rtol=1e-4, atol=1e-7)
### END HIDDEN TESTS

# %% [markdown]
# The distribution of a name's first character (the logits after the boundary token), at
# several temperatures: its entropy −Σ p ln p, from 0 (one character certain) to ln 27 (uniform).

# %% nbgrader={"grade": false, "grade_id": "entropy", "locked": true, "schema_version": 3, "solution": false}
with torch.no_grad():
    first_logits = names_lm(torch.tensor([[names.boundary]]))[0, -1]
temperatures = [0.1 * 1.1 ** i for i in range(50)]


def entropy(p):
    return -(p * p.clamp(min=1e-30).log()).sum().item()


fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4), layout="constrained")
for top_k in (None, 5):
    left.semilogx(temperatures, [entropy(temperature_probs(first_logits, t, top_k))
                                 for t in temperatures], label=f"top_k = {top_k}")
left.axhline(math.log(V), color="grey", linestyle=":", label="ln 27 (uniform)")
left.set(xlabel="temperature T", ylabel="entropy (nats)", title="the first letter's entropy")
left.legend()
for t in (0.5, 1.0, 1.5):
    right.plot(labels, temperature_probs(first_logits, t).numpy(), "o-", markersize=3,
               label=f"T = {t}")
right.set(xlabel="first character", ylabel="probability", title="p_T(first character)")
right.legend()
plt.show()

# %% [markdown]
# Names sampled at T = 0.5, 1 and 1.5 (and T = 1 with top-k = 5), each by
# `names_lm.generate("\n", 16, ...)`, which draws from exactly the distribution you wrote, one
# character at a time, carrying the LSTM's state, and cut at the first boundary token. One name
# per call: the model was trained on names that start from a zero state, so after a name's end
# it is in a state it never learned from. How many of the names are in the training list
# (copied), and how long are they, against the training names?

# %% nbgrader={"grade": false, "grade_id": "samples", "locked": true, "schema_version": 3, "solution": false}
training_set = {names.lines[i] for i in train_names.indices}
print(f"the training names: mean length {sum(map(len, training_set)) / len(training_set):.1f}")
SAMPLES = 10 if QUICK else 100
for temperature, top_k in ((0.5, None), (1.0, None), (1.5, None), (1.0, 5)):
    draw = torch.Generator().manual_seed(0)
    sampled = [names_lm.generate("\n", names.max_length + 1, temperature=temperature,
                                 top_k=top_k, generator=draw)[1:].split("\n")[0]
               for _ in range(SAMPLES)]
    copied = sum(name in training_set for name in sampled)
    mean_length = sum(map(len, sampled)) / max(len(sampled), 1)
    print(f"T = {temperature}, top_k = {top_k}: {len(sampled)} names, {copied} in the training "
          f"list, mean length {mean_length:.1f}")
    print("   " + ", ".join(sampled[:12]))

# %% [markdown]
# ## What to take away
#
# - An RNN applies one cell with the same weights at every step; `nn.RNN` is your loop.
# - The gradient through time is a product of per-step Jacobians: it vanishes or explodes
#   geometrically. Gates (an LSTM's forget gate) let the network keep it alive where it matters.
# - Clipping the global norm keeps an exploding gradient's direction and bounds the step; it
#   costs nothing when the gradient is small.
# - Truncated BPTT carries the state forward and cuts the gradient k steps back: a constant cost
#   per update, but no learning signal from further back than k.
# - Measure a language model in nats (or bits) per character on held-out text, against simple
#   baselines: the bigram model counted in one line is the bar an RNN has to clear.
# - The temperature trades diversity for plausibility: low T repeats the most common names, high
#   T invents unpronounceable ones.
