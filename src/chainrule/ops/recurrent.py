"""The fused ops that recurrent layers are made of: one op per time step of an RNN, LSTM or GRU
cell, and one op for a whole GRU or LSTM layer in one direction (gru_sequence, lstm_sequence),
which loops over the steps on arrays. A layer of steps gets their slices from ops.unbind's
`unbind`, whose backward costs O(T), not O(T²).

A layer computes every step's input projection gates_x = x W_ihᵀ + b in one matmul beforehand; a
step then adds the recurrent part h W_hhᵀ and applies the gates, all on arrays in one go.

Each step's backward formula is written once, with operators, slicing, @, .mT, .sum and a `join`
(cat) only, and runs on one of two kinds of operands (Function.operands). In a plain backward
nothing is recorded, so it runs on the arrays, with the forward's gate values as constants: a
step's dozens of small products then cost no Tensor bookkeeping, which is most of their time at
small sizes. When create_graph=True records the gradient's own graph, it runs on Tensors, with
the gate values recomputed by ops from the inputs, so that gradients of gradients see how they
depend on the inputs. The sequence ops run the same step formulas back through time.
"""
from chainrule.autograd.function import Function
from chainrule.backend import xp
from chainrule.ops.join import cat, stack
from chainrule.ops.unbind import unbind
from chainrule.tensor import Tensor

__all__ = ["rnn_cell_step", "lstm_cell_step", "gru_cell_step", "lstm_sequence", "gru_sequence"]


def _sigmoid(a):
    with xp.errstate(over="ignore"):  # exp(-a) = inf for very negative a: 1 / (1 + inf) = 0
        return 1 / (1 + xp.exp(-a))


def _sigmoid_(a):
    """a = σ(a), in place on an array forward made."""
    xp.negative(a, out=a)
    with xp.errstate(over="ignore"):  # exp(-a) = inf for very negative a: 1 / (1 + inf) = 0
        xp.exp(a, out=a)
    a += 1
    xp.reciprocal(a, out=a)


class RNNCellFunction(Function):
    """h' = act(gates_x + h W_hhᵀ), act = tanh or relu;
    with da = dh' (1 - h'²) for tanh, dh' [h' > 0] for relu:
    d gates_x = da,  dh = da W_hh,  dW_hh = daᵀ h"""
    save_output = True

    def forward(self, gates_x, h, w_hh, nonlinearity):
        self.nonlinearity = nonlinearity
        pre = h @ w_hh.T
        pre += gates_x
        if nonlinearity == "tanh":
            return xp.tanh(pre, out=pre)
        return xp.maximum(pre, 0, out=pre)

    def backward(self, grad):
        grad, (_, h, w_hh), recording = self.operands(grad)
        if self.nonlinearity == "tanh":
            h_new = self.output() if recording else self.out
            d_pre = grad * (1 - h_new * h_new)
        else:  # the mask is piecewise constant: no second derivative flows through it
            mask = (self.out > 0).astype(grad.dtype)
            d_pre = grad * (Tensor._make(mask) if recording else mask)
        d_h = d_pre @ w_hh if self.needs_input_grad[1] else None
        return _step_grads(self, d_pre, d_pre, d_h, h)


