"""chainrule: deep learning from first principles, fast enough to use.

The public API, by explicit name, spelled as PyTorch spells it: `import chainrule as torch`.
"""
from chainrule import autograd, cuda, data, nn, ops, optim, utils
from chainrule.autograd import functional as _autograd_functional  # jacobian ... (a layer up)
from chainrule import linalg, special
from chainrule import models, sample, train   # the lecture's models, samplers, selection
from chainrule import accelerator, amp, backends   # shims: nothing to accelerate
from chainrule import distributed, multiprocessing   # torch.distributed on MPI; mp.spawn
from chainrule.amp import autocast
from chainrule.grad_mode import (
    enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad,
    set_grad_enabled)
from chainrule.backend import bool_ as bool
from chainrule.backend import device, float16, float32, float64, int8, int16, int32, int64, uint8
from chainrule.backend import DType as dtype
from chainrule.backend import (
    are_deterministic_algorithms_enabled, bfloat16, channels_last, channels_last_3d,
    contiguous_format, get_default_device, get_default_dtype, get_num_threads, preserve_format,
    set_default_device, set_default_dtype, set_num_threads, strided, use_deterministic_algorithms)
from chainrule.creation import (
    arange, as_tensor, asarray, empty, empty_like, eye, from_numpy, full, full_like, linspace,
    multinomial, ones, ones_like, rand, rand_like, randint, randint_like, randn, randn_like,
    randperm, scalar_tensor, tensor, zeros, zeros_like)
from chainrule.ops.dtypes import (
    can_cast, finfo, iinfo, is_complex, is_floating_point, is_nonzero, promote_types, result_type)
from chainrule.ops.broadcast import (
    broadcast_to)
from chainrule.ops.elementwise import (
    add, mul, neg, pow, sub, true_divide)
from chainrule.ops.unary import (
    abs, cos, erf, exp, expm1, log, log1p, reciprocal, rsqrt, sign, sin, sqrt, square)
from chainrule.ops.compare import (
    allclose, bitwise_and, bitwise_or, bitwise_xor, clamp, clip, eq, equal, ge, gt, isclose,
    isfinite, isinf, isnan, le, logical_and, logical_not, logical_or, logical_xor, lt, maximum,
    minimum, ne, where)
from chainrule.ops.activation import (
    log_softmax, relu, sigmoid, softmax, tanh)
from chainrule.ops.reduce import (
    all, any, logsumexp, mean, prod, std, sum, var)
from chainrule.ops.extremum import (
    amax, amin, argmax, argmin, max, min)
from chainrule.ops.linalg import (
    bmm, dot, einsum, matmul, mm, outer)
from chainrule.ops.shape import (
    clone, flatten, movedim, permute, reshape, squeeze, swapaxes, swapdims, t, transpose,
    unflatten, unsqueeze)
from chainrule.ops.join import (
    cat, chunk, concat, concatenate, flip, repeat_interleave, roll, split, stack)
from chainrule.ops.unbind import unbind
from chainrule.ops.index import (
    gather, index_add, index_put, index_select, masked_fill, narrow, scatter_add, select, tril,
    triu)
from chainrule.ops.sort import (
    argsort, bucketize, kthvalue, msort, searchsorted, sort, topk, unique)
from chainrule.ops.rounding import (
    ceil, fix, floor, floor_divide, fmod, frac, remainder, round, trunc)
from chainrule.ops.trig import (
    acos, acosh, arccos, arccosh, arcsin, arcsinh, arctan, arctanh, asin, asinh, atan, atanh,
    cosh, deg2rad, exp2, log2, log10, rad2deg, sinh, tan)
from chainrule.ops.scan import (
    cummax, cummin, cumprod, cumsum, diff, logcumsumexp)
from chainrule.ops.geometry import (
    arctan2, atan2, cdist, cross, dist, hypot, inner, kron, lerp, tensordot)
from chainrule.ops.diagonal import (
    block_diag, diag, diag_embed, diagonal, trace, tril_indices, triu_indices)
from chainrule.ops.grids import (
    argwhere, cartesian_prod, logspace, meshgrid, nonzero)
from chainrule.ops.histogram import (
    bincount, count_nonzero, histc)
