"""The import hook (chainrule.porting) and `chainrule run`: PyTorch's import lines load chainrule,
missing pieces are refused with advice, and the real torch of this test process is left alone."""
import os
import subprocess
import sys
import textwrap

import pytest
import torch as real_torch

import chainrule
from chainrule import porting
from chainrule.cli import main


@pytest.fixture
def hooked():
    with porting.install(force=True) as hook:
        yield hook


def import_(statement):
    """Run an import statement and return its namespace."""
    namespace = {}
    exec(statement, namespace)
    return namespace


IMPORTS = [
    ("import torch", "torch", lambda torch: torch.Tensor is chainrule.Tensor),
    ("import torch.nn as nn", "nn", lambda nn: nn is chainrule.nn),
    ("import torch.nn.functional as F", "F", lambda F: F is chainrule.nn.functional),
    ("from torch.utils.data import DataLoader", "DataLoader",
     lambda DataLoader: DataLoader is chainrule.utils.data.DataLoader),
    ("import torch.optim as optim", "optim", lambda optim: optim is chainrule.optim),
    ("from torch.optim.lr_scheduler import StepLR", "StepLR",
     lambda StepLR: StepLR is chainrule.optim.lr_scheduler.StepLR),
    ("import torch.autograd", "torch", lambda torch: torch.autograd is chainrule.autograd),
    ("from torch import autograd", "autograd", lambda autograd: autograd is chainrule.autograd),
    ("import torch.cuda", "torch", lambda torch: torch.cuda.is_available() is False),
    ("from torch.nn.modules.loss import MSELoss", "MSELoss",
     lambda MSELoss: MSELoss is chainrule.nn.MSELoss),
    ("from torch.nn.modules.batchnorm import BatchNorm2d", "BatchNorm2d",
     lambda BatchNorm2d: BatchNorm2d is chainrule.nn.BatchNorm2d),
    ("from torch.nn import init", "init", lambda init: init is chainrule.nn.init),
    ("from torch import Tensor, nn", "Tensor", lambda Tensor: Tensor is chainrule.Tensor),
    ("import torch.backends.cudnn", "torch",
     lambda torch: torch.backends.cudnn is chainrule.backends.cudnn),
    ("from torch.cuda.amp import GradScaler", "GradScaler",
     lambda GradScaler: GradScaler is chainrule.cuda.amp.GradScaler),
    ("from torch.utils.data.sampler import RandomSampler", "RandomSampler",
     lambda RandomSampler: RandomSampler is chainrule.utils.data.RandomSampler),
    ("from torch.utils.data.dataloader import default_collate", "default_collate",
     lambda default_collate: default_collate is chainrule.utils.data.default_collate),
]


@pytest.mark.parametrize("statement, name, check", IMPORTS, ids=[i[0] for i in IMPORTS])
def test_pytorch_import_lines_load_chainrule(hooked, statement, name, check):
    assert check(import_(statement)[name])


def test_the_real_torch_comes_back_and_chainrule_keeps_no_trace():
    with porting.install(force=True):
        import_("import torch.nn.modules.loss")
        assert sys.modules["torch"] is not real_torch
        assert porting.is_installed()
    assert sys.modules["torch"] is real_torch
    assert import_("import torch")["torch"] is real_torch
    assert not porting.is_installed()
    assert not hasattr(chainrule.nn, "modules")       # the alias attribute was removed
    assert chainrule.nn.__spec__.name == "chainrule.nn"   # its own identity kept


def test_install_refuses_while_real_torch_is_imported():
    with pytest.raises(RuntimeError, match=r"PyTorch is already imported .*force=True"):
        porting.install()
    assert not porting.is_installed()


def test_install_twice_is_refused(hooked):
    with pytest.raises(RuntimeError, match="already installed"):
        porting.install(force=True)


REFUSED = [
    ("import torchvision", r"torchvision is not part of chainrule.*TensorDataset"),
    ("from torchvision import datasets, transforms", r"torchvision is not part of chainrule"),
    ("import torchaudio", r"torchaudio is not part of chainrule"),
    ("import torch.distributions", r"chainrule has no torch.distributions.*sample with"),
    ("from torch.hub import load_state_dict_from_url", r"torch.hub.*safetensors"),
    ("import torch.nn.no_such_module", r"chainrule has no torch.nn.no_such_module .*"
                                       r"chainrule.nn.no_such_module.*README"),
]


