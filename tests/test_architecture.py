"""Rules the architecture keeps, checked on the source itself."""
import pathlib
import re

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
