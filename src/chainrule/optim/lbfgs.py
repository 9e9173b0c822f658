"""L-BFGS: quasi-Newton steps from a short memory of parameter and gradient changes, with a fixed
step length or a strong-Wolfe line search. It sees all parameters as one flat vector."""
from collections import namedtuple

from chainrule.grad_mode import enable_grad
from chainrule.backend import xp
from chainrule.optim.optimizer import (Optimizer, check_non_negative, checked_grad,
                                       quiet_arithmetic)
from chainrule.tensor import Tensor

# one trial step of the line search: step length t, loss f, flat gradient g, slope gᵀd
_Point = namedtuple("_Point", "t f g gtd")


class LBFGS(Optimizer):
    """L-BFGS (Nocedal & Wright, Numerical Optimization, 2006, Algorithms 7.4 and 7.5), as torch
    computes it (after minFunc). One step(closure) runs up to max_iter iterations on θ, all
    parameters flattened into one vector with gradient g:

        d ← −H g                 two-loop recursion over the last history_size pairs
                                 s = Δθ, y = Δg (kept only if yᵀs > 1e-10), H₀ = yᵀs/yᵀy · I
        t ← γ·min(1, 1/‖g‖₁) at the very first iteration, then γ; or a strong-Wolfe line search
            from t (sufficient decrease c₁ = 1e-4, curvature c₂ = 0.9, cubic interpolation)
        θ ← θ + t d

    It stops after max_iter iterations or max_eval evaluations of the closure, when ‖g‖∞ ≤
    tolerance_grad, or when the step, the slope gᵀd or the change of the loss falls below
    tolerance_change. The memory carries over from one step to the next.

    Args:
        params: the tensors to optimize (one group only: no per-parameter options).
        lr: learning rate γ (default 1).
        max_iter: iterations per step (default 20).
        max_eval: evaluations of the closure per step (default max_iter * 5 // 4).
        tolerance_grad: stop when every |gᵢ| is at most this (default 1e-7).
        tolerance_change: stop when the loss or the parameters change less (default 1e-9).
        history_size: the number of (s, y) pairs remembered (default 100).
        line_search_fn: None (a fixed step) or "strong_wolfe" (default None).

    step(closure) needs the closure: it zeroes the gradients, computes the loss, calls
    loss.backward() and returns the loss. The step returns the closure's first loss.
    """
    _state_has_param_shapes = False   # its state holds flattened vectors of all the parameters

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7,
                 tolerance_change=1e-9, history_size=100, line_search_fn=None):
        check_non_negative(lr=lr)
        if line_search_fn not in (None, "strong_wolfe"):
            raise ValueError("LBFGS: line_search_fn must be None or 'strong_wolfe', got "
                             f"{line_search_fn!r}")
        if not history_size >= 1:
            raise ValueError(f"LBFGS: history_size must be at least 1, got {history_size}")
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        super().__init__(params, dict(lr=lr, max_iter=max_iter, max_eval=max_eval,
                                      tolerance_grad=tolerance_grad,
                                      tolerance_change=tolerance_change,
                                      history_size=history_size, line_search_fn=line_search_fn))
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    def step(self, closure=None):
        """Run up to max_iter iterations; returns the loss the closure gave first."""
        if closure is None:
            raise TypeError("LBFGS.step needs a closure, a function that zeroes the gradients, "
                            "computes the loss, calls loss.backward() and returns the loss: "
                            "optimizer.step(closure)")
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        group = self.param_groups[0]
        if group["line_search_fn"] not in (None, "strong_wolfe"):
            raise RuntimeError("only 'strong_wolfe' is supported")
        # the state is global; torch files it under the first parameter (so that
        # load_state_dict casts it to that parameter's dtype)
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        memory = _unpacked(state)
        closure = _in_callers_errstate(closure)
        # one error state for the whole step, as the base class's: inf and nan from an inf or
        # nan gradient are values, as in torch; the closure runs in the caller's error state
        with quiet_arithmetic():
            first_loss = self._evaluate(closure)
            loss, flat_grad = float(first_loss), self._flat_grad()
            memory["func_evals"] += 1
            if not xp.abs(flat_grad).max() <= group["tolerance_grad"]:
                self._iterate(closure, group, memory, loss, flat_grad)
        state.update(_packed(memory))
        return first_loss

    # ----- the iterations -----------------------------------------------------------------------
    def _iterate(self, closure, group, memory, loss, flat_grad):
        """torch's loop: a direction, a step along it, then the stopping tests."""
        max_iter, max_eval, tolerance_change = (group["max_iter"], group["max_eval"],
                                                group["tolerance_change"])
        evals, n_iter = 1, 0
        while n_iter < max_iter:
            n_iter += 1
            memory["n_iter"] += 1
            d = memory["d"] = _direction(memory, flat_grad, group["history_size"])
            memory["prev_flat_grad"], memory["prev_loss"] = flat_grad, loss
            t = memory["t"] = (min(1.0, 1.0 / xp.abs(flat_grad).sum()) * group["lr"]
                               if memory["n_iter"] == 1 else group["lr"])
            gtd = flat_grad.dot(d)
            if gtd > -tolerance_change:       # not a descent direction (any more)
                break
            if group["line_search_fn"] is not None:
                loss, flat_grad, t, new_evals = self._line_search(closure, d, t, loss, flat_grad,
                                                                  gtd, max_eval - evals)
                memory["t"] = t
                self._move(t, d)
            else:
                self._move(t, d)
                new_evals = 0
                if n_iter != max_iter:       # the last iteration's loss would go unused
                    loss, new_evals = float(self._evaluate(closure)), 1
                    flat_grad = self._flat_grad()
            evals += new_evals
            memory["func_evals"] += new_evals
            if (n_iter == max_iter or evals >= max_eval
                    or xp.abs(flat_grad).max() <= group["tolerance_grad"]
                    or xp.abs(d * t).max() <= tolerance_change
                    or abs(loss - memory["prev_loss"]) < tolerance_change):
                break

    def _line_search(self, closure, d, t, loss, flat_grad, gtd, max_ls):
        start = [p.array.copy() for p in self._params]

        def probe(step_length):
            """The loss and gradient at start + step_length·d; the parameters are put back."""
            self._move(step_length, d)
            value, grad = float(self._evaluate(closure)), self._flat_grad()
            self._set(start)
            return _Point(step_length, value, grad, grad.dot(d))

        # torch leaves the search's tolerance_change at its default (not the group's)
        best, evals = _strong_wolfe(probe, _Point(0, loss, flat_grad, gtd), t,
                                    d_norm=xp.abs(d).max(), max_ls=max_ls)
        return best.f, best.g, best.t, evals

    # ----- the parameters as one vector -------------------------------------------------------
    def _evaluate(self, closure):
        with enable_grad():
            return closure()

    def _flat_grad(self):
        pieces = []
        for index, param in enumerate(self._params):
            if param.grad is None:
                pieces.append(xp.zeros(param.array.size, dtype=param.array.dtype))
            else:
                pieces.append(checked_grad("LBFGS", index, param).reshape(-1))
        return xp.concatenate(pieces)

    def _move(self, t, d):
        """θ ← θ + t d, in place."""
        offset = 0
        for param in self._params:
            size = param.array.size
            param.array += t * d[offset:offset + size].reshape(param.array.shape)
            param._version[0] += 1
            offset += size

    def _set(self, arrays):
        for param, array in zip(self._params, arrays, strict=True):
            param.array[...] = array
            param._version[0] += 1


