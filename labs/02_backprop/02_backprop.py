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
# # Lab 02: Backprop, the chain rule as Jacobian products
#
# A network is a composition of simple maps, and its gradient is the chain rule: the product of
# the maps' Jacobians. Backpropagation is one particular order of that product, from the loss
# backwards, in which no Jacobian is ever built: each map only has to pass a gradient vector on
# to its inputs (a *vector-Jacobian product*).
#
# 1. **By hand.** You write the backward pass of a two-layer net with tensor operations and
#    compare it with chainrule's `loss.backward()`.
# 2. **The graph.** You look at the graph chainrule recorded for that loss: the nodes backward
#    walks, and what each one saved for it.
# 3. **A reverse-mode engine of your own.** A scalar `Value` class of about a hundred lines
#    (micrograd's idea): each operator records its inputs and its local derivative; `backward()`
#    visits the nodes in reverse topological order. You check it against chainrule and against
#    finite differences, as `chainrule.autograd.gradcheck` does.
# 4. **The cost.** For f: Rⁿ → R, the full Jacobian (here the gradient) three ways: explicit
#    Jacobian matrices, forward mode (one Jacobian-vector product per input) and reverse mode (one
#    vector-Jacobian product). You time them for growing n.
#
# Every exercise is a function (or a class) whose body you write; the cell after it
# runs visible tests, and the grader runs hidden ones too. The tests compute in float64 so that
# their comparisons can be tight.

# %% tags=["parameters"] nbgrader={"grade": false, "grade_id": "parameters", "locked": true, "schema_version": 3, "solution": false}
QUICK = False   # the test suite runs every lab with QUICK = True (a cell injected after this one)

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false}
import math
import os
import time

from IPython.display import display

# One BLAS thread, asked for before chainrule loads NumPy: on a busy machine a thread pool's
# waiting, not the arithmetic, dominates part 4's n × n products (measured here: 17 ms for any
# n ≥ 128 with the pool, 0.07 ms at n = 128 and 5 ms at n = 512 with one thread). A kernel that
# has loaded NumPy already keeps its pool, and only the timings are noisier.
for variable in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS"):
    os.environ.setdefault(variable, "1")

import chainrule as torch
from chainrule.autograd import gradcheck
from chainrule.autograd.functional import jvp
from chainrule.experiments import backprop_cost
from chainrule.labs.checks import check_close, check_equal, check_shape, check_true

# chainrule.viz draws on bare matplotlib Figures (no pyplot). The inline backend, switched on
# explicitly, teaches display() to draw such a Figure as a picture (importing pyplot alone does not).
# %matplotlib inline

# Part 4's sizes: n grows by doubling; QUICK keeps them tiny so the test suite stays fast.
SIZES = [4, 8, 16] if QUICK else [8, 16, 32, 64, 128, 256, 512]
LAYERS = 4      # as chainrule backprop-cost's default
REPEATS = 1 if QUICK else 3

# %% [markdown]
# ## Part 1: the backward pass of a two-layer net, by hand
#
# The net maps a batch x (N × D) to outputs y (N × K) through a hidden layer of H tanh units, and
# the loss is the mean squared error against targets t (N × K):
#
# $$a = x W_1^\top + b_1,\qquad h = \tanh(a),\qquad y = h W_2^\top + b_2,\qquad
#   L = \frac{1}{NK}\sum_{n,k} (y_{nk} - t_{nk})^2 .$$
#
# Shapes: W1 is H × D, b1 has H entries, W2 is K × H, b2 has K entries (as `nn.Linear` stores
# them). The cell below writes the forward pass and chainrule's answer (`loss.backward()`), which
# the tests compare yours with.

# %% nbgrader={"grade": false, "grade_id": "two_layer_net", "locked": true, "schema_version": 3, "solution": false}
def two_layer_forward(x, W1, b1, W2, b2):
    """The net of part 1: h = tanh(x W1ᵀ + b1), y = h W2ᵀ + b2. Returns (h, y)."""
    h = torch.tanh(x @ W1.T + b1)
    return h, h @ W2.T + b2


def mse(y, t):
    """The mean of (y - t)² over all N·K entries."""
    return ((y - t) ** 2).mean()


def random_net(N, D, H, K, seed):
    """x (N × D), t (N × K) and the parameters {W1, b1, W2, b2} as float64 leaves requiring grad,
    all drawn from a fixed seed so that every run sees the same numbers."""
    torch.manual_seed(seed)
    x = torch.randn(N, D, dtype=torch.float64)
    t = torch.randn(N, K, dtype=torch.float64)
    shapes = {"W1": (H, D), "b1": (H,), "W2": (K, H), "b2": (K,)}
    params = {name: torch.randn(*shape, dtype=torch.float64).requires_grad_(True)
              for name, shape in shapes.items()}
    return x, t, params


def autograd_grads(x, t, params):
    """chainrule's gradients of the loss: the forward pass recorded, then loss.backward().
    Runs on fresh copies of the parameters, so their own .grad stays untouched."""
    leaves = {name: p.detach().clone().requires_grad_(True) for name, p in params.items()}
    mse(two_layer_forward(x, **leaves)[1], t).backward()
    return {name: p.grad for name, p in leaves.items()}


# %% [markdown]
# ### Exercise 1: the backward pass of one layer (3 points)
#
# Backward never builds a Jacobian. A layer out = F(inp) receives `grad_out` = ∂L/∂out (the shape
# of out) and returns ∂L/∂inp = grad_outᵀ · J_F (the shape of inp): a vector-Jacobian product.
#
# * `linear_backward(x, W, grad_out)` for out = x Wᵀ + b: return `(grad_x, grad_W, grad_b)`, of
#   the shapes of x (N × D), W (M × D) and b (M,). Write out ∂out[n, m]/∂W[m, d] = x[n, d] and
#   sum over the batch where a parameter is shared by all rows.
# * `tanh_backward(h, grad_h)` for h = tanh(a): return ∂L/∂a, using only the output h
#   (tanh' = 1 - tanh²: this is why autograd saves tanh's *output* for backward).
#
# Use tensor operations (`@`, `.T`, `.sum(0)`, `*`), not autograd.