class LSTMCellFunction(Function):
    """One LSTM step on the packed state hc = [h, c] (N, 2H), gates in torch's order:

        [i, f, g, o] = [σ, σ, tanh, σ](gates_x + h W_hhᵀ);  c' = f c + i g;  h' = o tanh(c');
        y = [h', c']

    With dh', dc' the halves of dy:  dc = dc' + dh' o (1 - tanh²c');
    da = [dc g i(1-i), dc c f(1-f), dc i (1-g²), dh' tanh(c') o(1-o)] (the pre-activations);
    d gates_x = da,  d hc = [da W_hh, dc f],  dW_hh = daᵀ h
    """

    def forward(self, gates_x, hc, w_hh):
        hidden = w_hh.shape[1]
        self.act = xp.empty((4, hc.shape[0], hidden), hc.dtype)
        self.tanh_c, out = xp.empty_like(self.act[0]), xp.empty_like(hc)
        _lstm_forward(gates_x, hc, w_hh.T, xp.empty_like(gates_x), self.act, self.tanh_c, out)
        return out

    def backward(self, grad):
        grad, (gates_x, hc, w_hh), recording = self.operands(grad)
        hidden = w_hh.shape[1]
        h, c = hc[:, :hidden], hc[:, hidden:]
        if recording:
            i, f, g, o, c_new = _lstm_gates(gates_x, h, c, w_hh)
            tanh_c = c_new.tanh()
        else:
            (i, f, g, o), tanh_c = self.act, self.tanh_c
        join = cat if recording else xp.concatenate
        d_pre, d_h, d_c = _lstm_step_grads(grad[:, :hidden], grad[:, hidden:], c, i, f, g, o,
                                           tanh_c, w_hh, lambda parts: join(parts, 1))
        d_hc = join([d_h, d_c], 1) if self.needs_input_grad[1] else None
        return _step_grads(self, d_pre, d_pre, d_hc, h)


class LSTMSequence(Function):
    """An LSTM layer in one direction: LSTMCellFunction's step over t = 0 .. T-1 (T-1 .. 0 if
    reverse) from hc0 = [h0, c0] (N, 2H), on gates_x (T, N, 4H) holding every step's
    x_t W_ihᵀ + b_ih + b_hh; y (T, N, 2H) the steps' states [h_t, c_t]. The step's formulas,
    with dW_hh = Σ_t da_tᵀ h_{t-1} taken once over all steps (one GEMM, not T).

    As GRUSequence: the gradients flow back through time on arrays, d gates_x (= da)
    written into one buffer; under create_graph the steps are recomputed with ops.
    """
    save_output = True   # the output is the buffer of states backward reads

    def forward(self, gates_x, hc0, w_hh, *, reverse):
        self.reverse = reverse
        steps, hidden = gates_x.shape[0], w_hh.shape[1]
        # states[0] = hc0 and states[t + 1] = [h_t, c_t] (reverse: states[T] = hc0, ...)
        states = xp.empty((steps + 1,) + hc0.shape, hc0.dtype)
        states[steps if reverse else 0] = hc0
        self.act = xp.empty((steps, 4, hc0.shape[0], hidden), hc0.dtype)
        self.tanh_c = xp.empty_like(self.act[:, 0])
        w_hh_t = xp.ascontiguousarray(w_hh.T)   # see GRUSequence
        recurrent = xp.empty_like(gates_x[0])   # one step's, reused
        for t in _order(steps, reverse):
            _lstm_forward(gates_x[t], states[t + reverse], w_hh_t, recurrent, self.act[t],
                          self.tanh_c[t], states[t + 1 - reverse])
        self.states = states
        return states[:steps] if reverse else states[1:]

    def backward(self, grad):
        grad, (gates_x, hc0, w_hh), recording = self.operands(grad)
        steps, hidden = gates_x.shape[0], w_hh.shape[1]
        if recording:   # each step's gradients kept in a list, stacked once
            saved, grads = self._recomputed(gates_x, hc0, w_hh), unbind(grad)
            d_gates_x = [None] * steps
            def join(parts):
                return cat(parts, 1)
        else:           # written straight into the rows of a buffer
            saved, grads = self._saved(hidden), grad
            d_gates_x = xp.empty_like(gates_x)
            def join(parts):
                return xp.concatenate(parts, 1, out=d_gates_x[t])
        d_h = d_c = None
        for t in reversed(_order(steps, self.reverse)):
            grad_h, grad_c = grads[t][:, :hidden], grads[t][:, hidden:]
            if d_h is not None:
                grad_h, grad_c = grad_h + d_h, grad_c + d_c
            d_x, d_h, d_c = _lstm_step_grads(grad_h, grad_c, *saved[t][1:], w_hh, join)
            if recording:
                d_gates_x[t] = d_x
        if recording:
            d_gates_x, h_prev = stack(d_gates_x), stack([step[0] for step in saved])
        else:
            h_prev = (self.states[1:] if self.reverse else self.states[:steps])[..., :hidden]
        needs = self.needs_input_grad
        d_w_hh = d_gates_x.reshape(-1, 4 * hidden).mT @ h_prev.reshape(-1, hidden)
        return (d_gates_x if needs[0] else None,
                (cat if recording else xp.concatenate)([d_h, d_c], 1) if needs[1] else None,
                d_w_hh if needs[2] else None)

    def _saved(self, hidden):
        """Per step (h_{t-1}, c_{t-1}, i, f, g, o, tanh c_t) from the forward's buffers."""
        previous = self.states[1:] if self.reverse else self.states[:-1]
        return [(previous[t, :, :hidden], previous[t, :, hidden:], *self.act[t], self.tanh_c[t])
                for t in range(len(self.act))]

    def _recomputed(self, gates_x, hc0, w_hh):
        """Per step (h_{t-1}, c_{t-1}, i, f, g, o, tanh c_t) recomputed with ops."""
        steps_x, hidden = unbind(gates_x), w_hh.shape[1]
        saved, h, c = [None] * len(steps_x), hc0[:, :hidden], hc0[:, hidden:]
        for t in _order(len(steps_x), self.reverse):
            i, f, g, o, c_new = _lstm_gates(steps_x[t], h, c, w_hh)
            tanh_c = c_new.tanh()
            saved[t] = (h, c, i, f, g, o, tanh_c)
            h, c = o * tanh_c, c_new
        return saved


