"""The lecture's first model: the polynomial y(x, w) = Σ_j w_j x^j of degree M, fitted to data by
minimising a sum-of-squares error, in closed form or by gradient descent through the engine
(PRML §1.1, pp. 4-12)."""
from chainrule import creation
from chainrule.grad_mode import no_grad
from chainrule.backend import float64, xp
from chainrule.models.least_squares import least_squares
from chainrule.nn.module import Module
from chainrule.nn.parameter import Parameter
from chainrule.optim.adam import Adam
from chainrule.ops.join import stack
from chainrule.tensor import Tensor


def polynomial_features(x, degree):
    """φ(x) = (1, x, x², ..., x^M), the design matrix Φ of PRML eq. 3.16 with φ_j(x) = x^j.

    Built by repeated multiplication (differentiable in x). x: a Tensor, array or list of shape
    (*); returns a Tensor of shape (*, M + 1).
    """
    _check_degree("polynomial_features", degree)
    x = x if isinstance(x, Tensor) else creation.tensor(x, dtype=float64)
    powers = [creation.ones_like(x)]
    for _ in range(degree):
        powers.append(powers[-1] * x)
    return stack(powers, dim=-1)


class Polynomial(Module):
    """y(x, w) = Σ_{j=0}^{M} w_j x^j (PRML eq. 1.1).

    Args:
        degree: M, the order of the polynomial (M + 1 coefficients).
        dtype: of the coefficients (default chainrule's float32; use float64 beyond M ≈ 5,
            where the coefficients of an unregularised fit reach 10^6, PRML Table 1.1).

    Attributes: weight, the Parameter w = (w_0, ..., w_M), initialised to zero (the error is
    convex in w, so no symmetry needs breaking).

    Shape: input x (*) -> output y (*).
    """

    def __init__(self, degree, dtype=None):
        super().__init__()
        _check_degree("Polynomial", degree)
        self.degree = degree
        self.weight = Parameter(creation.zeros(degree + 1, dtype=dtype))

    def forward(self, x):
        return polynomial_features(x, self.degree) @ self.weight

    def fit_closed_form(self, x, t, lam=0.0):
        """Set w to the minimiser of E(w) = ½ Σ_n (y(x_n, w) − t_n)² + (λ/2)‖w‖² (PRML eq. 1.4,
        w_0 included in the penalty): w* solves (ΦᵀΦ + λI) w = Φᵀt, found by least squares (see
        least_squares), never by inverting ΦᵀΦ. Returns self."""
        phi = polynomial_features(xp.asarray(_array(x), dtype=float64), self.degree).array
        w = least_squares(phi, xp.asarray(_array(t), dtype=float64), lam)
        with no_grad():   # into the parameter's memory: an optimizer built on it keeps seeing it
            self.weight.copy_(Tensor._make(w))
        return self

    def fit_by_gradient(self, x, t, lam=0.0, optimizer=None, steps=20_000):
        """Minimise the same E(w) as fit_closed_form by gradient descent: the engine computes
        ∇E by backprop and an optimizer from chainrule.optim takes the steps.

        Args:
            x, t: the data (Tensors or arrays of shape (N,)).
            lam: λ of the penalty (λ/2)‖w‖² (default 0).
            optimizer: an Optimizer built on self.parameters(), or None for Adam(lr=0.02): Adam
                rescales each coordinate, which the badly conditioned Φ (κ(ΦᵀΦ) ≈ 1e4 already at
                M = 3) needs; with it, 20,000 full-batch steps (2 s) reach the closed form to ~1e-5
                on the book's data sizes (10 to 100 points, M = 3).
            steps: number of full-batch steps.

        Returns the list of E(w) values, one per step.
        """
        x, t = (v if isinstance(v, Tensor) else creation.tensor(v, dtype=float64) for v in (x, t))
        if optimizer is None:
            optimizer = Adam(self.parameters(), lr=0.02)
        losses = []
        for _ in range(steps):
            loss = sum_of_squares_error(self(x), t)
            if lam != 0:   # at λ = 0 the penalty's four nodes would add exact zeros
                loss = loss + lam / 2 * (self.weight ** 2).sum()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses

    def extra_repr(self):
        return f"degree={self.degree}"


def sum_of_squares_error(y, t):
    """E = ½ Σ_n (y_n − t_n)² (PRML eq. 1.2): Tensors in, a scalar Tensor out."""
    return 0.5 * ((y - t) ** 2).sum()


def rms_error(y, t):
    """E_RMS = sqrt(2E/N) = sqrt(mean of (y_n − t_n)²) (PRML eq. 1.3), on the scale of t: a
    float from arrays or Tensors."""
    y, t = xp.asarray(_array(y), dtype=float64), xp.asarray(_array(t), dtype=float64)
    if y.shape != t.shape:
        raise ValueError(f"rms_error: predictions of shape {y.shape} and targets of shape "
                         f"{t.shape} differ")
    return float(xp.sqrt(xp.mean((y - t) ** 2)))


def _array(v):
    return v.array if isinstance(v, Tensor) else v


def _check_degree(name, degree):
    if isinstance(degree, bool) or not isinstance(degree, int) or degree < 0:
        raise ValueError(f"{name}: degree must be an int >= 0, got {degree!r}")