# %% nbgrader={"grade": false, "grade_id": "layer_backward", "locked": false, "schema_version": 3, "solution": true}
def linear_backward(x, W, grad_out):
    """The gradients of out = x Wᵀ + b, given grad_out = ∂L/∂out: (grad_x, grad_W, grad_b)."""
    ### BEGIN SOLUTION
    grad_x = grad_out @ W          # ∂L/∂x[n, d] = Σ_m grad_out[n, m] W[m, d]
    grad_W = grad_out.T @ x        # ∂L/∂W[m, d] = Σ_n grad_out[n, m] x[n, d]
    grad_b = grad_out.sum(0)       # b is added to every row: sum over the batch
    return grad_x, grad_W, grad_b
    ### END SOLUTION


def tanh_backward(h, grad_h):
    """∂L/∂a for h = tanh(a), given the output h and grad_h = ∂L/∂h."""
    ### BEGIN SOLUTION
    return grad_h * (1 - h ** 2)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "linear_backward_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false}
# One row, one output: out = 3 x0 + 4 x1 + b, with ∂L/∂out = 1.
grad_x, grad_W, grad_b = linear_backward(torch.tensor([[1.0, 2.0]]), torch.tensor([[3.0, 4.0]]),
                                         torch.tensor([[1.0]]))
check_close(grad_x, [[3.0, 4.0]], "linear_backward: grad_x for x = [[1, 2]], W = [[3, 4]]")
check_close(grad_W, [[1.0, 2.0]], "linear_backward: grad_W for x = [[1, 2]], W = [[3, 4]]")
check_close(grad_b, [1.0], "linear_backward: grad_b for x = [[1, 2]], W = [[3, 4]]")
grads = linear_backward(torch.ones(5, 3), torch.ones(4, 3), torch.ones(5, 4))
for got, shape, name in zip(grads, [(5, 3), (4, 3), (4,)], ["grad_x", "grad_W", "grad_b"]):
    check_shape(got, shape, f"linear_backward: {name} for x 5 × 3, W 4 × 3")
### BEGIN HIDDEN TESTS
for seed, (N, D, M) in enumerate([(7, 3, 5), (1, 4, 2), (6, 1, 1)]):
    torch.manual_seed(100 + seed)
    x = torch.randn(N, D, dtype=torch.float64, requires_grad=True)
    W = torch.randn(M, D, dtype=torch.float64, requires_grad=True)
    b = torch.randn(M, dtype=torch.float64, requires_grad=True)
    grad_out = torch.randn(N, M, dtype=torch.float64)
    (x @ W.T + b).backward(grad_out)
    with torch.no_grad():
        mine = linear_backward(x.detach(), W.detach(), grad_out)
    for got, leaf, name in zip(mine, [x, W, b], ["grad_x", "grad_W", "grad_b"]):
        check_close(got, leaf.grad, f"linear_backward {name}, x {N} × {D}, W {M} × {D}",
                    rtol=1e-10, atol=1e-12)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "tanh_backward_tests", "locked": true, "points": 1, "schema_version": 3, "solution": false}
check_close(tanh_backward(torch.zeros(3), torch.tensor([1.0, -2.0, 3.0])), [1.0, -2.0, 3.0],
            "tanh_backward at h = 0 (where tanh' = 1)")
check_close(tanh_backward(torch.tensor([0.5]), torch.tensor([1.0])), [0.75],
            "tanh_backward at h = 0.5, grad_h = 1 (tanh' = 1 - h²)")
check_shape(tanh_backward(torch.zeros(2, 5), torch.ones(2, 5)), (2, 5), "tanh_backward's result")
### BEGIN HIDDEN TESTS
torch.manual_seed(7)
a = torch.randn(4, 6, dtype=torch.float64, requires_grad=True)
h = torch.tanh(a)
grad_h = torch.randn(4, 6, dtype=torch.float64)
h.backward(grad_h)
check_close(tanh_backward(h.detach(), grad_h), a.grad, "tanh_backward against autograd",
            rtol=1e-10, atol=1e-12)
check_close(tanh_backward(torch.tensor([0.5]), torch.tensor([2.0])), [1.5],
            "tanh_backward at h = 0.5, grad_h = 2")
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 2: the whole backward pass (3 points)
#
# Chain the pieces: run the forward pass (`two_layer_forward`), start from ∂L/∂y (what is it for
# the mean of N·K squares?), then go back through the second linear layer, the tanh and the first
# linear layer. Return a dict with the keys `"W1", "b1", "W2", "b2"`.
#
# Work inside `with torch.no_grad():` so that nothing is recorded: the point is that you
# compute every gradient yourself. The tests check that the parameters' `.grad` stay untouched.

# %% nbgrader={"grade": false, "grade_id": "two_layer_backward", "locked": false, "schema_version": 3, "solution": true}
def two_layer_backward(x, t, W1, b1, W2, b2):
    """∂L/∂W1, ∂L/∂b1, ∂L/∂W2, ∂L/∂b2 of part 1's loss, as a dict, computed without autograd."""
    ### BEGIN SOLUTION
    with torch.no_grad():
        h, y = two_layer_forward(x, W1, b1, W2, b2)
        grad_y = 2 * (y - t) / y.numel()
        grad_h, grad_W2, grad_b2 = linear_backward(h, W2, grad_y)
        grad_a = tanh_backward(h, grad_h)
        _, grad_W1, grad_b1 = linear_backward(x, W1, grad_a)
    return {"W1": grad_W1, "b1": grad_b1, "W2": grad_W2, "b2": grad_b2}
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "two_layer_backward_tests", "locked": true, "points": 3, "schema_version": 3, "solution": false}
x, t, params = random_net(N=8, D=3, H=5, K=2, seed=0)
mine = two_layer_backward(x, t, **params)
check_equal(sorted(mine), ["W1", "W2", "b1", "b2"], "the keys of two_layer_backward's dict")
expected = autograd_grads(x, t, params)
for name in ["W2", "b2", "W1", "b1"]:
    check_shape(mine[name], tuple(params[name].shape), f"two_layer_backward's {name}")
    check_close(mine[name], expected[name], f"two_layer_backward's {name} against autograd",
                rtol=1e-8, atol=1e-12)