def _order(steps, reverse):
    """The time steps in the order a layer runs them."""
    return range(steps - 1, -1, -1) if reverse else range(steps)


def _lstm_forward(gates_x, hc, w_hh_t, recurrent, act, tanh_c, out):
    """One LSTM step on arrays, into the given buffers: recurrent = h W_hhᵀ (N, 4H), act =
    [i, f, g, o] (4, N, H), tanh_c = tanh c', out = [h', c']; w_hh_t = W_hhᵀ. The gates laid out
    one after the other, not side by side: NumPy runs twice as fast on contiguous operands."""
    hidden = w_hh_t.shape[0]
    xp.matmul(hc[:, :hidden], w_hh_t, out=recurrent)
    xp.add(*[part.reshape(-1, 4, hidden).transpose(1, 0, 2) for part in (gates_x, recurrent)],
           out=act)
    i, f, g, o = act
    _sigmoid_(act[:2])
    xp.tanh(g, out=g)
    _sigmoid_(o)
    c_new = out[:, hidden:]
    xp.multiply(f, hc[:, hidden:], out=c_new)
    c_new += i * g
    xp.tanh(c_new, out=tanh_c)
    xp.multiply(o, tanh_c, out=out[:, :hidden])


def _lstm_gates(gates_x, h, c, w_hh):
    """(i, f, g, o, c') of one LSTM step, computed with ops."""
    i, f, g, o = (gates_x + h @ w_hh.mT).split(w_hh.shape[1], 1)
    i, f, g, o = i.sigmoid(), f.sigmoid(), g.tanh(), o.sigmoid()
    return i, f, g, o, f * c + i * g


def _lstm_step_grads(grad_h, grad_c, c, i, f, g, o, tanh_c, w_hh, join):
    """(da, dh, dc) of one LSTM step given dh', dc', on arrays or on Tensors; join(parts) joins
    the four gates' parts of da."""
    grad_c = grad_c + grad_h * o * (1 - tanh_c * tanh_c)
    d_pre = join([grad_c * g * (i - i * i), grad_c * c * (f - f * f), grad_c * i * (1 - g * g),
                  grad_h * tanh_c * (o - o * o)])
    return d_pre, d_pre @ w_hh, grad_c * f


