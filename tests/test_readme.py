"""The README's fifteen-line example runs as printed, and learns."""
import pathlib
import re

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def test_the_readme_example_runs_and_fits(capsys):
    code = re.search(r"```python\n(.*?)```", README.read_text(), re.S).group(1)
    assert len(code.strip().splitlines()) <= 15
    exec(compile(code, "README.md", "exec"), {})
    loss = float(re.search(r"loss ([0-9.]+)", capsys.readouterr().out).group(1))
    assert loss < 0.3   # sin(2πx) has variance 0.5: the fit explains most of it
