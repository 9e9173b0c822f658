"""Rules the architecture keeps, checked on the source itself."""
import ast
import pathlib
import re
import subprocess
import sys

import pytest

SRC = pathlib.Path(__file__).resolve().parents[1] / "src" / "chainrule"


def test_only_the_backend_imports_numpy():
    pattern = re.compile(r"^\s*(import numpy|from numpy)", re.MULTILINE)
    offenders = [str(p.relative_to(SRC)) for p in SRC.rglob("*.py")
                 if p.name != "backend.py" and pattern.search(p.read_text())]
    assert offenders == []


def test_the_library_never_imports_torch_or_pickle():
    pattern = re.compile(r"^\s*(import|from)\s+(torch|pickle|dill|cloudpickle)\b", re.MULTILINE)
    offenders = [str(p.relative_to(SRC)) for p in SRC.rglob("*.py") if pattern.search(p.read_text())]
    assert offenders == []


# ----- the layer order (../shared/DESIGN.md) ----------------------------------------------------
# Bottom to top. A module may import from its own layer or from a layer below, never from one
# above; a module's layer is that of its longest listed prefix, so `chainrule.nn.functional.conv`
# is nn's. Imports inside functions count as much as those at the top of a module.
#
# tensor.py alone in its layer, so that it can import nothing that makes tensors (creation) or
# names their types (tensor_types); the RNG (random) beside creation, as get_rng_state returns a
# tensor. Placed by what they import: the shims (amp, cuda, accelerator, backends) beside
# optim, as GradScaler is an optimiser's helper and the rest need no more than the tensor layer;
# autograd.functional (jacobian, hessian ...) above the ops it composes, as torch's is written in
# torch ops; the public API (chainrule/__init__.py) below porting, which serves it as `torch`,
# and below the commands, which may import anything; the lab kit above the public API, as the
# grading kernel snapshots the whole of it (labs.checks itself needs only the tensor).
LAYERS = [
    ("base", ["chainrule.backend", "chainrule.placement", "chainrule.size", "chainrule.printing",
              "chainrule.grad_mode"]),
    ("tensor", ["chainrule.tensor"]),
    ("creation", ["chainrule.creation", "chainrule.random", "chainrule.tensor_types"]),
    ("autograd", ["chainrule.autograd"]),
    ("ops", ["chainrule.ops"]),
    ("distributed", ["chainrule.distributed"]),
    ("linalg, special, autograd.functional", ["chainrule.linalg", "chainrule.special",
                                              "chainrule.autograd.functional"]),
    ("nn", ["chainrule.nn"]),
    ("optim and the shims", ["chainrule.optim", "chainrule.amp", "chainrule.cuda",
                             "chainrule.accelerator", "chainrule.backends",
                             "chainrule.multiprocessing"]),
    ("sample", ["chainrule.sample"]),
    ("data, utils", ["chainrule.data", "chainrule.utils"]),
    ("train", ["chainrule.train"]),
    ("models", ["chainrule.models"]),
    ("experiments, viz", ["chainrule.experiments", "chainrule.viz"]),
    ("the public API", ["chainrule"]),
    ("the lab kit", ["chainrule.labs"]),
    ("porting", ["chainrule.porting"]),
    ("the commands (the top: may import anything)", ["chainrule.cli", "chainrule.__main__",
                                                     "chainrule.porting.__main__"]),
]
LAYER_OF = {prefix: level for level, (_, prefixes) in enumerate(LAYERS) for prefix in prefixes}


def layer(module):
    """The layer of a chainrule module: that of its longest listed prefix."""
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        prefix = ".".join(parts[:end])
        if prefix in LAYER_OF:
            return LAYER_OF[prefix]
    raise AssertionError(f"{module} is in no layer: add it to LAYERS in {__file__}")


def module_name(path):
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(name):
    """Whether a dotted chainrule name is a module or package (not a name defined in one)."""
    path = SRC.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def imported_modules(source, name, is_package=False):
    """(line, module) for every import in the source text of module `name`, at any depth (inside
    functions too). `from chainrule.ops import cat` imports chainrule.ops; `from chainrule.ops
    import join` imports chainrule.ops.join; `from chainrule import cat` the package itself."""
    package = name if is_package else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:   # relative: from . import x, from .y import z
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1] + ([base] if base else []))
            for alias in node.names:
                full = f"{base}.{alias.name}"
                yield node.lineno, full if _is_module(full) else base


def upward_imports(source, name, is_package=False):
    """'module:line imports target (...)' for each import in the source that points up."""
    found = []
    for line, target in sorted(set(imported_modules(source, name, is_package))):
        if target.split(".")[0] != "chainrule":
            continue   # the standard library and third-party packages may be used anywhere
        if layer(target) > layer(name):
            found.append(f"{name}:{line} imports {target} ({LAYERS[layer(name)][0]} may not "
                         f"import from {LAYERS[layer(target)][0]})")
    return found


def test_no_module_imports_from_a_layer_above_its_own():
    found = []
    for path in sorted(SRC.rglob("*.py")):
        found += upward_imports(path.read_text(), module_name(path), path.name == "__init__.py")
    assert found == [], "imports that point up the layer order:\n" + "\n".join(found)


def test_the_layer_check_finds_an_upward_import_inside_a_function():
    late = "\n\ndef late():\n    from chainrule.nn import Linear\n"
    source = (SRC / "tensor.py").read_text() + late
    found = upward_imports(source, "chainrule.tensor")
    assert len(found) == 1
    assert found[0].startswith("chainrule.tensor:") and "imports chainrule.nn " in found[0]
    assert upward_imports("from chainrule import cat", "chainrule.ops.join") == [
        "chainrule.ops.join:1 imports chainrule (ops may not import from the public API)"]


