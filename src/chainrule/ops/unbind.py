"""unbind: all the slices of a tensor along a dim, as views, with a backward costing O(T) for T
slices, not O(T²): a recurrent layer takes its steps' inputs this way (ops/recurrent.py).

Two ops make it: the hub, Unbind, which the slices share, and one UnbindSlice per slice.
"""
from chainrule.autograd.function import Function
from chainrule.backend import xp
from chainrule.grad_mode import state
from chainrule.ops.dims import normalize_dim, tensor_argument
from chainrule.ops.join import stack
from chainrule.tensor import Tensor, share_memory

__all__ = ["unbind"]


class Unbind(Function):
    """The hub of unbind: y = a 0-d stand-in for x, from which UnbindSlice takes the slices;
    dx = the slices' gradients stacked along dim (zeros for a slice that got none).

    Why a hub: x[t] for each t has a backward that scatters into zeros of x's full shape, O(T)
    work per slice and O(T²) for a sequence. Here each slice files its gradient with the hub, whose
    backward (which the engine runs after every slice's) stacks them once. Through the graph the
    slices pass the hub only a 0-d zero, which makes the engine run it: what they filed is the real
    gradient. (A backward pass that raises midway leaves its filings behind; retrying it with
    retain_graph is then unreliable, as it is for any graph whose backward failed.)
    """
    save_inputs = False

    def forward(self, x, dim):
        self.dim, self.in_shape = dim, x.shape
        self.filed = {}
        return xp.zeros((), x.dtype)

    def backward(self, grad):
        # the slices filed arrays in a plain backward, Tensors under create_graph
        grad, _, recording = self.operands(grad)
        filed, self.filed = self.filed, {}
        shape = self.in_shape[:self.dim] + self.in_shape[self.dim + 1:]
        zero = None
        grads = []
        for index in range(self.in_shape[self.dim]):
            g = filed.get(index)
            if g is None:
                if zero is None:
                    zero = xp.zeros(shape, grad.dtype)
                    zero = Tensor._make(zero) if recording else zero
                g = zero
            grads.append(g)
        return stack(grads, self.dim) if recording else xp.stack(grads, self.dim)

    def free(self):
        """The hub holds no arrays, so a backward pass leaves it usable, as torch's UnbindBackward0:
        each slice may be backpropagated on its own (a per-sample loss loop)."""
        self.filed = {}


class UnbindSlice(Function):
    """y = x[..., index, ...] along the hub's dim (a view of x);  files dy with the hub;
    d(hub) = 0 from the first slice to file in a backward pass (so that the engine runs the hub
    once), None from the others (so that it does not add up zeros)"""
    save_inputs = False
    is_view = True  # in-place changes to a slice are refused while recording, as torch does

    def forward(self, hub_output, source, dim, index, hub):
        self.hub, self.index = hub, index
        return source[(slice(None),) * dim + (index,)]

    def backward(self, grad):
        grad, _, _ = self.operands(grad)
        filed = self.hub.filed
        first = not filed
        previous = filed.get(self.index)
        filed[self.index] = grad if previous is None else previous + grad
        return Tensor._make(xp.zeros((), grad.dtype)) if first else None


def unbind(x, dim=0):
    """The slices of x along dim, that dim removed (views of x, as torch.unbind gives), with a
    backward that stacks their gradients once (see Unbind)."""
    tensor_argument("unbind", x)
    if x.ndim == 0:
        raise IndexError("unbind: Dimension specified as 0 but tensor has no dimensions")
    dim = normalize_dim("unbind", dim, x.shape)
    if not (state.enabled and x.requires_grad):
        pieces = tuple(Tensor._make(piece) for piece in xp.moveaxis(x.array, dim, 0))
    else:
        hub = Unbind.apply(x, dim=dim)
        pieces = tuple(UnbindSlice.apply(hub, source=x.array, dim=dim, index=index,
                                         hub=hub.grad_fn) for index in range(x.shape[dim]))
    for piece in pieces:
        share_memory(x, piece)  # views: an in-place change of x shows in their version
    return pieces


TENSOR_METHODS = {"unbind": unbind}
