"""torch.linalg: norms, inverses, determinants, solves and factorisations of (batches of)
matrices, by PyTorch's names and signatures."""
from chainrule.linalg.matrices import (
    cholesky, cross, det, diagonal, eigh, eigvalsh, inv, lstsq, matmul, matrix_exp, matrix_power,
    matrix_rank, multi_dot, pinv, qr, slogdet, solve, solve_triangular, svd, svdvals, vecdot)
from chainrule.linalg.norms import matrix_norm, norm, vector_norm
from chainrule.ops.decomposition import LinAlgError

__all__ = ["LinAlgError", "cholesky", "cross", "det", "diagonal", "eigh", "eigvalsh", "inv",
           "lstsq", "matmul", "matrix_exp", "matrix_norm", "matrix_power", "matrix_rank", "multi_dot", "norm",
           "pinv", "qr", "slogdet", "solve", "solve_triangular", "svd", "svdvals", "vecdot",
           "vector_norm"]