from chainrule.ops.aliases import (  # div: torch's, with rounding_mode
    absolute, addr, conj, cumulative_trapezoid, diagonal_scatter, div, divide, fmax, fmin, ger,
    moveaxis, multiply, mv, narrow_copy, negative, positive, ravel, resolve_conj,
    resolve_neg, rsub, select_scatter, signbit, slice_scatter, subtract, trapezoid, trapz, vdot)
from chainrule.ops.bitwise import (
    bitwise_left_shift, bitwise_not, bitwise_right_shift, gcd, lcm)
from chainrule.ops.arithmetic import (
    addbmm, addcdiv, addcmul, addmm, addmv, baddbmm, clamp_max, clamp_min, copysign, float_power,
    heaviside, logaddexp, logaddexp2, nan_to_num, sgn)
from chainrule.ops.combinatorics import (
    chain_matmul, combinations, frexp, ldexp, renorm, unique_consecutive, vander)
from chainrule.ops.inplace import (  # torch.relu_(x) and kin: x.relu_() as functions
    abs_, acos_, asin_, atan_, ceil_, clamp_, clamp_max_, clamp_min_, clip_, cos_, cosh_,
    deg2rad_, erf_, erfc_, exp2_, exp_, expm1_, fill_, fix_, floor_, frac_, gcd_, i0_, index_put_,
    lcm_, ldexp_, log10_, log1p_, log2_, log_, logit_, nan_to_num_, neg_, negative_, rad2deg_,
    reciprocal_, relu_, round_, rsqrt_, sigmoid_, sin_, sinc_, sinh_, sqrt_, square_, tan_, tanh_,
    trunc_, xlogy_, zero_)
from chainrule.ops.predicates import (
    detach, diagflat, greater, greater_equal, is_same_size, isin, isneginf, isposinf, isreal, less,
    less_equal, nextafter, not_equal, unravel_index)
from chainrule.ops.sampling import bernoulli, normal, poisson
from chainrule.ops.pool import avg_pool1d, max_pool1d, max_pool2d, max_pool3d  # as torch's
from chainrule.ops.scatter import (
    index_copy, index_fill, index_reduce, masked_scatter, masked_select, put, scatter,
    scatter_reduce, take, take_along_dim)
from chainrule.ops.stacking import (
    atleast_1d, atleast_2d, atleast_3d, broadcast_shapes, broadcast_tensors, column_stack,
    dsplit, dstack, fliplr, flipud, hsplit, hstack, rot90, row_stack, tensor_split, tile, vsplit,
    vstack)
from chainrule.ops.statistics import (
    aminmax, corrcoef, cov, median, mode, nanmean, nanmedian, nanquantile, nansum, quantile,
    std_mean, var_mean)
from chainrule.placement import (
    get_float32_matmul_precision, is_warn_always_enabled, set_float32_matmul_precision,
    set_flush_denormal, set_warn_always)
from chainrule.printing import get_printoptions, set_printoptions
from chainrule.random import (
    Generator, default_generator, fork_rng, get_rng_state, initial_seed, manual_seed, seed,
    set_rng_state)
from chainrule.linalg import det, matrix_power, slogdet
from chainrule.linalg.matrices import (
    cholesky_inverse, cholesky_solve, inverse, logdet, matrix_exp, pinverse)
from chainrule.ops.specfun import digamma, erfc, erfinv, lgamma, polygamma
from chainrule.ops.bessel import i0
from chainrule.size import Size
from chainrule.special import logit, sinc, xlogy
from chainrule.special import multigammaln as mvlgamma
from chainrule.linalg.norms import legacy_norm as norm   # torch.norm: any p, 'fro', 'nuc'
from chainrule.tensor import Tensor, is_tensor, numel
from chainrule.tensor_types import (
    BFloat16Tensor, BoolTensor, ByteTensor, CharTensor, DoubleTensor, FloatTensor, HalfTensor,
    IntTensor, LongTensor, ShortTensor)
from chainrule.train.checkpoint import load, save

# Each layer binds its own Tensor methods as it loads (see tensor.py's docstring).

# PyTorch's dtype aliases: torch.float is float32, torch.long int64, and so on.
float, double, half, long, int, short = float32, float64, float16, int64, int32, int16


def _version():
    from importlib import metadata
    try:
        return metadata.version("chainrule")
    except metadata.PackageNotFoundError:   # run from a source tree that was never installed
        return "0+unknown"


__version__ = _version()