### BEGIN HIDDEN TESTS
for seed, (N, D, H, K) in enumerate([(1, 2, 3, 1), (16, 4, 7, 3), (5, 1, 1, 4)]):
    x, t, params = random_net(N, D, H, K, seed=50 + seed)
    mine = two_layer_backward(x, t, **params)
    expected = autograd_grads(x, t, params)
    for name in ["W1", "b1", "W2", "b2"]:
        check_close(mine[name], expected[name],
                    f"two_layer_backward's {name} (N={N}, D={D}, H={H}, K={K})",
                    rtol=1e-8, atol=1e-12)
        check_true(not mine[name].requires_grad,
                   f"two_layer_backward's {name} requires grad: compute it under torch.no_grad()")
        check_true(params[name].grad is None,
                   f"{name}.grad was set: two_layer_backward must not call backward()")
### END HIDDEN TESTS

# %% [markdown]
# ## Part 2: the graph chainrule recorded
#
# `loss.backward()` did the same work as your function, in the same order, because the forward
# pass recorded a graph: one node per operation, with what it saved for its backward (the inputs
# of a product, the output of tanh ...). `chainrule.viz.graph` draws it. Parameters are leaves,
# named here from the dict; the output (the loss) is the root. Arrows follow the data, from the
# inputs to the operation that used them; backward walks them in reverse.

# %% nbgrader={"grade": false, "grade_id": "graph_text", "locked": true, "schema_version": 3, "solution": false}
from chainrule.viz import graph

x, t, params = random_net(N=8, D=3, H=5, K=2, seed=0)
loss = mse(two_layer_forward(x, **params)[1], t)
loss_graph = graph(loss, params=params)
print(loss_graph)

# %% nbgrader={"grade": false, "grade_id": "graph_drawn", "locked": true, "schema_version": 3, "solution": false}
display(loss_graph)

# %% [markdown]
# Compare the saved values with exercise 1: `linear_backward` needed x and W, `tanh_backward`
# needed h; find them in the graph (x W1ᵀ is a `MatMul` of x and the `Permute`d W1, and x is no
# leaf of the graph: it does not require grad). After `loss.backward()` the saved values are
# freed (memory is given back as soon as a node has passed its gradient on), which is why a
# second `backward()` on the same graph fails unless the first one was told `retain_graph=True`.
# chainrule drops the edges too, so a graph must be drawn *before* backward, as here:

# %% nbgrader={"grade": false, "grade_id": "graph_after_backward", "locked": true, "schema_version": 3, "solution": false}
loss.backward()
print(loss_graph)   # the Graph drawn above, read again: its saved values are gone
display(loss_graph)

# %% [markdown]
# ## Part 3: a reverse-mode engine of your own
#
# Autograd for scalars fits in a hundred lines (the idea of Karpathy's micrograd). A `Value`
# holds a number (`data`), the derivative of the final output with respect to it (`grad`, 0 until
# backward runs), the Values it was computed from (`_parents`) and a closure `_backward` that,
# once `out.grad` is known, adds each parent's share to the parent's `grad`: for out = a · b,
# `a.grad += b.data * out.grad` and `b.grad += a.data * out.grad`. It *adds* (`+=`), because a
# Value used twice (`a * a`, or `h` feeding two units) receives a gradient along each use: the
# multivariate chain rule sums over paths.

# %% [markdown]
# ### Exercise 3: the operators (5 points)
#
# Fill in the class below. Every operator returns a new Value whose parents are its operands and
# whose `_backward` applies the local derivative written in its docstring. Numbers are allowed on
# either side (`2 * a`, `a + 1`, `1 - a`, `1 / a`): wrap them with `as_value`. Write `-`, `/` and
# the reflected operators from `+`, `*` and `**` (for example a / b = a · b⁻¹), so they need no
# `_backward` of their own. `**` takes a number exponent only.
#
# `backward()` itself comes in exercise 4; the tests here call a node's `_backward` by hand.

# %% nbgrader={"grade": false, "grade_id": "value_class", "locked": false, "schema_version": 3, "solution": true}
def as_value(x):
    """x itself if it is a Value, else a new leaf Value holding the number x."""
    return x if isinstance(x, Value) else Value(x)


