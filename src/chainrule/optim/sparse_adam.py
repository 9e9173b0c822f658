"""SparseAdam: refused, with the advice to use Adam (chainrule has dense gradients only)."""
from chainrule.optim.optimizer import Optimizer


class SparseAdam(Optimizer):
    """torch's Adam for sparse gradients (nn.Embedding(sparse=True)). chainrule has no sparse
    tensors: every gradient is dense, so Adam takes the same steps on the rows a batch touches.
    Building one raises NotImplementedError with that advice, naming the options it was given.
    (A subclass of Optimizer, as torch's, so that isinstance checks in programs still read.)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False):
        raise NotImplementedError(
            "SparseAdam: chainrule has no sparse gradients (every gradient is a dense tensor, "
            "and nn.Embedding(sparse=True) is refused); use optim.Adam("
            f"params, lr={lr}, betas={tuple(betas)}, eps={eps}, maximize={maximize}) instead. "
            "Note that dense Adam also decays the moments of rows a batch does not touch")