@pytest.mark.parametrize("target", ["chainrule.creation", "chainrule.random",
                                    "chainrule.tensor_types"])
def test_tensor_may_not_import_what_makes_tensors(target):
    found = upward_imports(f"from {target} import x", "chainrule.tensor")
    assert found == [f"chainrule.tensor:1 imports {target} (tensor may not import from creation)"]


# The device checks, defined in placement and re-exported by backend: one import path.
PLACEMENT_CHECKS = ("check_device", "check_placement")


def backend_paths_to_placement_checks(source):
    """(line, spelling) for each `backend.check_device` or `from chainrule.backend import
    check_device` (and check_placement) in the source."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr in PLACEMENT_CHECKS and \
                isinstance(node.value, ast.Name) and node.value.id == "backend":
            yield node.lineno, f"backend.{node.attr}"
        elif isinstance(node, ast.ImportFrom) and node.module == "chainrule.backend":
            for alias in node.names:
                if alias.name in PLACEMENT_CHECKS:
                    yield node.lineno, f"from chainrule.backend import {alias.name}"


def test_the_device_checks_are_imported_from_placement_which_defines_them():
    found = [f"{module_name(path)}:{line} {spelling}" for path in sorted(SRC.rglob("*.py"))
             if path.name != "backend.py"
             for line, spelling in backend_paths_to_placement_checks(path.read_text())]
    assert found == [], "import these from chainrule.placement:\n" + "\n".join(found)
    assert list(backend_paths_to_placement_checks(
        "from chainrule import backend\nbackend.check_device(d, 'x')")) == [
        (2, "backend.check_device")]


# Imports of chainrule modules inside functions, which hide a cycle between two modules of one
# layer or defer a slow load: each is listed with the reason it cannot be at the top. Any other is
# refused, so that a cycle is fixed where it appears (a name imported from the module that defines
# it, a method bound by the layer that defines it) rather than hidden.
LATE_IMPORTS = {
    ("chainrule.autograd.function", "chainrule.autograd.custom"):
        "custom.py's PyTorch-style Functions subclass Function; a later subclass installs them",
    ("chainrule.ops.activation", "chainrule.ops.fused"):
        "fused's GELU builds its recorded backward on activation's tanh; activation's softmax and "
        "gelu choose fused's one-node forms (SoftmaxLast, GeluTanh) for the common case",
    ("chainrule.ops.decomposition", "chainrule.ops.spectral"):
        "spectral's SVD builds on decomposition's Inv; det's backward at a singular A uses the SVD",
    ("chainrule.cli.lab", "chainrule.labs.kit"):
        "the lab kit's notebook libraries (nbformat, nbclient, nbgrader) take 2-3 s to import, "
        "which every other command would pay",
}


def late_imports(path):
    """(line, target) for each import of a chainrule module inside a function or class."""
    tree = ast.parse(path.read_text())
    top = {id(node) for node in tree.body}
    name = module_name(path)
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) not in top:
            source = ast.unparse(node)
            for line, target in imported_modules(source, name, path.name == "__init__.py"):
                if target.split(".")[0] == "chainrule":
                    yield node.lineno, target


def test_no_import_inside_a_function_hides_a_cycle_unless_listed():
    found = [f"{module_name(path)}:{line} imports {target}" for path in sorted(SRC.rglob("*.py"))
             for line, target in late_imports(path)
             if (module_name(path), target) not in LATE_IMPORTS]
    assert found == [], "late imports of chainrule modules:\n" + "\n".join(found)


def test_every_module_is_in_a_layer():
    for path in SRC.rglob("*.py"):
        layer(module_name(path))


# A module low in the order imports first in a fresh interpreter, with the package's __init__
# (which loads everything, in its own order) replaced by an empty package: the low modules do not
# rely on anything being loaded before them, and what they load is no higher than themselves.
LOW_MODULES = ["chainrule.backend", "chainrule.grad_mode", "chainrule.random", "chainrule.size",
               "chainrule.printing", "chainrule.tensor", "chainrule.creation",
               "chainrule.tensor_types", "chainrule.autograd", "chainrule.ops", "chainrule.special",
               "chainrule.linalg", "chainrule.autograd.functional", "chainrule.nn",
               "chainrule.optim", "chainrule.data"]


@pytest.mark.parametrize("module", LOW_MODULES)
def test_a_low_module_imports_first_in_a_fresh_interpreter(module):
    program = (f"import sys, types\n"
               f"package = types.ModuleType('chainrule')\n"
               f"package.__path__ = [{str(SRC)!r}]\n"
               f"sys.modules['chainrule'] = package\n"
               f"import {module}\n"
               f"assert not hasattr(package, 'no_grad'), 'the real chainrule/__init__.py ran'\n"
               f"print(' '.join(name for name in sys.modules if name.startswith('chainrule.')))\n")
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    higher = [name for name in result.stdout.split() if layer(name) > layer(module)]
    assert higher == [], f"importing {module} loaded modules of higher layers"


def test_the_package_imports_in_a_fresh_interpreter_without_torch():
    """The real chainrule/__init__.py, in its own order with nothing loaded before it (in this
    process the package is long loaded), works at once and leaves torch unloaded: the porting
    hook is installed only when asked for."""
    program = ("import sys, chainrule; "
               "x = chainrule.ones(2, requires_grad=True); (x * x).sum().backward(); "
               "assert x.grad.tolist() == [2.0, 2.0], x.grad; "
               "assert 'torch' not in sys.modules, 'importing chainrule loaded torch'")
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