class Value:
    """A scalar that remembers how it was computed, for reverse-mode differentiation."""

    def __init__(self, data, parents=(), op=""):
        self.data = float(data)
        self.grad = 0.0
        self._parents = tuple(parents)
        self._op = op                     # for printing only
        self._backward = lambda: None     # a leaf has nobody to pass its gradient to

    def __repr__(self):
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g})"

    def backward(self):
        """Fill in .grad of every Value this one was computed from (exercise 4's backprop)."""
        backprop(self)

    # ----- the primitives: each with its own _backward ---------------------------------------
    def __add__(self, other):
        """out = a + b;  ∂out/∂a = 1, ∂out/∂b = 1."""
        ### BEGIN SOLUTION
        other = as_value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out
        ### END SOLUTION

    def __mul__(self, other):
        """out = a · b;  ∂out/∂a = b, ∂out/∂b = a."""
        ### BEGIN SOLUTION
        other = as_value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out
        ### END SOLUTION

    def __pow__(self, exponent):
        """out = a ** k for a number k;  ∂out/∂a = k · a ** (k - 1)."""
        ### BEGIN SOLUTION
        if not isinstance(exponent, (int, float)):
            raise TypeError("Value ** k: k must be an int or a float")
        out = Value(self.data ** exponent, (self,), f"**{exponent}")

        def _backward():
            self.grad += exponent * self.data ** (exponent - 1) * out.grad
        out._backward = _backward
        return out
        ### END SOLUTION

    def tanh(self):
        """out = tanh(a);  ∂out/∂a = 1 - out²."""
        ### BEGIN SOLUTION
        out = Value(math.tanh(self.data), (self,), "tanh")

        def _backward():
            self.grad += (1 - out.data ** 2) * out.grad
        out._backward = _backward
        return out
        ### END SOLUTION

    def exp(self):
        """out = exp(a);  ∂out/∂a = out."""
        ### BEGIN SOLUTION
        out = Value(math.exp(self.data), (self,), "exp")

        def _backward():
            self.grad += out.data * out.grad
        out._backward = _backward
        return out
        ### END SOLUTION

    def relu(self):
        """out = max(a, 0);  ∂out/∂a = 1 where a > 0, else 0."""
        ### BEGIN SOLUTION
        out = Value(max(self.data, 0.0), (self,), "relu")

        def _backward():
            self.grad += (self.data > 0) * out.grad
        out._backward = _backward
        return out
        ### END SOLUTION

    # ----- derived from the primitives: no _backward of their own -----------------------------
    def __neg__(self):
        """-a = a · (-1)."""
        ### BEGIN SOLUTION
        return self * -1
        ### END SOLUTION

    def __sub__(self, other):
        """a - b = a + (-b)."""
        ### BEGIN SOLUTION
        return self + (-as_value(other))
        ### END SOLUTION

    def __truediv__(self, other):
        """a / b = a · b⁻¹."""
        ### BEGIN SOLUTION
        return self * as_value(other) ** -1
        ### END SOLUTION

    def __radd__(self, other):
        """other + a, for a number other (sum() starts from 0)."""
        ### BEGIN SOLUTION
        return self + other
        ### END SOLUTION

    def __rmul__(self, other):
        """other · a, for a number other."""
        ### BEGIN SOLUTION
        return self * other
        ### END SOLUTION

    def __rsub__(self, other):
        """other - a, for a number other."""
        ### BEGIN SOLUTION
        return as_value(other) - self
        ### END SOLUTION

    def __rtruediv__(self, other):
        """other / a, for a number other."""
        ### BEGIN SOLUTION
        return as_value(other) / self
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "value_arithmetic_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false}
a, b = Value(2.0), Value(3.0)
c = a * b
check_close(c.data, 6.0, "(Value(2) * Value(3)).data")
check_true(set(map(id, c._parents)) == {id(a), id(b)}, "a * b must have a and b as its _parents")
c.grad = 1.0
c._backward()
check_close([a.grad, b.grad], [3.0, 2.0], "[a.grad, b.grad] after c = a * b, c._backward()")
a, b = Value(2.0), Value(3.0)
c = a + b
c.grad = 1.0
c._backward()
check_close([c.data, a.grad, b.grad], [5.0, 1.0, 1.0], "c = a + b: [c.data, a.grad, b.grad]")
a = Value(3.0)
c = a ** 2
c.grad = 1.0
c._backward()
check_close([c.data, a.grad], [9.0, 6.0], "c = a ** 2 at a = 3: [c.data, a.grad]")
### BEGIN HIDDEN TESTS
a = Value(4.0)
c = a ** -0.5
c.grad = 2.0
c._backward()
check_close([c.data, a.grad], [0.5, 2 * -0.5 * 4.0 ** -1.5], "c = a ** -0.5 at a = 4, c.grad = 2")
a = Value(-1.5)
c = a * a                          # the same Value twice: its gradient comes along both paths
c.grad = 1.0
c._backward()
check_close(a.grad, -3.0, "a.grad for c = a * a at a = -1.5 (gradients must accumulate, +=)")
a = Value(0.5)
a.grad = 10.0                      # an earlier contribution must be kept, not overwritten
c = a + 7
check_true(isinstance(c, Value), "Value + number must give a Value")
c.grad = 1.0
c._backward()
check_close([c.data, a.grad], [7.5, 11.0], "c = a + 7 with a.grad = 10 before: [c.data, a.grad]")
a = Value(2.5)
c = a * 4
c.grad = -1.0
c._backward()
check_close([c.data, a.grad], [10.0, -4.0], "c = a * 4, c.grad = -1: [c.data, a.grad]")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "value_derived_tests", "locked": true, "points": 1, "schema_version": 3, "solution": false}
check_close((Value(5.0) - Value(3.0)).data, 2.0, "(Value(5) - Value(3)).data")
check_close((Value(3.0) / Value(4.0)).data, 0.75, "(Value(3) / Value(4)).data")
check_close((-Value(2.0)).data, -2.0, "(-Value(2)).data")
check_close((1 + Value(2.0)).data, 3.0, "(1 + Value(2)).data")
### BEGIN HIDDEN TESTS
check_close((3 * Value(2.0)).data, 6.0, "(3 * Value(2)).data")
check_close((1 - Value(3.0)).data, -2.0, "(1 - Value(3)).data")
check_close((2 / Value(8.0)).data, 0.25, "(2 / Value(8)).data")
check_close((Value(2.0) - 0.5).data, 1.5, "(Value(2) - 0.5).data")
check_close((Value(1.0) / 4).data, 0.25, "(Value(1) / 4).data")
check_close(sum([Value(1.0), Value(2.0), Value(3.5)]).data, 6.5, "sum of three Values")
for expression in [1 - Value(3.0), 2 / Value(8.0), 3 * Value(2.0), -Value(1.0)]:
    check_true(isinstance(expression, Value), "the reflected operators must return Values")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "value_functions_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false}
a = Value(0.5)
c = a.tanh()
c.grad = 1.0
c._backward()
check_close([c.data, a.grad], [math.tanh(0.5), 1 - math.tanh(0.5) ** 2], "tanh at 0.5: [data, a.grad]")
a = Value(1.0)
c = a.exp()
c.grad = 1.0
c._backward()
check_close([c.data, a.grad], [math.e, math.e], "exp at 1: [data, a.grad]")
a = Value(-2.0)
c = a.relu()
c.grad = 1.0
c._backward()
check_close([c.data, a.grad], [0.0, 0.0], "relu at -2: [data, a.grad]")
### BEGIN HIDDEN TESTS
a = Value(3.0)
c = a.relu()
c.grad = 5.0
c._backward()
check_close([c.data, a.grad], [3.0, 5.0], "relu at 3 with c.grad = 5: [data, a.grad]")
a = Value(-1.2)
c = a.tanh()
c.grad = 2.0
c._backward()
check_close([c.data, a.grad], [math.tanh(-1.2), 2 * (1 - math.tanh(-1.2) ** 2)],
            "tanh at -1.2 with c.grad = 2: [data, a.grad]")
