"""torch.linalg: norms, inverses, determinants, solves and factorisations of (batches of)
matrices, by PyTorch's names and signatures."""
from chainrule.linalg.least_squares import lstsq, vander
from chainrule.linalg.matrices import (
    cholesky, cross, det, diagonal, eigh, eigvalsh, inv, matmul, matrix_exp, matrix_power,
    matrix_rank, multi_dot, pinv, qr, slogdet, solve, solve_triangular, svd, svdvals, vecdot)
from chainrule.linalg.norms import cond, matrix_norm, norm, vector_norm
from chainrule.linalg.matrices import cholesky_inverse, cholesky_solve, logdet, pinverse
from chainrule.linalg.norms import legacy_norm
from chainrule.ops.decomposition import LinAlgError
from chainrule.tensor import Tensor

# torch's Tensor methods among this layer's functions, bound as it loads (tensor.py says so):
# x.norm(p) is torch.norm's any-p form; x.cholesky_solve(L) solves with x as the right-hand side.
TENSOR_METHODS = {"norm": legacy_norm, "cholesky_solve": cholesky_solve,
                  "cholesky_inverse": cholesky_inverse, "logdet": logdet, "pinverse": pinverse}
for _name, _function in TENSOR_METHODS.items():
    setattr(Tensor, _name, _function)

__all__ = ["LinAlgError", "cholesky", "cond", "cross", "det", "diagonal", "eigh", "eigvalsh", "inv",
           "lstsq", "matmul", "matrix_exp", "matrix_norm", "matrix_power", "matrix_rank", "multi_dot", "norm",
           "pinv", "qr", "slogdet", "solve", "solve_triangular", "svd", "svdvals", "vander", "vecdot",
           "vector_norm"]

# What torch.linalg has and chainrule leaves out, with what to use instead.
_MISSING = {
    "eig": "chainrule has no complex tensors, so no general eigendecomposition: for symmetric "
           "matrices use linalg.eigh",
    "eigvals": "chainrule has no complex tensors: for symmetric matrices use linalg.eigvalsh",
    "lu": "there is no LU factorisation: use linalg.solve, linalg.det or linalg.inv directly",
    "lu_factor": "there is no LU factorisation: use linalg.solve with the matrix itself",
    "lu_solve": "there is no LU factorisation: use linalg.solve with the matrix itself",
    "inv_ex": "use linalg.inv, which raises linalg.LinAlgError for a singular matrix",
    "cholesky_ex": "use linalg.cholesky, which raises linalg.LinAlgError when the matrix is not "
                   "positive-definite (catch it to add jitter)",
    "solve_ex": "use linalg.solve, which raises linalg.LinAlgError for a singular matrix",
    "lu_factor_ex": "there is no LU factorisation: use linalg.solve with the matrix itself",
    "ldl_factor": "there is no LDL factorisation: use linalg.solve, or linalg.cholesky for a "
                  "positive-definite matrix",
    "ldl_factor_ex": "there is no LDL factorisation: use linalg.solve, or linalg.cholesky for a "
                     "positive-definite matrix",
    "ldl_solve": "there is no LDL factorisation: use linalg.solve with the matrix itself",
    "householder_product": "there are no Householder products: linalg.qr gives Q directly",
    "tensorinv": "reshape the tensor to a square matrix, use linalg.inv, and reshape back",
    "tensorsolve": "reshape to a matrix equation, use linalg.solve, and reshape back",
}


def __getattr__(name):
    if name in _MISSING:
        raise AttributeError(f"chainrule has no torch.linalg.{name}: {_MISSING[name]}")
    raise AttributeError(f"module 'chainrule.linalg' has no attribute {name!r} (it has: "
                         f"{', '.join(__all__)})")
