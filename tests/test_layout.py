"""The tests mirror the source, as tests/__init__.py states: every tests/<path>/test_<name>.py tests
src/chainrule/<path>/<name>.py (or the package <name>/), or a module <name> in a subpackage of
<path> (a functional form with its layer, a utility with its package); the few that test the
library as a whole are listed below, each with what it tests instead. And no test module imports
another: what tests share lives in a helper module (not named test_*)."""
import ast
import pathlib

TESTS = pathlib.Path(__file__).resolve().parent
SOURCE = TESTS.parent / "src" / "chainrule"

# Test modules that mirror no source module, each with what it tests instead; a folder (ending
# in "/") stands for every test module under it. Keep it short: a test of one module goes to
# that module's mirror.
WHOLE = {
    "test_architecture.py": "rules the whole source keeps (the layer order of its imports ...)",
    "test_errors.py": "error messages across ops and layers",
    "test_benchmarks.py": "the benchmark harness of benchmarks/ (make bench), run briefly",
    "test_examples.py": "the example program, run on chainrule and on torch",
    "test_idioms.py": "habits of PyTorch programs, across the library",
    "test_layout.py": "the layout of the tests themselves",
    "test_readme.py": "the README's example, run as printed",
    "ports/": "whole programs ported from PyTorch, against torch",
    "ops/test_coverage.py": "every op of the ops package has a case",
    "ops/test_naming.py": "the op classes' naming rule, over the ops package",
    "ops/test_public.py": "every public op reaches the top level and Tensor, as in torch",
    "autograd/test_higher_order.py": "double backward through piecewise-linear ops across families",
    "data/test_workers.py": "worker processes: data/worker.py and multiprocess.py together",
    "train/test_resume.py": "exact resume: the loop, the checkpoint and the RNG together",
    "labs/test_nbgrader.py": "the lab kit against nbgrader itself",
    "labs/test_labs.py": "every lab in labs/: its source, its solution and its release graded",
}


def all_test_modules():
    """Every test module, as a path relative to tests/ ("nn/test_conv.py")."""
    return sorted(path.relative_to(TESTS).as_posix() for path in TESTS.rglob("test_*.py"))


def mirrors(relative):
    """Whether a test module ("nn/test_conv.py") has a source module of its name: at the same
    path, or (below the top level) in a subpackage there ("nn/functional/conv.py")."""
    path = pathlib.PurePosixPath(relative)
    name = path.name.removeprefix("test_").removesuffix(".py")
    package = SOURCE.joinpath(*path.parent.parts)
    if (package / f"{name}.py").is_file() or (package / name / "__init__.py").is_file():
        return True
    if not path.parent.parts:   # a test of the top level mirrors a module of the top level
        return False
    return any(package.rglob(f"{name}.py")) or any(package.rglob(f"{name}/__init__.py"))


def listed(relative):
    return relative in WHOLE or any(relative.startswith(entry) for entry in WHOLE
                                    if entry.endswith("/"))


def test_every_test_module_mirrors_a_source_module_or_is_listed():
    strays = [m for m in all_test_modules() if not mirrors(m) and not listed(m)]
    assert not strays, (
        f"test modules that mirror no source module: {strays}; name a test module after the "
        f"module it tests (tests/<path>/test_<name>.py for src/chainrule/<path>/<name>.py), or, "
        f"for a test of the library as a whole, list it in WHOLE in {__name__} with the reason")


def test_the_list_holds_only_test_modules_that_mirror_nothing():
    modules = all_test_modules()
    for entry in WHOLE:
        matching = [m for m in modules if m == entry or entry.endswith("/") and m.startswith(entry)]
        assert matching, f"{entry} is listed in WHOLE but no such test module exists"
        assert not any(mirrors(m) for m in matching), f"{entry} mirrors a module: unlist it"


def imported_test_modules(path):
    """The test modules (a dotted name with a test_* part) that a file imports from tests."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names += [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
    return sorted({name for name in names if name.split(".")[0] == "tests"
                   and any(part.startswith("test_") for part in name.split("."))})


def test_no_test_module_imports_another():
    found = {path.relative_to(TESTS).as_posix(): imported_test_modules(path)
             for path in TESTS.rglob("*.py")}
    found = {path: names for path, names in found.items() if names}
    assert not found, (
        f"imports of test modules: {found}; move what they share into a helper module (not named "
        f"test_*), as tests/ops/harness.py or tests/nn/helpers.py")
