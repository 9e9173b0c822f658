"""SparseAdam: refused, with the advice to use Adam (chainrule has dense gradients only)."""
from chainrule.optim.optimizer import Optimizer


class SparseAdam(Optimizer):
    """torch's Adam for sparse gradients (nn.Embedding(sparse=True)). chainrule has no sparse
    tensors: every gradient is dense, so use Adam. It differs from SparseAdam in the rows a
    batch does not touch: their moments decay and they keep moving while their first moment is
    nonzero, where SparseAdam leaves them alone. Building one raises NotImplementedError with
    that advice, naming the options it was given.
    (A subclass of Optimizer, as torch's, so that isinstance checks in programs still read.)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False):
        raise NotImplementedError(
            "SparseAdam: chainrule has no sparse gradients (every gradient is a dense tensor, "
            "and nn.Embedding(sparse=True) is refused); use optim.Adam("
            f"params, lr={lr}, betas={tuple(betas)}, eps={eps}, maximize={maximize}) instead. "
            "(unlike SparseAdam, Adam also updates the rows a batch does not touch, from their "
            "decaying moments)")
