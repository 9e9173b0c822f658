"""The four MNIST-1D models: the paper's parameter counts, and the same logits, gradients and Adam
step as torch 2.13 modules built as the reference notebooks build them, given the same weights."""
import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.models.mnist1d import CNN, GRU, MLP, MODELS, Logistic, count_parameters


# torch twins of the reference notebooks' LinearBase, MLPBase, ConvBase and GRUBase, with the
# same parameter names, so one state dict fits both
class TorchLogistic(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(40, 10)

    def forward(self, x):
        return self.linear(x)


class TorchMLP(torch.nn.Module):
    def __init__(self, hidden=100):
        super().__init__()
        self.linear1 = torch.nn.Linear(40, hidden)
        self.linear2 = torch.nn.Linear(hidden, hidden)
        self.linear3 = torch.nn.Linear(hidden, 10)

    def forward(self, x):
        h = self.linear1(x).relu()
        h = h + self.linear2(h).relu()
        return self.linear3(h)


class TorchCNN(torch.nn.Module):
    def __init__(self, channels=25):
        super().__init__()
        self.conv1 = torch.nn.Conv1d(1, channels, 5, stride=2, padding=1)
        self.conv2 = torch.nn.Conv1d(channels, channels, 3, stride=2, padding=1)
        self.conv3 = torch.nn.Conv1d(channels, channels, 3, stride=2, padding=1)
        self.linear = torch.nn.Linear(channels * 5, 10)

    def forward(self, x):
        h = x.view(-1, 1, x.shape[-1])
        h = self.conv3(self.conv2(self.conv1(h).relu()).relu()).relu()
        return self.linear(h.view(h.shape[0], -1))


class TorchGRU(torch.nn.Module):
    def __init__(self, hidden=6):
        super().__init__()
        self.gru = torch.nn.GRU(1, hidden, batch_first=True, bidirectional=True)
        self.linear = torch.nn.Linear(2 * hidden * 40, 10)

    def forward(self, x):
        output, _ = self.gru(x.view(*x.shape[:2], 1))
        return self.linear(output.reshape(output.shape[0], -1))


# (name, ours, torch's twin, the paper's parameter count)
CASES = [("logistic", Logistic, TorchLogistic, 410), ("mlp", MLP, TorchMLP, 15_210),
         ("cnn", CNN, TorchCNN, 5_210), ("gru", GRU, TorchGRU, 5_134)]


@pytest.mark.parametrize("name, ours, theirs, count", CASES, ids=[c[0] for c in CASES])
def test_parameter_counts_are_the_papers(name, ours, theirs, count):
    assert MODELS[name] is ours
    assert count_parameters(ours()) == count == sum(p.numel() for p in theirs().parameters())


@pytest.mark.parametrize("make, count", [
    (lambda: MLP(hidden=10), (40 * 10 + 10) + (10 * 10 + 10) + (10 * 10 + 10)),
    (lambda: CNN(channels=4), (4 * 5 + 4) + 2 * (4 * 4 * 3 + 4) + (4 * 5 * 10 + 10)),
    (lambda: GRU(hidden=2), 2 * 3 * (2 * 1 + 2 * 2 + 2 + 2) + (40 * 2 * 2 * 10 + 10)),
], ids=["mlp", "cnn", "gru"])
def test_the_width_is_a_parameter(make, count):
    model = make()
    assert count_parameters(model) == count
    assert model(cr.randn(3, 40)).shape == (3, 10)


def _pair(ours, theirs):
    """Our model and torch's twin with our initial weights copied into it."""
    cr.manual_seed(0)
    model = ours()
    twin = theirs()
    state = {key: torch.from_numpy(value.numpy().copy())
             for key, value in model.state_dict().items()}
    twin.load_state_dict(state)
    return model, twin


@pytest.mark.parametrize("name, ours, theirs, count", CASES, ids=[c[0] for c in CASES])
def test_logits_gradients_and_an_adam_step_match_torch(name, ours, theirs, count):
    model, twin = _pair(ours, theirs)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((8, 40)).astype(np.float32)
    y = rng.integers(0, 10, 8)
    optimizers = (cr.optim.Adam(model.parameters(), lr=1e-2),
                  torch.optim.Adam(twin.parameters(), lr=1e-2))
    for step in range(2):   # the second forward runs on the weights after one step
        logits = model(cr.tensor(x))
        twin_logits = twin(torch.from_numpy(x))
        assert logits.shape == (8, 10) and logits.dtype == cr.float32
        np.testing.assert_allclose(logits.detach().numpy(), twin_logits.detach().numpy(), atol=1e-5)
        loss = cr.nn.functional.cross_entropy(logits, cr.tensor(y))
        twin_loss = torch.nn.functional.cross_entropy(twin_logits, torch.from_numpy(y))
        loss.backward()
        twin_loss.backward()
        twin_parameters = dict(twin.named_parameters())
        for key, parameter in model.named_parameters():
            np.testing.assert_allclose(parameter.grad.numpy(),
                                       twin_parameters[key].grad.numpy(), atol=1e-5, err_msg=key)
        for optimizer in optimizers:
            optimizer.step()
            optimizer.zero_grad()
