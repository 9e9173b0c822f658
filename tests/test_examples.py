"""The PyTorch-style examples run on chainrule and on torch: train_mlp.py unchanged but for its
imports, train_ddp.py unchanged (under `chainrule run -n 2` and under torchrun)."""
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


DDP_EXAMPLE = EXAMPLE.parent / "train_ddp.py"
LAUNCHERS = {"chainrule": ["-m", "chainrule", "run", "-n", "2"],
             "torch": ["-m", "torch.distributed.run", "--nproc-per-node", "2"]}


@pytest.mark.parametrize("library", ["chainrule", "torch"])
def test_the_data_parallel_example_runs_on_two_processes_with_either_launcher(library):
    result = subprocess.run([sys.executable, *LAUNCHERS[library], str(DDP_EXAMPLE)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert sum("epoch" in line for line in lines) == 4   # printed by rank 0 only
    assert "2 processes, the same weights on every rank: True" in result.stdout
