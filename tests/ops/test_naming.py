"""The op classes follow the naming rule stated in chainrule/ops/__init__.py: an op never shares a
name with an nn layer, not even in another case (ops.Relu beside nn.ReLU sends a reader looking for
ReLUFunction), and the `Function` suffix is used only where it avoids such a clash, after the
layer's exact spelling."""
import inspect

from chainrule import nn, ops
from chainrule.autograd import Function

SUFFIX = "Function"


def op_classes():
    return {name: cls for family in ops.FAMILIES for name, cls in vars(family).items()
            if inspect.isclass(cls) and issubclass(cls, Function)
            and cls.__module__ == family.__name__}


def layer_names():
    return {name for name, cls in vars(nn).items()
            if inspect.isclass(cls) and issubclass(cls, nn.Module)}


def test_no_op_class_shares_a_name_with_an_nn_layer():
    # compared ignoring case: Relu and ReLU are one name to a reader (and to a search)
    layers = {name.lower(): name for name in layer_names()}
    shared = sorted(f"{name} (nn.{layers[name.lower()]})" for name in op_classes()
                    if name.lower() in layers)
    assert not shared, (f"op classes named like nn layers: {shared}; name each after the layer, "
                        f"<Layer>{SUFFIX} (rule in chainrule/ops/__init__.py)")


def test_the_function_suffix_marks_an_nn_layer_of_the_same_name():
    # so a reader who knows nn.X finds the op as XFunction in one guess, and never the reverse
    suffixed = [name for name in op_classes() if name.endswith(SUFFIX)]
    assert suffixed, "expected ops such as TanhFunction"
    layers = {name.lower(): name for name in layer_names()}
    orphans = sorted(name for name in suffixed if name[:-len(SUFFIX)].lower() not in layers)
    assert not orphans, f"{orphans} end in {SUFFIX!r} but no nn layer has the shorter name"
    respelled = sorted(f"{name} (nn.{layers[name[:-len(SUFFIX)].lower()]})" for name in suffixed
                       if name[:-len(SUFFIX)] != layers[name[:-len(SUFFIX)].lower()])
    assert not respelled, f"{respelled}: spell the op as its layer is, then {SUFFIX!r}"