@pytest.mark.parametrize("statement, message", REFUSED, ids=[r[0] for r in REFUSED])
def test_what_chainrule_lacks_is_refused_with_advice(hooked, statement, message):
    with pytest.raises(ImportError, match=message):
        import_(statement)


def test_a_missing_torch_attribute_names_itself(hooked):
    torch = import_("import torch")["torch"]
    with pytest.raises(AttributeError, match=r"chainrule has no torch.distributions .*sample"):
        torch.distributions.Normal
    with pytest.raises(AttributeError, match=r"chainrule has no torch.no_such_function"):
        torch.no_such_function


def test_torch_version_names_the_api_and_chainrule(hooked):
    """The torch API chainrule follows, with chainrule's version as the local part (PEP 440), so
    version checks in programs take the modern path."""
    from packaging.version import Version
    version = import_("import torch")["torch"].__version__
    assert version == f"2.13.0+chainrule.{chainrule.__version__}"
    assert Version(version) >= Version("2.0") and Version(version).local.startswith("chainrule")


def test_compile_and_jit_return_the_model_unchanged(hooked):
    torch = import_("import torch")["torch"]
    model = torch.nn.Linear(2, 3)
    assert torch.compile(model) is model
    assert torch.compile(mode="max-autotune")(model) is model
    assert torch.jit.script(model) is model
    assert torch.jit.trace(model, torch.zeros(1, 2)) is model
    assert import_("import torch.jit")["torch"].jit.is_scripting() is False


def test_jit_save_and_load_say_to_save_the_weights(hooked, tmp_path):
    torch = import_("import torch")["torch"]
    with pytest.raises(RuntimeError, match=r"torch.jit.save: .*chainrule.save\(model.state_dict"):
        torch.jit.save(torch.nn.Linear(2, 3), tmp_path / "m.pt")
    with pytest.raises(RuntimeError, match=r"torch.jit.load.*safetensors"):
        torch.jit.load(tmp_path / "m.pt")


SCRIPT = textwrap.dedent("""
    import sys
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    print("library", type(torch.zeros(1)).__module__.split(".")[0])
    print("argv", sys.argv[1:], __name__)
    model = nn.Linear(3, 1)
    loss = F.mse_loss(model(torch.ones(4, 3)), torch.zeros(4, 1))
    loss.backward()
    print("grad", tuple(model.weight.grad.shape))
    sys.exit(int(sys.argv[1]))
""")


@pytest.mark.parametrize("command", [["-m", "chainrule", "run"], ["-m", "chainrule.porting"]])
def test_chainrule_run_runs_a_pytorch_script_unchanged(tmp_path, command):
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))   # this process's chainrule
    result = subprocess.run([sys.executable, *command, str(script), "3", "--lr", "0.1"],
                            capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 3, result.stderr
    assert "library chainrule" in result.stdout
    assert "argv ['3', '--lr', '0.1'] __main__" in result.stdout
    assert "grad (1, 3)" in result.stdout


def test_chainrule_run_of_a_missing_script_says_so(capsys):
    assert main(["run", "no_such_script.py"]) == 2
    assert "no such script: 'no_such_script.py'" in capsys.readouterr().err


def test_run_script_in_process_restores_argv_and_the_hook(tmp_path):
    script = tmp_path / "tiny.py"
    script.write_text("import sys\nimport torch\nsys.exit(0 if torch.ones(2).sum().item() == 2 "
                      "and sys.argv[1:] == ['x'] else 5)\n")
    argv = sys.argv[:]
    assert porting.run_script(str(script), ["x"], force=True) == 0
    assert sys.argv == argv and sys.modules["torch"] is real_torch


def test_run_script_finds_modules_beside_the_script(tmp_path):
    """nanoGPT's train.py does `from model import GPT`: the script's folder is on the path, and
    the module it imports gets chainrule too."""
    (tmp_path / "model.py").write_text("import torch.nn as nn\nclass Net(nn.Linear):\n    pass\n")
    (tmp_path / "train.py").write_text(
        "import sys\nimport chainrule\nfrom model import Net\n"
        "sys.exit(0 if isinstance(Net(2, 1), chainrule.nn.Module) else 4)\n")
    try:
        assert porting.run_script(str(tmp_path / "train.py"), force=True) == 0
    finally:
        sys.modules.pop("model", None)