def _in_callers_errstate(closure):
    """closure, run under the NumPy error state in force now (the step's own is quieter)."""
    settings = xp.geterr()

    def evaluate():
        with xp.errstate(**settings):
            return closure()
    return evaluate


def _direction(memory, flat_grad, history_size):
    """−H g: the steepest descent at the first iteration; then the memory takes in the last
    (s, y) pair and the two-loop recursion applies the inverse-Hessian estimate."""
    if memory["n_iter"] == 1:
        memory.update(old_dirs=[], old_stps=[], ro=[], H_diag=1)
        return -flat_grad
    y = flat_grad - memory["prev_flat_grad"]
    s = memory["d"] * memory["t"]
    ys = y.dot(s)
    if ys > 1e-10:                       # keep the estimate positive definite
        if len(memory["old_dirs"]) == history_size:
            for key in ("old_dirs", "old_stps", "ro"):
                memory[key].pop(0)
        memory["old_dirs"].append(y)
        memory["old_stps"].append(s)
        memory["ro"].append(1.0 / ys)
        memory["H_diag"] = ys / y.dot(y)
    alphas = memory.setdefault("al", [None] * history_size)
    return _two_loop(flat_grad, memory["old_dirs"], memory["old_stps"], memory["ro"],
                     memory["H_diag"], alphas)


def _two_loop(flat_grad, ys, ss, rhos, h_diag, alphas):
    """−H g by Nocedal & Wright's Algorithm 7.4; alphas is filled in place (torch keeps it)."""
    q = -flat_grad
    for i in reversed(range(len(ys))):
        alphas[i] = ss[i].dot(q) * rhos[i]
        q -= alphas[i] * ys[i]
    r = q * h_diag
    for i in range(len(ys)):
        beta = ys[i].dot(r) * rhos[i]
        r += (alphas[i] - beta) * ss[i]
    return r


