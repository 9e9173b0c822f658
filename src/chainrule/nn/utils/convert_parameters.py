"""A model's parameters as one flat vector and back, as torch.nn.utils: for optimizers and
analyses that work on a single vector (line searches, Hessian-vector products, weight averaging)."""
from chainrule.ops.join import cat
from chainrule.tensor import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters):
    """All the parameters flattened and concatenated, in order, into one 1-d tensor; it is
    differentiable (gradients flow back to each parameter)."""
    flat = [param.reshape(-1) for param in _tensors(parameters, "parameters_to_vector")]
    if not flat:
        raise RuntimeError("parameters_to_vector: expected at least one parameter, got none")
    return cat(flat)


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of the 1-d vec into the parameters (their `.data` becomes a view
    of vec, as in torch); vec must hold exactly as many numbers as the parameters together."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"vector_to_parameters: expected a Tensor for vec, but got: "
                        f"{type(vec).__name__}")
    if vec.ndim != 1:
        raise RuntimeError(f"vector_to_parameters: vec must be 1-d, got shape {vec.shape}")
    params = list(_tensors(parameters, "vector_to_parameters"))
    needed = sum(param.numel() for param in params)
    if vec.numel() != needed:
        raise RuntimeError(f"vector_to_parameters: vec has {vec.numel()} elements but the "
                           f"{len(params)} parameters hold {needed}")
    pointer = 0
    for param in params:
        count = param.numel()
        param.data = Tensor._make(vec.array[pointer:pointer + count].reshape(param.array.shape))
        pointer += count


def _tensors(parameters, name):
    if isinstance(parameters, Tensor):
        raise TypeError(f"{name}: expected an iterable of Tensors (model.parameters()), got one "
                        "Tensor; wrap it in a list")
    for i, param in enumerate(parameters):
        if not isinstance(param, Tensor):
            raise TypeError(f"{name}: parameter {i} is a {type(param).__name__}, not a Tensor")
        yield param