a = Value(-0.7)
c = a.exp()
c.grad = 3.0
c._backward()
check_close([c.data, a.grad], [math.exp(-0.7), 3 * math.exp(-0.7)], "exp at -0.7, c.grad = 3")
for c in [Value(0.3).tanh(), Value(0.3).exp(), Value(0.3).relu()]:
    check_equal(len(c._parents), 1, f"the number of _parents of a function's output ({c})")
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 4: backward (5 points)
#
# `backward()` must call every node's `_backward` after the `_backward` of every node that uses
# it, so that a node's `grad` is complete before it is passed on. That is a reverse topological
# order of the graph.
#
# * `topological_order(root)`: every Value that `root` depends on (root included), each once,
#   every node after all of its parents, the root last. Python stops recursions at a depth of
#   1000, and a graph can be a chain longer than that (a loop of a few thousand steps), so walk
#   the graph with your own stack instead of recursion.
# * `backprop(root)`: set `root.grad = 1` (∂root/∂root) and call each node's `_backward` in
#   reverse topological order. (`Value.backward` calls it.)

# %% nbgrader={"grade": false, "grade_id": "backprop", "locked": false, "schema_version": 3, "solution": true}
def topological_order(root):
    """The Values root depends on, root included, each once, every node after its parents."""
    ### BEGIN SOLUTION
    order, visited = [], set()
    # Depth first with an explicit stack of (node, parents pushed already?): a node is placed
    # when it is popped the second time, after all of its parents have been placed.
    stack = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
        elif id(node) not in visited:
            visited.add(id(node))
            stack.append((node, True))
            stack.extend((parent, False) for parent in node._parents
                         if id(parent) not in visited)
    return order
    ### END SOLUTION


def backprop(root):
    """Set root.grad = 1 and pass gradients back through every node, in reverse topological order."""
    ### BEGIN SOLUTION
    root.grad = 1.0
    for node in reversed(topological_order(root)):
        node._backward()
    ### END SOLUTION


# %% [markdown]
# The tests compare your engine with chainrule on the same expressions. They are written once and
# run on both: a `Value` and a chainrule tensor understand the same `+ - * / **`, `.tanh()`,
# `.exp()` and `.relu()`.

# %% nbgrader={"grade": false, "grade_id": "engine_helpers", "locked": true, "schema_version": 3, "solution": false}
EXPRESSIONS = {
    "a * b + c": lambda a, b, c: a * b + c,
    "(a + b) * (a - c) / b": lambda a, b, c: (a + b) * (a - c) / b,
    "tanh(a * b) + exp(c) ** 2": lambda a, b, c: (a * b).tanh() + c.exp() ** 2,
    "relu(a - b) * c + 2 / a - 1": lambda a, b, c: (a - b).relu() * c + 2 / a - 1,
    "a³ + a·b - (b - c)² (a reused)": lambda a, b, c: a * a * a + a * b - (b - c) ** 2,
    "tanh(exp(-a) * b + 3 * c)": lambda a, b, c: ((-a).exp() * b + 3 * c).tanh(),
}


def engine_grads(f, point):
    """Your engine's gradient of f at point (a list of numbers), and f's value."""
    inputs = [Value(v) for v in point]
    out = f(*inputs)
    out.backward()
    return [v.grad for v in inputs], out.data


def chainrule_grads(f, point):
    """chainrule's gradient of the same f: 0-d float64 leaves, backward(), their .grad."""
    inputs = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in point]
    out = f(*inputs)
    out.backward()
    return [v.grad.item() for v in inputs], out.item()


def as_values(rows):
    """A tensor's entries (from .tolist()) as nested lists of Values."""
    return [as_values(row) for row in rows] if isinstance(rows, list) else Value(rows)


def value_two_layer_loss(x, t, W1, b1, W2, b2):
    """Part 1's loss computed with Values, one example and one unit at a time: x and t are lists
    of rows of numbers, the parameters nested lists of Values shaped as the tensors."""
    total = 0
    for x_row, t_row in zip(x, t):
        h = [sum((w * xi for w, xi in zip(w_row, x_row)), bias).tanh()
             for w_row, bias in zip(W1, b1)]
        y = [sum((w * hi for w, hi in zip(w_row, h)), bias) for w_row, bias in zip(W2, b2)]
        total = total + sum((yk - tk) ** 2 for yk, tk in zip(y, t_row))
    return total / (len(x) * len(t[0]))


def grads_of(values):
    """The .grad of nested lists of Values, in the same nesting."""
    return [grads_of(v) for v in values] if isinstance(values, list) else values.grad


# %% nbgrader={"grade": true, "grade_id": "topological_order_tests", "locked": true, "points": 1, "schema_version": 3, "solution": false}
a, b = Value(2.0), Value(-3.0)
c = a * b
d = c + a
order = topological_order(d)
check_equal(len(order), 4, "len(topological_order(d)) for d = a * b + a (nodes a, b, c, d)")
check_true(order[-1] is d, "the root must come last in topological_order")
position = {id(node): i for i, node in enumerate(order)}
check_true(position[id(a)] < position[id(c)] and position[id(b)] < position[id(c)],
           "a and b must come before c = a * b")
### BEGIN HIDDEN TESTS
x = Value(0.1)
shared = x * x
top = (shared + shared.tanh()) * (shared - x)
order = topological_order(top)
check_equal(len({id(node) for node in order}), len(order), "each node once in topological_order")
check_true(order[-1] is top, "the root last")
position = {id(node): i for i, node in enumerate(order)}
for node in order:
    for parent in node._parents:
        check_true(position[id(parent)] < position[id(node)],
                   f"parent {parent} placed after its child {node}")
chain = Value(1.0)
for _ in range(3000):                   # deeper than Python's recursion limit
    chain = chain * Value(1.0001)
check_equal(len(topological_order(chain)), 6001, "nodes of a chain of 3000 products of Values")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "backprop_expressions_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false}
mine, value = engine_grads(EXPRESSIONS["a * b + c"], [2.0, -3.0, 10.0])
check_close(value, 4.0, "the value of a * b + c at (2, -3, 10)")
check_close(mine, [-3.0, 2.0, 1.0], "your gradient of a * b + c at (2, -3, 10)")
point = [0.7, -1.3, 0.4]
expected, _ = chainrule_grads(EXPRESSIONS["(a + b) * (a - c) / b"], point)
mine, _ = engine_grads(EXPRESSIONS["(a + b) * (a - c) / b"], point)
check_close(mine, expected, "your gradient of (a + b) * (a - c) / b against chainrule's")
### BEGIN HIDDEN TESTS
for point in ([0.7, -1.3, 0.4], [1.9, 0.6, -0.8]):
    for name, f in EXPRESSIONS.items():
        expected, expected_value = chainrule_grads(f, point)
        mine, value = engine_grads(f, point)
        check_close(value, expected_value, f"the value of {name} at {point}")
        check_close(mine, expected, f"your gradient of {name} at {point} against chainrule's",
                    rtol=1e-9, atol=1e-12)
