"""The primitive differentiable operations, one Function class each, grouped by family.

Each family module lists its public functions in `__all__` and, in `TENSOR_METHODS`, the ones that
are also Tensor methods (name -> function), bound onto Tensor once at import. One family has
methods only and no op: storage.py, what torch code asks of a tensor's storage (stride ...).

Naming rule for op classes: an op is its functional's name in CamelCase (cumsum -> Cumsum,
masked_fill -> MaskedFill, log1p -> Log1p). Where an nn layer has that name, compared
ignoring case, the op takes the layer's exact spelling plus `Function` (tanh -> nn.Tanh ->
TanhFunction, relu -> nn.ReLU -> ReLUFunction, leaky_relu -> nn.LeakyReLU -> LeakyReLUFunction,
gelu -> nn.GELU -> GELUFunction, also LinearFunction, FoldFunction, LSTMCellFunction). So `nn.X`
is always the layer, an op `XFunction` (spelled as the layer is) computes what `nn.X` computes,
and a name ending in `Function` always points to a layer. An op shared by several functionals, or
used only inside a backward, is named for what it computes (Cast, Mask, Slice); a layer's
docstring names the op its gradient comes from ("Gradient:").
tests/ops/test_naming.py checks both: no op class has a layer's name in any case, and each
`XFunction` has its `nn.X`.
"""
from chainrule.ops import (activation, broadcast, compare, conv, diagonal, dtypes, elementwise,
                           extremum, fused, geometry, grids, histogram, index, join, linalg, pool,
                           recurrent, reduce, rounding, scan, shape, sort, trig, unary, unbind)
from chainrule.ops import bessel, decomposition, spectral, specfun
from chainrule.ops import (aliases, arithmetic, bitwise, combinatorics, inplace, predicates,
                           sampling, scatter, stacking, statistics, storage)
from chainrule.tensor import Tensor

FAMILIES = (inplace, broadcast, dtypes, storage, elementwise, unary, compare, activation, reduce,
            extremum, linalg, shape, join, unbind, index, conv, pool, recurrent, sort, rounding,
            trig, scan, geometry, diagonal, grids, histogram, decomposition, spectral, specfun,
            bessel, aliases, arithmetic, bitwise, combinatorics, predicates, sampling, scatter,
            stacking, statistics, fused)


def bind_tensor_methods(tensor_class):
    for family in FAMILIES:
        for name, function in getattr(family, "TENSOR_METHODS", {}).items():
            setattr(tensor_class, name, function)


bind_tensor_methods(Tensor)   # the one call: Tensor has its ops as soon as this layer is loaded
