"""The fused steps that recurrent layers are made of: one op per time step of an RNN, LSTM or GRU
cell. A layer gets its steps' slices from ops.unbind's `unbind`, whose backward costs O(T), not
O(T²).

A layer computes every step's input projection gates_x = x W_ihᵀ + b in one matmul beforehand; a
step op then adds the recurrent part h W_hhᵀ and applies the gates, all on arrays in one go.

Each backward formula is written once, with operators, slicing, @, .mT, .sum and `cat` only, and
runs on one of two kinds of operands. In a plain backward nothing is recorded, so it runs on the
arrays, with the forward's gate values as constants: a step's dozens of small products then cost
no Tensor bookkeeping, which is most of their time at small sizes. When create_graph=True records
the gradient's own graph, it runs on Tensors, with the gate values recomputed by ops from the
inputs, so that gradients of gradients see how they depend on the inputs.
"""
from chainrule.autograd.function import Function
from chainrule.backend import xp
from chainrule.grad_mode import state
from chainrule.ops.join import cat
from chainrule.tensor import Tensor

__all__ = ["rnn_cell_step", "lstm_cell_step", "gru_cell_step"]


def _sigmoid(a):
    with xp.errstate(over="ignore"):  # exp(-a) = inf for very negative a: 1 / (1 + inf) = 0
        return 1 / (1 + xp.exp(-a))


def _operands(fn, grad):
    """(grad, inputs, cat, recording): arrays for a plain backward, Tensors under create_graph."""
    if state.enabled:
        return grad, fn.inputs, cat, True
    return grad.array, [t.array for t in fn.inputs], xp.concatenate, False


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
        grad, (_, h, w_hh), _, recording = _operands(self, grad)
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
        gates = hc[:, :hidden] @ w_hh.T
        gates += gates_x
        act = _sigmoid(gates)  # also over g, overwritten next: one call beats three slices
        act[:, 2 * hidden:3 * hidden] = xp.tanh(gates[:, 2 * hidden:3 * hidden])
        i, f, g, o = (act[:, k * hidden:(k + 1) * hidden] for k in range(4))
        out = xp.empty_like(hc)
        c_new = out[:, hidden:]
        xp.multiply(f, hc[:, hidden:], out=c_new)
        c_new += i * g
        tanh_c = xp.tanh(c_new)
        xp.multiply(o, tanh_c, out=out[:, :hidden])
        self.act, self.tanh_c = act, tanh_c
        return out

    def backward(self, grad):
        grad, (gates_x, hc, w_hh), cat, recording = _operands(self, grad)
        hidden = w_hh.shape[1]
        h, c = hc[:, :hidden], hc[:, hidden:]
        if recording:
            i, f, g, o = (gates_x + h @ w_hh.mT).split(hidden, 1)
            i, f, g, o = i.sigmoid(), f.sigmoid(), g.tanh(), o.sigmoid()
            tanh_c = (f * c + i * g).tanh()
        else:
            i, f, g, o = (self.act[:, k * hidden:(k + 1) * hidden] for k in range(4))
            tanh_c = self.tanh_c
        dh, dc = grad[:, :hidden], grad[:, hidden:]
        dc = dc + dh * o * (1 - tanh_c * tanh_c)
        d_pre = cat([dc * g * i * (1 - i), dc * c * f * (1 - f), dc * i * (1 - g * g),
                     dh * tanh_c * o * (1 - o)], 1)
        d_hc = cat([d_pre @ w_hh, dc * f], 1) if self.needs_input_grad[1] else None
        return _step_grads(self, d_pre, d_pre, d_hc, h)


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
        hidden = w_hh.shape[1]
        recurrent = h @ w_hh.T
        if b_hh is not None:
            recurrent += b_hh
        rz = _sigmoid(gates_x[:, :2 * hidden] + recurrent[:, :2 * hidden])
        r, z = rz[:, :hidden], rz[:, hidden:]
        a_n = recurrent[:, 2 * hidden:]
        n = xp.tanh(gates_x[:, 2 * hidden:] + r * a_n)
        self.rz, self.n, self.a_n = rz, n, a_n
        out = h - n
        out *= z
        out += n
        return out

    def backward(self, grad):
        grad, (gates_x, h, w_hh, *b_hh), cat, recording = _operands(self, grad)
        hidden = w_hh.shape[1]
        if recording:
            recurrent = h @ w_hh.mT + b_hh[0] if b_hh else h @ w_hh.mT
            x_r, x_z, x_n = gates_x.split(hidden, 1)
            a_r, a_z, a_n = recurrent.split(hidden, 1)
            r, z = (x_r + a_r).sigmoid(), (x_z + a_z).sigmoid()
            n = (x_n + r * a_n).tanh()
        else:
            r, z, n, a_n = self.rz[:, :hidden], self.rz[:, hidden:], self.n, self.a_n
        d_n = grad * (1 - z) * (1 - n * n)
        d_r = d_n * a_n * r * (1 - r)
        d_z = grad * (h - n) * z * (1 - z)
        d_recurrent = cat([d_r, d_z, d_n * r], 1)
        d_h = d_recurrent @ w_hh + grad * z if self.needs_input_grad[1] else None
        return _step_grads(self, cat([d_r, d_z, d_n], 1), d_recurrent, d_h, h)


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