out = Value(-2.0) * Value(1.5)
out.backward()
check_close(out.grad, 1.0, "root.grad after backward")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "backprop_mlp_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false}
# Part 1's two-layer net, with Values: the same loss, the same gradients as loss.backward().
x, t, params = random_net(N=4, D=3, H=4, K=2, seed=1)
value_params = {name: as_values(p.tolist()) for name, p in params.items()}
loss = value_two_layer_loss(x.tolist(), t.tolist(), **value_params)
loss.backward()
check_close(loss.data, mse(two_layer_forward(x, **params)[1], t).item(), "the Value net's loss")
expected = autograd_grads(x, t, params)
for name in ["W2", "b2", "W1", "b1"]:
    check_close(grads_of(value_params[name]), expected[name],
                f"the Value net's gradient for {name} against chainrule's", rtol=1e-8)
### BEGIN HIDDEN TESTS
x, t, params = random_net(N=6, D=2, H=5, K=3, seed=11)
value_params = {name: as_values(p.tolist()) for name, p in params.items()}
value_two_layer_loss(x.tolist(), t.tolist(), **value_params).backward()
expected = autograd_grads(x, t, params)
for name in ["W1", "b1", "W2", "b2"]:
    check_close(grads_of(value_params[name]), expected[name],
                f"the Value net's {name} gradient (N=6, D=2, H=5, K=3)", rtol=1e-9, atol=1e-12)
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 5: checking gradients with finite differences (2 points)
#
# A gradient can also be estimated without any chain rule, from the function's values alone:
# the central difference (f(x + ε eᵢ) - f(x - ε eᵢ)) / 2ε has an error of order ε². That is what
# `chainrule.autograd.gradcheck` compares every op's backward with.
#
# * `numerical_gradient(f, point, eps)`: f takes Values (one per entry of `point`, a list of
#   numbers) and returns a Value; return the list of central differences, using only `.data`.
# * `value_gradcheck(f, point, eps, atol, rtol)`: True when your engine's gradient agrees with
#   the numerical one in every entry, within |engine - numeric| ≤ atol + rtol · |numeric|
#   (gradcheck's test), else False.

# %% nbgrader={"grade": false, "grade_id": "value_gradcheck", "locked": false, "schema_version": 3, "solution": true}
def numerical_gradient(f, point, eps=1e-6):
    """Central differences of f (Values in, a Value out) at point (a list of numbers)."""
    ### BEGIN SOLUTION
    gradient = []
    for i in range(len(point)):
        up, down = list(point), list(point)
        up[i] += eps
        down[i] -= eps
        f_up = f(*[Value(v) for v in up]).data
        f_down = f(*[Value(v) for v in down]).data
        gradient.append((f_up - f_down) / (2 * eps))
    return gradient
    ### END SOLUTION


def value_gradcheck(f, point, eps=1e-6, atol=1e-5, rtol=1e-3):
    """True if the engine's gradient of f at point matches its central differences."""
    ### BEGIN SOLUTION
    inputs = [Value(v) for v in point]
    f(*inputs).backward()
    numeric = numerical_gradient(f, point, eps)
    return all(abs(v.grad - n) <= atol + rtol * abs(n) for v, n in zip(inputs, numeric))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "numerical_gradient_tests", "locked": true, "points": 1, "schema_version": 3, "solution": false}
check_close(numerical_gradient(lambda a: a * a, [3.0]), [6.0], "numerical gradient of a² at 3",
            rtol=1e-6)
check_close(numerical_gradient(lambda a, b: a * b + b, [2.0, 5.0]), [5.0, 3.0],
            "numerical gradient of a·b + b at (2, 5)", rtol=1e-6)
### BEGIN HIDDEN TESTS
check_close(numerical_gradient(lambda a, b, c: a * b * c, [1.0, 2.0, 3.0], eps=1e-4),
            [6.0, 3.0, 2.0], "numerical gradient of a·b·c at (1, 2, 3), eps = 1e-4", rtol=1e-6)
# Steps of 0.1: a central difference of a³ is 3a² + ε², a one-sided one would be off by ~3aε.
check_close(numerical_gradient(lambda a: a ** 3, [2.0], eps=0.1), [12.01],
            "numerical gradient of a³ at 2 with eps = 0.1 (central: 3a² + eps²)", rtol=1e-9)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "value_gradcheck_tests", "locked": true, "points": 1, "schema_version": 3, "solution": false}
check_true(value_gradcheck(EXPRESSIONS["tanh(a * b) + exp(c) ** 2"], [0.3, -0.8, 0.5]),
           "value_gradcheck of a correct engine on tanh(a * b) + exp(c) ** 2 must be True")
### BEGIN HIDDEN TESTS
for name, f in EXPRESSIONS.items():
    check_true(bool(value_gradcheck(f, [1.1, 0.4, -0.6])), f"value_gradcheck({name}) must be True")


def broken_square(a):
    """a² with a wrong backward (a instead of 2a): gradcheck's job is to catch this."""
    out = Value(a.data ** 2, (a,), "broken square")

    def _backward():
        a.grad += a.data * out.grad
    out._backward = _backward
    return out


check_true(not bool(value_gradcheck(lambda a, b: broken_square(a) * b, [1.5, -0.7])),
           "value_gradcheck must return False for an op whose backward is wrong")
check_true(bool(value_gradcheck(lambda a: broken_square(a) + a, [0.0])),
           "value_gradcheck at a point where the wrong backward happens to be right (a = 0)")
### END HIDDEN TESTS

# %% [markdown]
# The same function, written once, checked by both: your engine against finite differences, and
# chainrule's autograd by its own `gradcheck` (which checks every entry of the Jacobian the same
# way, in float64).

