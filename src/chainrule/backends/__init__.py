"""chainrule.backends: torch.backends' switches (cudnn, cuda.matmul, mps), as settings that
programs may read and write and that change nothing: there is no cuDNN, CUDA or MPS here."""
from chainrule.backends import cuda, cudnn, mps

__all__ = ["cuda", "cudnn", "mps"]
