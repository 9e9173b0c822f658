"""The cost of the chain rule, measured: the gradient of one f: Rⁿ → R computed three ways (explicit
Jacobian matrices, forward mode, reverse mode) and timed for growing n.

f(x) = sum(y_L), y_l = tanh(W_l y_{l-1}), y_0 = x, with L square n × n matrices W_l. By the chain
rule its gradient is the row 1ᵀ J_L ⋯ J_1, each layer's Jacobian J_l = diag(1 - y_l²) W_l. The three
ways differ only in how they group that product:

- explicit: each J_l built as an n × n matrix and multiplied as the layers come (J_2 J_1, then J_3
  (J_2 J_1), ...): L - 1 matrix-matrix products, O(L n³);
- forward: one Jacobian-vector product J e_i per input direction e_i, so n passes of O(L n²) each,
  O(L n³) in all. chainrule.autograd.functional.jvp computes J v by the double-backward trick
  (a backward pass with create_graph, then a backward pass through that), not by dual numbers,
  so each of its passes costs about three of the function's; the count of passes is what grows;
- reverse: one vector-Jacobian product 1ᵀ J (one backward pass, the row vector multiplied in
  from the left), O(L n²).

Grouping the product from the left is what makes reverse mode cheap for a scalar output: every
factor it meets is a vector times a matrix.

The explicit products run in NumPy's BLAS, which uses several threads from n = 128 or so; on a
machine whose cores are busy with other work each product can wait a scheduler slice for its
threads (25-90 ms instead of 0.2 ms at n = 128 here under load). OPENBLAS_NUM_THREADS=1 in the
environment, set before Python starts, makes those times steady.
"""
import dataclasses
import math
import time

from chainrule.autograd.functional import jvp, vjp
from chainrule.backend import xp
from chainrule.creation import randn, zeros
from chainrule.grad_mode import no_grad
from chainrule.random import Generator

SIZES = (8, 16, 32, 64, 128, 256, 512)
LAYERS = 4
REPEATS = 3
SEED = 0
WAYS = ("explicit", "forward", "reverse")
# float32 agreement: L products of n-vectors whose entries are O(1) lose a few units in the 7th
# digit each; 1e-4 relative (of the gradient's largest entry) leaves room for n = 2048.
TOLERANCE = 1e-4
# A cheap way is run again until it has taken this long in all (the best run kept): on a shared
# machine a 0.2 ms product is often interrupted (a 40x slower run in three was common here under
# load), and the best of a few hundred runs finds an uninterrupted one. Costly ways run `repeats`
# times only.
BUDGET = 0.05   # seconds


@dataclasses.dataclass
class Row:
    """One size n: the seconds each way took (the best of the repeats) and the passes through the
    layers each made (explicit: one pass carrying n × n matrices; forward: n; reverse: 1)."""
    n: int
    explicit: float
    forward: float
    reverse: float
    passes: dict


class Composition:
    """f(x) = sum(tanh(W_L ⋯ tanh(W_1 x))) with fixed random n × n weights.

    W_l ~ N(0, 1/n), so that W_l y keeps entries of order one and tanh neither saturates (a
    vanishing gradient would make the three ways agree trivially) nor stays linear."""

    def __init__(self, n, layers=LAYERS, seed=SEED):
        generator = Generator().manual_seed(seed)
        self.n = n
        self.weights = [randn(n, n, generator=generator) / math.sqrt(n) for _ in range(layers)]
        self.x = randn(n, generator=generator)

    def __call__(self, x):
        y = x
        for w in self.weights:
            y = (w @ y).tanh()
        return y.sum()

    def gradient_explicit(self):
        """The chain rule as matrix products: J = J_L ⋯ J_1 built left to right as the layers come,
        then 1ᵀ J (the sum's Jacobian is a row of ones)."""
        with no_grad():
            y, product = self.x, None
            for w in self.weights:
                y = (w @ y).tanh()
                jacobian = (1 - y * y).unsqueeze(1) * w      # diag(1 - y²) W
                product = jacobian if product is None else jacobian @ product
            return product.sum(0)

    def gradient_forward(self):
        """n Jacobian-vector products, one per input direction: entry i of the gradient is J e_i."""
        entries = []
        for i in range(self.n):
            direction = zeros(self.n)
            direction[i] = 1.0
            entries.append(jvp(self, self.x, direction)[1].item())
        return xp.asarray(entries, dtype=self.x.array.dtype)

    def gradient_reverse(self):
        """One vector-Jacobian product: the gradient 1 · J in one backward pass."""
        return vjp(self, self.x)[1]


def check(composition, tolerance=TOLERANCE):
    """The three gradients as arrays {way: (n,)}; raise AssertionError, with the largest gap, if any
    two differ by more than tolerance times the gradient's largest entry."""
    gradients = {way: _array(getattr(composition, f"gradient_{way}")()) for way in WAYS}
    scale = max(float(abs(gradients["reverse"]).max()), 1e-30)
    for way in ("explicit", "forward"):
        gap = float(abs(gradients[way] - gradients["reverse"]).max())
        if gap > tolerance * scale:
            raise AssertionError(f"backprop_cost: at n = {composition.n} the {way} gradient differs "
                                 f"from the reverse-mode one by {gap:.3g} (largest entry {scale:.3g})")
    return gradients


def measure(sizes=SIZES, layers=LAYERS, repeats=REPEATS, seed=SEED, report=None):
    """One Row per n in sizes: the three gradients checked to agree, then each timed at least
    repeats times, and more while it has run under BUDGET seconds in all (the best run kept: the
    others measure the same work plus interruptions). report(row) is called as each row is done."""
    _check_arguments(sizes, layers, repeats)
    rows = []
    for n in sizes:
        composition = Composition(n, layers, seed)
        check(composition)
        seconds = {way: _best_time(getattr(composition, f"gradient_{way}"), repeats) for way in WAYS}
        row = Row(n, **seconds, passes={"explicit": 1, "forward": n, "reverse": 1})
        rows.append(row)
        if report is not None:
            report(row)
    return rows


def _check_arguments(sizes, layers, repeats):
    sizes = list(sizes)
    if not sizes or any(not isinstance(n, int) or n < 1 for n in sizes):
        raise ValueError(f"measure: sizes must be positive whole numbers, got {sizes!r}")
    for name, value in (("layers", layers), ("repeats", repeats)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"measure: {name} must be a positive whole number, got {value!r}")


def _best_time(compute, repeats, budget=BUDGET):
    best, spent, runs = math.inf, 0.0, 0
    while runs < repeats or spent < budget:
        start = time.perf_counter()
        compute()
        seconds = time.perf_counter() - start
        best, spent, runs = min(best, seconds), spent + seconds, runs + 1
    return best


def _array(gradient):
    return gradient.detach().array if hasattr(gradient, "detach") else gradient