# %% nbgrader={"grade": false, "grade_id": "gradcheck_both", "locked": true, "schema_version": 3, "solution": false}
point = [0.9, -0.4, 0.25]
f = EXPRESSIONS["relu(a - b) * c + 2 / a - 1"]
tensors = tuple(torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in point)
print("chainrule.autograd.gradcheck:", gradcheck(f, tensors))
print("your value_gradcheck:        ", value_gradcheck(f, point))

# %% [markdown]
# ## Part 4: what the chain rule costs
#
# Take f: Rⁿ → R made of L layers, h₀ = x, h_l = tanh(W_l h_{l-1}) with n × n matrices W_l, and
# f(x) = Σᵢ (h_L)ᵢ. By the chain rule its gradient (its 1 × n Jacobian) is a product of matrices:
#
# $$\nabla f^\top = \mathbf 1^\top\, J_L \cdots J_2 J_1,\qquad
#   J_l = \operatorname{diag}(1 - h_l^2)\, W_l .$$
#
# The product is the same in any order, but its cost is not:
#
# * **explicit matrices**: build each J_l and multiply them: L matrix products, O(L n³).
# * **forward mode**: push one input direction eᵢ through, J_L(⋯(J_1 eᵢ)) (a Jacobian-vector
#   product, jvp), once per input: n passes, O(L n³) again.
# * **reverse mode**: pull the row vector 1ᵀ through from the left, ((1ᵀ J_L) J_{L-1})⋯ (a
#   vector-Jacobian product, vjp): *one* pass, O(L n²), whatever n is. This is backprop, and the
#   reason a network with millions of parameters gets its whole gradient for a small constant
#   multiple of the cost of one forward pass.

# %% nbgrader={"grade": false, "grade_id": "layered_function", "locked": true, "schema_version": 3, "solution": false}
def layered(x, weights):
    """f(x) = Σ h_L with h_0 = x, h_l = tanh(W_l h_{l-1}): the function f: Rⁿ → R of part 4."""
    h = x
    for W in weights:
        h = torch.tanh(W @ h)
    return h.sum()


def random_weights(n, layers, seed):
    """L random n × n matrices, scaled by 1/√n so that tanh neither saturates nor vanishes."""
    torch.manual_seed(seed)
    return [torch.randn(n, n, dtype=torch.float64) / math.sqrt(n) for _ in range(layers)]


def layered_of(weights):
    """f = layered(·, weights) as a function of x alone (what jvp differentiates)."""
    return lambda x: layered(x, weights)


def reverse_gradient(weights, x):
    """Reverse mode: one backward pass of chainrule's autograd."""
    x = x.detach().clone().requires_grad_(True)
    layered(x, weights).backward()
    return x.grad


# %% [markdown]
# ### Exercise 6: the gradient as a product of explicit Jacobians (2 points)
#
# `gradient_by_jacobians(weights, x)`: run the layers forward under `torch.no_grad()`, build each
# J_l = diag(1 - h_l²) W_l as an n × n matrix, multiply them into the full Jacobian of h_L with
# respect to x (start from the identity, `torch.eye(n, dtype=x.dtype)`), and return
# 1ᵀ J, a vector of n entries. (Scaling the rows of W_l by a vector d is `d[:, None] * W_l`.)

# %% nbgrader={"grade": false, "grade_id": "gradient_by_jacobians", "locked": false, "schema_version": 3, "solution": true}
def gradient_by_jacobians(weights, x):
    """∇f(x) for f = layered(·, weights), as 1ᵀ J_L ⋯ J_1 with every J_l built explicitly."""
    ### BEGIN SOLUTION
    n = x.shape[0]
    with torch.no_grad():
        jacobian = torch.eye(n, dtype=x.dtype)    # ∂h_0/∂x
        h = x
        for W in weights:
            h = torch.tanh(W @ h)
            layer_jacobian = (1 - h ** 2)[:, None] * W     # diag(1 - h²) W
            jacobian = layer_jacobian @ jacobian           # ∂h_l/∂x = J_l ∂h_{l-1}/∂x
        return torch.ones(n, dtype=x.dtype) @ jacobian
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "gradient_by_jacobians_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false}
weights = [torch.tensor([[2.0, 0.0], [0.0, 3.0]], dtype=torch.float64)]
x = torch.zeros(2, dtype=torch.float64)
check_close(gradient_by_jacobians(weights, x), [2.0, 3.0],
            "gradient_by_jacobians for one diagonal layer at x = 0 (tanh' = 1 there)")
weights = random_weights(5, 2, seed=0)
x = torch.randn(5, dtype=torch.float64)
check_close(gradient_by_jacobians(weights, x), reverse_gradient(weights, x),
            "gradient_by_jacobians against reverse mode (n = 5, L = 2)", rtol=1e-9, atol=1e-12)
### BEGIN HIDDEN TESTS
for seed, (n, L) in enumerate([(1, 1), (7, 4), (16, 3)]):
    weights = random_weights(n, L, seed=20 + seed)
    x = torch.randn(n, dtype=torch.float64)
    mine = gradient_by_jacobians(weights, x)
    check_shape(mine, (n,), f"gradient_by_jacobians (n = {n}, L = {L})")
    check_close(mine, reverse_gradient(weights, x),
                f"gradient_by_jacobians against reverse mode (n = {n}, L = {L})",
                rtol=1e-9, atol=1e-12)
    check_true(not mine.requires_grad, "gradient_by_jacobians must not record a graph (no_grad)")
composition = backprop_cost.Composition(12, 4, seed=3)   # the library's f, in float32
check_close(gradient_by_jacobians(composition.weights, composition.x),
            composition.gradient_explicit(), "gradient_by_jacobians against the library's (float32)",
            rtol=1e-4, atol=1e-5)
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 7: forward mode, one input direction at a time (2 points)
#
# `gradient_by_jvps(f, x)`: the i-th entry of ∇f is J eᵢ, the Jacobian-vector product with the
# i-th unit vector. chainrule's `jvp(f, x, v)` (imported from `chainrule.autograd.functional`, as
# `torch.autograd.functional.jvp`) returns the pair `(f(x), J v)`. Call it once per input and
# stack the n products into a vector. (chainrule computes jvp by the double-backward trick, so
# each of these n passes is a forward pass and two backward passes; a true forward-mode engine
# carries the tangent along the forward pass instead, at the same order of cost.)

