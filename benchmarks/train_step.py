"""Training-step benchmarks, chainrule and PyTorch side by side in one run.

Each workload is written once against the PyTorch API and built twice (L = chainrule or torch).
A step is zero_grad, forward, loss, backward and an SGD update. Prints the median time per step
and the speed ratio torch_time / chainrule_time (above 1: chainrule is faster).

    make bench            # or: .venv/bin/python benchmarks/train_step.py [workload ...]
"""
import sys

import numpy as np
import torch

import chainrule
from timing import median_time


def mlp(L):
    nn = L.nn
    model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                          nn.Linear(512, 10))
    return model, (256, 784), "classes"


def lenet5(L):
    nn = L.nn
    model = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
    return model, (64, 1, 28, 28), "classes"


class _LastStep:
    """A recurrent layer followed by a classifier on the last time step's output."""

    def __init__(self, L, cell):
        class Model(L.nn.Module):
            def __init__(self):
                super().__init__()
                self.rnn = cell(40, 128, batch_first=True)
                self.head = L.nn.Linear(128, 10)

            def forward(self, x):
                out, _ = self.rnn(x)
                return self.head(out[:, -1])
        self.model = Model()


def lstm(L):
    return _LastStep(L, L.nn.LSTM).model, (128, 40, 40), "classes"


def gru(L):
    return _LastStep(L, L.nn.GRU).model, (128, 40, 40), "classes"


def transformer(L):
    layer = L.nn.TransformerEncoderLayer(64, 4, dim_feedforward=256, dropout=0.0,
                                         batch_first=True)
    return L.nn.TransformerEncoder(layer, 2), (32, 64, 64), "regression"


WORKLOADS = {"mlp 784-512-512-10, batch 256": mlp, "lenet-5 1x28x28, batch 64": lenet5,
             "lstm 40 steps, batch 128": lstm, "gru 40 steps, batch 128": gru,
             "transformer encoder 2x d64, batch 32x64": transformer}


def make_step(L, build):
    L.manual_seed(0)
    model, shape, task = build(L)
    rng = np.random.default_rng(0)
    x = L.tensor(rng.standard_normal(shape).astype(np.float32))
    if task == "classes":
        y = L.tensor(rng.integers(0, 10, shape[0]))
        loss_fn = L.nn.CrossEntropyLoss()
    else:
        y = L.tensor(rng.standard_normal(shape).astype(np.float32))
        loss_fn = L.nn.MSELoss()
    optimizer = L.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def step():
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
    return step


def main(names):
    print(f"training step (zero_grad, forward, loss, backward, SGD), median of 5; "
          f"torch {torch.__version__} with {torch.get_num_threads()} threads, numpy {np.__version__}")
    print(f"{'workload':42} {'chainrule':>11} {'torch':>11} {'speed vs torch':>15}")
    for name, build in WORKLOADS.items():
        if names and not any(n in name for n in names):
            continue
        try:
            ours = median_time(make_step(chainrule, build))
        except (AttributeError, NotImplementedError) as error:
            print(f"{name:42} {'missing':>11}  ({error})")
            continue
        theirs = median_time(make_step(torch, build))
        print(f"{name:42} {ours * 1e3:9.2f}ms {theirs * 1e3:9.2f}ms {theirs / ours:14.2f}x")


if __name__ == "__main__":
    main(sys.argv[1:])
