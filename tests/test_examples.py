"""The PyTorch-style example runs unchanged but for its imports, on chainrule and on torch."""
import os
import pathlib
import subprocess
import sys

import pytest

EXAMPLE = pathlib.Path(__file__).resolve().parents[1] / "examples" / "train_mlp.py"


@pytest.mark.parametrize("library", ["chainrule", "torch"])
def test_the_example_training_script_learns_the_spirals(library):
    env = dict(os.environ)
    if library == "torch":
        env["CHAINRULE_EXAMPLE_TORCH"] = "1"
    result = subprocess.run([sys.executable, str(EXAMPLE)], env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "restored from mlp.safetensors: test accuracy" in result.stdout