# %% nbgrader={"grade": false, "grade_id": "gradient_by_jvps", "locked": false, "schema_version": 3, "solution": true}
def gradient_by_jvps(f, x):
    """∇f(x) for f: Rⁿ → R from n Jacobian-vector products, one per unit vector."""
    ### BEGIN SOLUTION
    directions = torch.eye(x.shape[0], dtype=x.dtype)
    return torch.stack([jvp(f, x, direction)[1] for direction in directions])
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "gradient_by_jvps_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false}
x = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
check_close(gradient_by_jvps(lambda v: (v ** 2).sum(), x), [2.0, 4.0, 6.0],
            "gradient_by_jvps of Σ v² at (1, 2, 3)")
weights = random_weights(6, 2, seed=1)
x = torch.randn(6, dtype=torch.float64)
check_close(gradient_by_jvps(layered_of(weights), x), reverse_gradient(weights, x),
            "gradient_by_jvps against reverse mode (n = 6, L = 2)", rtol=1e-9, atol=1e-12)
### BEGIN HIDDEN TESTS
for seed, (n, L) in enumerate([(1, 2), (9, 3)]):
    weights = random_weights(n, L, seed=30 + seed)
    x = torch.randn(n, dtype=torch.float64)
    mine = gradient_by_jvps(layered_of(weights), x)
    check_shape(mine, (n,), f"gradient_by_jvps (n = {n}, L = {L})")
    check_close(mine, reverse_gradient(weights, x),
                f"gradient_by_jvps against reverse mode (n = {n}, L = {L})", rtol=1e-9, atol=1e-12)
calls = []


def counted(v):
    calls.append(1)
    return (v.exp() * v).sum()


x = torch.tensor([0.5, -1.0, 2.0, 0.1], dtype=torch.float64)
check_close(gradient_by_jvps(counted, x), ((x + 1) * x.exp()), "gradient_by_jvps of Σ v·exp(v)")
check_true(4 <= len(calls) <= 5, f"gradient_by_jvps called f {len(calls)} times for n = 4: "
           "one jvp per input calls it 4 times")
composition = backprop_cost.Composition(10, 3, seed=4)   # the library's f, in float32
check_close(gradient_by_jvps(composition, composition.x), composition.gradient_forward(),
            "gradient_by_jvps against the library's forward mode (float32)", rtol=1e-4, atol=1e-5)
### END HIDDEN TESTS

# %% [markdown]
# ### Timing the three ways
#
# chainrule's `chainrule.experiments.backprop_cost` holds the same f (its `Composition`: L random
# n × n layers in float32, with a point x) and its own three gradients. First your two functions
# against its, and against one backward pass, for growing n. The number of passes tells the
# story: forward mode's grows with n, reverse mode's stays at one; the explicit product is one
# pass, but one that carries n × n matrices instead of vectors.

# %% nbgrader={"grade": false, "grade_id": "time_yours", "locked": true, "schema_version": 3, "solution": false}
def best_time(compute, *args, repeats=REPEATS):
    """The shortest of `repeats` wall-clock times of compute(*args), in seconds (the least
    disturbed by the rest of the machine)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        compute(*args)
        times.append(time.perf_counter() - start)
    return min(times)


def largest_gap(mine, library):
    """max |mine - library| relative to the library gradient's largest entry."""
    library = torch.as_tensor(library)
    return ((mine - library).abs().max() / library.abs().max()).item()


print(f"{'n':>5} {'explicit (s)':>13} {'n jvps (s)':>11} {'1 vjp (s)':>10}"
      f"   largest gap to the library (explicit, jvps)")
for n in SIZES:
    composition = backprop_cost.Composition(n, LAYERS)
    weights, x = composition.weights, composition.x
    explicit = gradient_by_jacobians(weights, x)
    by_jvps = gradient_by_jvps(composition, x)
    gaps = [largest_gap(explicit, composition.gradient_explicit()),
            largest_gap(by_jvps, composition.gradient_reverse())]
    timings = [best_time(gradient_by_jacobians, weights, x),
               best_time(gradient_by_jvps, composition, x),
               best_time(reverse_gradient, weights, x)]
    print(f"{n:5d} {timings[0]:13.5f} {timings[1]:11.5f} {timings[2]:10.5f}"
          f"   {gaps[0]:.1e}, {gaps[1]:.1e}")

# %% [markdown]
# The library measures its three ways the same way (`measure` checks that they agree before it
# times them; the command `chainrule backprop-cost` prints the same table) and draws time and
# passes against n on log-log axes. On such axes a cost growing as n^p is a line of slope p:
# compare the slopes. For small n every way is dominated by Python's fixed cost per operation,
# so the lines only separate as n grows; the explicit product looks cheap for a while because its
# few n × n products run in compiled code, until their n³ takes over. Times on a shared machine
# jump around: compare orders of magnitude, and the passes, which do not.

# %% nbgrader={"grade": false, "grade_id": "library_cost", "locked": true, "schema_version": 3, "solution": false}
from chainrule.viz.backprop_cost import backprop_cost_figure

rows = backprop_cost.measure(sizes=SIZES, layers=LAYERS, repeats=REPEATS)
print(f"{'n':>5} {'explicit (s)':>13} {'forward (s)':>12} {'reverse (s)':>12} {'passes':>30}")
for row in rows:
    print(f"{row.n:5d} {row.explicit:13.5f} {row.forward:12.5f} {row.reverse:12.5f} "
          f"{row.passes!s:>30}")
display(backprop_cost_figure(rows))

# %% [markdown]
# Questions to think about (not graded):
#
# 1. Reverse mode needs the forward pass's intermediate values (the saved tensors of part 2).
#    What does that cost in memory for a net of L layers, and what does forward mode need?
# 2. For f: Rⁿ → Rᵐ with m ≫ n (few inputs, many outputs), which mode is cheaper, and why?
# 3. Your engine of part 3 and chainrule's autograd do the same thing. Where do they differ in
#    what a node holds (a closure or a Function object, scalars or arrays), and why does it
#    matter for speed?