class GRUCellFunction(Function):
    """One GRU step, gates in torch's order (reset, update, new), the reset gate applied to the
    recurrent part of the candidate including its bias (Cho et al. 2014, as cuDNN and torch do):

        [a_r, a_z, a_n] = h W_hhᵀ + b_hh;  [x_r, x_z, x_n] = gates_x;
        r = σ(x_r + a_r);  z = σ(x_z + a_z);  n = tanh(x_n + r a_n);  h' = (1 - z) n + z h

    With dn = dh' (1 - z)(1 - n²), dr = dn a_n r(1-r), dz = dh' (h - n) z(1-z):
    d gates_x = [dr, dz, dn];  da = [dr, dz, dn r];  dh = dh' z + da W_hh;
    dW_hh = daᵀ h;  db_hh = Σ_batch da
    """

    def forward(self, gates_x, h, w_hh, b_hh=None):
        self.rz = xp.empty((2,) + h.shape, gates_x.dtype)
        self.a_n, self.n, out = xp.empty_like(h), xp.empty_like(h), xp.empty_like(h)
        _gru_forward(gates_x, h, w_hh.T, b_hh, xp.empty_like(gates_x), self.rz, self.a_n, self.n,
                     out)
        return out

    def backward(self, grad):
        grad, (gates_x, h, w_hh, *b_hh), recording = self.operands(grad)
        if recording:
            r, z, n, a_n = _gru_gates(gates_x, h, w_hh, b_hh)
        else:
            (r, z), n, a_n = self.rz, self.n, self.a_n
        join = cat if recording else xp.concatenate
        d_gates_x, d_recurrent, d_h = _gru_step_grads(grad, h, r, z, n, a_n, w_hh,
                                                      lambda parts, _: join(parts, 1))
        return _step_grads(self, d_gates_x, d_recurrent,
                           d_h if self.needs_input_grad[1] else None, h)


class GRUSequence(Function):
    """A GRU layer in one direction: GRUCellFunction's step over t = 0 .. T-1 (T-1 .. 0 if
    reverse) from h0, on gates_x (T, N, 3H) holding every step's x_t W_ihᵀ + b_ih; y (T, N, H)
    the steps' outputs h_t. The step's formulas, with dW_hh = Σ_t da_tᵀ h_{t-1} and
    db_hh = Σ_t Σ_batch da_t each taken once over all steps (one GEMM, not T).

    Why one op for T steps: the gradients flow back through time on arrays, into buffers, with no
    node, Tensor or gradient sum per step; under create_graph the steps are recomputed with ops.
    What the steps' backward reads is saved, and no more (memory traffic is most of its time):
    r, z, n, a_n and the states; of da, only its candidate part dn r is kept (its r and z parts
    are d gates_x's).
    """
    save_output = True   # the output is the buffer of states backward reads

    def forward(self, gates_x, h0, w_hh, b_hh=None, *, reverse):
        self.reverse = reverse
        steps = gates_x.shape[0]
        # states[0] = h0 and states[t + 1] = h_t (reverse: states[T] = h0, states[t] = h_t)
        states = xp.empty((steps + 1,) + h0.shape, h0.dtype)
        states[steps if reverse else 0] = h0
        recurrent = xp.empty(gates_x.shape[1:], gates_x.dtype)   # one step's, reused
        self.rz = xp.empty((steps, 2) + h0.shape, gates_x.dtype)
        self.n, self.a_n = xp.empty_like(states[1:]), xp.empty_like(states[1:])
        w_hh_t = xp.ascontiguousarray(w_hh.T)   # a product with it runs 12 % faster than with .T
        for t in _order(steps, self.reverse):
            _gru_forward(gates_x[t], states[t + reverse], w_hh_t, b_hh, recurrent, self.rz[t],
                         self.a_n[t], self.n[t], states[t + 1 - reverse])
        self.states = states
        return states[:steps] if reverse else states[1:]

    def backward(self, grad):
        grad, (gates_x, h0, w_hh, *b_hh), recording = self.operands(grad)
        steps, hidden = gates_x.shape[0], w_hh.shape[1]
        if recording:   # each step's gradients kept in lists, stacked once
            saved, grads = self._recomputed(gates_x, h0, w_hh, b_hh), unbind(grad)
            d_gates_x, d_recurrent = [None] * steps, [None] * steps
            def join(parts, which):
                return cat(parts, 1)
        else:           # d gates_x written into a buffer; da into one step's, d_n r kept
            saved, grads = self._saved(hidden), grad
            d_gates_x, d_recurrent = xp.empty_like(gates_x), xp.empty_like(self.n)
            rows = [d_gates_x, [xp.empty_like(gates_x[0])] * steps]   # every step: one buffer
            def join(parts, which):
                return xp.concatenate(parts, 1, out=rows[which][t])
        d_h = None
        for t in reversed(_order(steps, self.reverse)):
            g = grads[t] if d_h is None else grads[t] + d_h
            d_x, d_a, d_h = _gru_step_grads(g, *saved[t], w_hh, join)
            if recording:
                d_gates_x[t], d_recurrent[t] = d_x, d_a
            else:
                d_recurrent[t] = d_a[:, 2 * hidden:]
        needs = self.needs_input_grad
        if recording:
            d_gates_x, parts = stack(d_gates_x), [stack(d_recurrent).reshape(-1, 3 * hidden)]
            h_prev = stack([step[0] for step in saved]).reshape(-1, hidden)
        else:   # da = [the r and z parts of d gates_x, d_n r]: two products, not a copy
            parts = [d_gates_x.reshape(-1, 3 * hidden)[:, :2 * hidden],
                     d_recurrent.reshape(-1, hidden)]
            h_prev = (self.states[1:] if self.reverse else self.states[:steps]).reshape(-1, hidden)
        join = cat if recording else xp.concatenate
        grads = [d_gates_x if needs[0] else None, d_h if needs[1] else None,
                 join([part.mT @ h_prev for part in parts]) if needs[2] else None]
        if b_hh:
            grads.append(join([_column_sums(part) for part in parts]) if needs[3] else None)
        return tuple(grads)

    def _saved(self, hidden):
        """Per step (h_{t-1}, r, z, n, a_n) from the forward's buffers."""
        previous = self.states[1:] if self.reverse else self.states[:-1]
        return [(previous[t], self.rz[t, 0], self.rz[t, 1], self.n[t],
                 self.a_n[t]) for t in range(len(self.n))]

    def _recomputed(self, gates_x, h0, w_hh, b_hh):
        """Per step (h_{t-1}, r, z, n, a_n) recomputed with ops, so that they carry their graph."""
        steps_x = unbind(gates_x)
        saved, h = [None] * len(steps_x), h0
        for t in _order(len(steps_x), self.reverse):
            r, z, n, a_n = _gru_gates(steps_x[t], h, w_hh, b_hh)
            saved[t] = (h, r, z, n, a_n)
            h = (1 - z) * n + z * h
        return saved