# ----- the strong-Wolfe line search (after minFunc's, as torch ports it) ------------------------
def _strong_wolfe(probe, start, t, d_norm, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25):
    """A step length t meeting the strong Wolfe conditions f(t) ≤ f(0) + c₁t·f'(0) and
    |f'(t)| ≤ c₂|f'(0)| (Nocedal & Wright, Algorithms 3.5 and 3.6): first bracket one, then
    zoom in. probe(t) evaluates a _Point. Returns the best point found and the evaluations."""
    max_ls = max(max_ls, 0)              # (torch fails on a negative one: max_eval < 1)
    bracket, done, evals = _bracket(probe, start, t, c1, c2, max_ls)
    best, zoom_evals = _zoom(probe, start, bracket, done, evals - 1, d_norm, c1, c2,
                             tolerance_change, max_ls)
    return best, evals + zoom_evals


def _bracket(probe, start, t, c1, c2, max_ls):
    """Grow t until [previous, t] holds a point meeting the conditions (or t meets them: done).
    Returns the bracket, done and the number of evaluations."""
    previous, new = start, probe(t)
    for iteration in range(max_ls):
        if (new.f > start.f + c1 * new.t * start.gtd
                or (iteration > 1 and new.f >= previous.f)):
            return [previous, new], False, iteration + 1
        if abs(new.gtd) <= -c2 * start.gtd:
            return [new], True, iteration + 1
        if new.gtd >= 0:
            return [previous, new], False, iteration + 1
        t = _cubic_interpolate(previous.t, previous.f, previous.gtd, new.t, new.f, new.gtd,
                               bounds=(new.t + 0.01 * (new.t - previous.t), new.t * 10))
        previous, new = new, probe(t)
    return [start, new], False, max_ls + 1


def _zoom(probe, start, bracket, done, iteration, d_norm, c1, c2, tolerance_change, max_ls):
    """Shrink the bracket (low end: the lowest loss so far) until a point meets the conditions.
    Returns the point at the low end and the number of evaluations."""
    low, high = (0, 1) if bracket[0].f <= bracket[-1].f else (1, 0)
    insufficient_progress, evals = False, 0
    while not done and iteration < max_ls:
        if abs(bracket[1].t - bracket[0].t) * d_norm < tolerance_change:
            break
        t = _cubic_interpolate(*bracket[0][:2], bracket[0].gtd, *bracket[1][:2], bracket[1].gtd)
        t, insufficient_progress = _away_from_ends(t, bracket[0].t, bracket[1].t,
                                                   insufficient_progress)
        new = probe(t)
        evals, iteration = evals + 1, iteration + 1
        if new.f > start.f + c1 * t * start.gtd or new.f >= bracket[low].f:
            bracket[high] = new          # too high: the new point closes the bracket
            low, high = (0, 1) if bracket[0].f <= bracket[1].f else (1, 0)
            continue
        if abs(new.gtd) <= -c2 * start.gtd:
            done = True
        elif new.gtd * (bracket[high].t - bracket[low].t) >= 0:
            bracket[high] = bracket[low]  # the minimum lies on the other side of the new point
        bracket[low] = new
    return bracket[low], evals


def _away_from_ends(t, a, b, insufficient_progress):
    """A trial t within 10% of the bracket's ends makes little progress; the second time in a
    row (or at or past an end) it is moved to 10% inside. Returns t and the progress flag."""
    lowest, highest = min(a, b), max(a, b)
    margin = 0.1 * (highest - lowest)
    if not min(highest - t, t - lowest) < margin:
        return t, False
    if insufficient_progress or t >= highest or t <= lowest:
        return (highest - margin if abs(t - highest) < abs(t - lowest) else lowest + margin), False
    return t, True


def _cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    """The minimiser of the cubic through (x1, f1) and (x2, f2) with slopes g1 and g2, clamped to
    bounds (default: between x1 and x2); the bounds' midpoint when the cubic has none."""
    low, high = bounds if bounds is not None else ((x1, x2) if x1 <= x2 else (x2, x1))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 ** 2 - g1 * g2
    if not d2_square >= 0:
        return (low + high) / 2.0
    d2 = xp.sqrt(d2_square)
    if x1 <= x2:
        minimiser = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        minimiser = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(minimiser, low), high)


# ----- the state: Tensors when stored, arrays while computing -----------------------------------
def _unpacked(state):
    return {key: _array_of(value) for key, value in state.items()}


def _packed(memory):
    return {key: _tensor_of(value) for key, value in memory.items()}


def _array_of(value):
    if isinstance(value, list):
        return [_array_of(item) for item in value]
    return value.array if isinstance(value, Tensor) else value


def _tensor_of(value):
    if isinstance(value, list):
        return [_tensor_of(item) for item in value]
    if isinstance(value, (xp.ndarray, xp.generic)):
        return Tensor._make(value)
    return value