def _column_sums(rows):
    """Σ over the rows of a matrix; of an array's as one matrix-vector product: twice as fast as
    NumPy's sum over axis 0 here, which also adds row after row where BLAS blocks the sum."""
    if isinstance(rows, Tensor):
        return rows.sum(0)
    return xp.ones(rows.shape[0], rows.dtype) @ rows


def _gru_forward(gates_x, h, w_hh_t, b_hh, recurrent, rz, a_n, n, out):
    """One GRU step on arrays, into the given buffers: recurrent = h W_hhᵀ + b_hh, rz = [r, z]
    (2, N, H), a_n, n, and out = h'; w_hh_t = W_hhᵀ. r and z are laid out one after the other, not
    side by side: NumPy runs twice as fast on a contiguous operand as on a strided slice."""
    hidden = w_hh_t.shape[0]
    xp.matmul(h, w_hh_t, out=recurrent)
    if b_hh is not None:
        recurrent += b_hh
    gates_rz = [part[:, :2 * hidden].reshape(-1, 2, hidden).transpose(1, 0, 2)
                for part in (gates_x, recurrent)]
    xp.add(*gates_rz, out=rz)
    _sigmoid_(rz)
    a_n[...] = recurrent[:, 2 * hidden:]
    xp.multiply(rz[0], a_n, out=n)
    n += gates_x[:, 2 * hidden:]
    xp.tanh(n, out=n)
    xp.subtract(h, n, out=out)
    out *= rz[1]
    out += n


def _gru_gates(gates_x, h, w_hh, b_hh):
    """(r, z, n, a_n) of one GRU step, computed with ops (b_hh: [] or [bias])."""
    hidden = w_hh.shape[1]
    recurrent = h @ w_hh.mT + b_hh[0] if b_hh else h @ w_hh.mT
    x_r, x_z, x_n = gates_x.split(hidden, 1)
    a_r, a_z, a_n = recurrent.split(hidden, 1)
    r, z = (x_r + a_r).sigmoid(), (x_z + a_z).sigmoid()
    return r, z, (x_n + r * a_n).tanh(), a_n


def _gru_step_grads(grad, h, r, z, n, a_n, w_hh, join):
    """(d gates_x, d recurrent, d h) of one GRU step given dh' = grad, on arrays or on Tensors;
    join(parts, k) joins the three gates' parts of result k (0: d gates_x, 1: d recurrent)."""
    grad_z = grad * z   # each factor written to take the fewest passes over the arrays
    d_n = (grad - grad_z) * (1 - n * n)
    d_r = d_n * a_n * (r - r * r)
    d_z = (h - n) * (grad_z - grad_z * z)
    d_recurrent = join([d_r, d_z, d_n * r], 1)
    return join([d_r, d_z, d_n], 0), d_recurrent, d_recurrent @ w_hh + grad_z


def _step_grads(fn, d_gates_x, d_recurrent, d_state, h):
    """The gradients of a step's inputs (gates_x, state, w_hh[, b_hh]), given those of its
    pre-activations: the input's share, the recurrent share (h W_hhᵀ + b_hh) and the state's;
    arrays from a plain backward are wrapped as Tensors here."""
    needs = fn.needs_input_grad
    grads = [d_gates_x if needs[0] else None, d_state,
             d_recurrent.mT @ h if needs[2] else None]
    if len(needs) == 4:
        grads.append(d_recurrent.sum(0) if needs[3] else None)
    return tuple(g if g is None or isinstance(g, Tensor) else Tensor._make(g) for g in grads)


# ----- functional forms ---------------------------------------------------------------------------
def rnn_cell_step(gates_x, h, w_hh, nonlinearity="tanh"):
    """h' = tanh or relu(gates_x + h W_hhᵀ). Shapes: gates_x (N, H), h (N, H), w_hh (H, H)."""
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"rnn_cell_step: unknown nonlinearity {nonlinearity!r}; select from "
                         "'tanh' or 'relu'")
    return RNNCellFunction.apply(gates_x, h, w_hh, nonlinearity=nonlinearity)


def lstm_cell_step(gates_x, hc, w_hh):
    """[h', c'] from [h, c]. Shapes: gates_x (N, 4H), hc (N, 2H), w_hh (4H, H)."""
    return LSTMCellFunction.apply(gates_x, hc, w_hh)


def gru_cell_step(gates_x, h, w_hh, b_hh=None):
    """h' from h. Shapes: gates_x (N, 3H), h (N, H), w_hh (3H, H), b_hh (3H,)."""
    if b_hh is None:
        return GRUCellFunction.apply(gates_x, h, w_hh)
    return GRUCellFunction.apply(gates_x, h, w_hh, b_hh)


def lstm_sequence(gates_x, hc0, w_hh, reverse=False):
    """Every step's state [h_t, c_t] of an LSTM layer in one direction (from the last step back
    if reverse). Shapes: gates_x (T, N, 4H), hc0 (N, 2H), w_hh (4H, H) -> (T, N, 2H)."""
    return LSTMSequence.apply(gates_x, hc0, w_hh, reverse=reverse)


def gru_sequence(gates_x, h0, w_hh, b_hh=None, reverse=False):
    """Every step's h_t of a GRU layer in one direction (from the last step back if reverse).
    Shapes: gates_x (T, N, 3H), h0 (N, H), w_hh (3H, H), b_hh (3H,) -> (T, N, H)."""
    inputs = (gates_x, h0, w_hh) if b_hh is None else (gates_x, h0, w_hh, b_hh)
    return GRUSequence.apply(*inputs, reverse=reverse)
