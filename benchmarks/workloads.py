"""The workloads of issue 12, each written once against the PyTorch API and built for a library L
(chainrule or torch). A workload returns a Case: a callable step (one training step, or one op and
its backward) with its model, so the harness can copy weights, count parameters and check losses.

NumPy here only makes the data (the library's own rule, one NumPy import, is for src/)."""
import functools
import itertools
import os
from dataclasses import dataclass, field

import numpy as np
from charmodel import corpus_codes, gpt_class

MNIST1D_FILE = "BENCH_MNIST1D_NPZ"


@dataclass
class Case:
    """What the harness runs: step() once per timed step; model None for a bare op."""
    step: object
    model: object = None
    optimizer: object = None
    loss: object = None          # loss() -> float on the first batch, without a graph
    warmup_steps: int = 0        # steps trained before timing (the batch-1 workload)
    notes: list = field(default_factory=list)


class Training:
    """One training step: zero_grad, forward, loss, backward, optimizer step. Batches rotate, so
    a list of one is a fixed batch and a list of many is an epoch of single samples."""

    def __init__(self, L, model, batches, loss_fn, optimizer):
        self.L, self.model, self.batches = L, model, batches
        self.loss_fn, self.optimizer, self.index = loss_fn, optimizer, 0

    def __call__(self):
        x, y = self.batches[self.index]
        self.index = (self.index + 1) % len(self.batches)
        self.optimizer.zero_grad()
        loss = self.loss_fn(self.model(x), y)
        loss.backward()
        self.optimizer.step()

    def first_loss(self):
        x, y = self.batches[0]
        with self.L.no_grad():
            return float(self.loss_fn(self.model(x), y).item())


def _case(L, model, batches, loss_fn, make_optimizer, weights=None, **extra):
    """A Training case; weights (name -> array), when given, are loaded before the optimizer is
    made, so both libraries start from the same point."""
    if weights is not None:
        model.load_state_dict({name: L.tensor(array) for name, array in weights.items()})
    optimizer = make_optimizer(model.parameters())
    step = Training(L, model, batches, loss_fn, optimizer)
    return Case(step=step, model=model, optimizer=optimizer, loss=step.first_loss, **extra)


def _sgd(L):
    return lambda parameters: L.optim.SGD(parameters, lr=0.01, momentum=0.9)


def _batch(L, x, y):
    return [(L.tensor(x), L.tensor(y))]


@functools.lru_cache(maxsize=1)
def _mnist1d():
    """MNIST-1D's 4000 training signals: from chainrule's generator (its cache), or from the file
    named by $BENCH_MNIST1D_NPZ, which bench.py writes for its memory processes so that torch's
    does not import chainrule."""
    if os.environ.get(MNIST1D_FILE):
        with np.load(os.environ[MNIST1D_FILE]) as arrays:
            return arrays["x"], arrays["y"]
    from chainrule.data.datasets.mnist1d import mnist1d
    data = mnist1d("train")
    return np.asarray(data.x, dtype=np.float32), np.asarray(data.y, dtype=np.int64)


def save_mnist1d(path):
    """Write _mnist1d's arrays to path (a .npz) and name it in the environment of children."""
    x, y = _mnist1d()
    np.savez(path, x=x, y=y)
    os.environ[MNIST1D_FILE] = str(path)


MNIST1D_NAMES = {"mlp40", "mlp40-b1", "cnn"}


def preload(names):
    """Read the data files the named workloads use (MNIST-1D, the corpus) once, now."""
    if MNIST1D_NAMES & set(names):
        _mnist1d()
    if "gpt" in names:
        corpus_codes()


def warm_up_library(L):
    """A tiny model's step with each optimizer the workloads use, so that what a library imports
    or sets up lazily on its first step (torch's first optimizer step imports torch._dynamo,
    ~80 MB) is in place before a workload's memory is measured."""
    model = L.nn.Linear(2, 2)
    for optimizer in (L.optim.SGD(model.parameters(), lr=0.01, momentum=0.9),
                      L.optim.AdamW(model.parameters(), lr=3e-4, weight_decay=0.1)):
        optimizer.zero_grad()
        model(L.ones(1, 2)).sum().backward()
        optimizer.step()


def _random_classes(shape, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(shape).astype(np.float32), rng.integers(0, 10, shape[0])


# ---- 1, 2, 3: multilayer perceptrons ---------------------------------------------------------

def _mlp(L, sizes):
    nn, layers = L.nn, []
    for inputs, outputs in itertools.pairwise(sizes):
        layers += [nn.Linear(inputs, outputs), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


def mlp784(L, weights=None, quick=False):
    L.manual_seed(0)
    model = _mlp(L, (784, 512, 512, 10))
    return _case(L, model, _batch(L, *_random_classes((256, 784))), L.nn.CrossEntropyLoss(),
                 _sgd(L), weights)


def mlp40(L, weights=None, quick=False):
    L.manual_seed(0)
    x, y = _mnist1d()
    return _case(L, _mlp(L, (40, 256, 256, 10)), _batch(L, x[:128], y[:128]),
                 L.nn.CrossEntropyLoss(), _sgd(L), weights)


def mlp40_batch1(L, weights=None, quick=False):
    """Batch 1 through MNIST-1D's 4000 signals in order; the harness trains warmup_steps (one
    epoch; 2000 with QUICK) before timing, so dead ReLU units have had time to leave exact-zero
    gradients and their momentum decays towards denormal floats (issue 12)."""
    L.manual_seed(0)
    x, y = _mnist1d()
    batches = [(L.tensor(x[i:i + 1]), L.tensor(y[i:i + 1])) for i in range(len(x))]
    return _case(L, _mlp(L, (40, 256, 256, 10)), batches, L.nn.CrossEntropyLoss(), _sgd(L),
                 weights, warmup_steps=2000 if quick else 4000)


# ---- 4, 5: convolutional networks -----------------------------------------------------------

def cnn(L, weights=None, quick=False):
    """chainrule.models.mnist1d.CNN's architecture (channels 25) on input (B, 1, 40)."""
    L.manual_seed(0)
    nn = L.nn
    model = nn.Sequential(
        nn.Conv1d(1, 25, 5, stride=2, padding=1), nn.ReLU(),
        nn.Conv1d(25, 25, 3, stride=2, padding=1), nn.ReLU(),
        nn.Conv1d(25, 25, 3, stride=2, padding=1), nn.ReLU(),
        nn.Flatten(), nn.Linear(125, 10))
    x, y = _mnist1d()
    return _case(L, model, _batch(L, x[:128, None, :], y[:128]), nn.CrossEntropyLoss(),
                 _sgd(L), weights)


def lenet5(L, weights=None, quick=False):
    L.manual_seed(0)
    nn = L.nn
    model = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
    return _case(L, model, _batch(L, *_random_classes((64, 1, 28, 28))), nn.CrossEntropyLoss(),
                 _sgd(L), weights)


# ---- 6: recurrent ---------------------------------------------------------------------------

def gru(L, weights=None, quick=False):
    """Bidirectional GRU(40 -> 128) over 40 steps, Linear(256 -> 10) on the last step."""
    L.manual_seed(0)

    class Model(L.nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = L.nn.GRU(40, 128, batch_first=True, bidirectional=True)
            self.head = L.nn.Linear(256, 10)

        def forward(self, x):
            out, _ = self.rnn(x)
            return self.head(out[:, -1])
    return _case(L, Model(), _batch(L, *_random_classes((128, 40, 40))),
                 L.nn.CrossEntropyLoss(), _sgd(L), weights)


# ---- 7, 8: attention ------------------------------------------------------------------------

def transformer(L, weights=None, quick=False):
    """nn.TransformerEncoder, 2 post-norm layers, d_model 64, 4 heads, feed-forward 256, dropout 0;
    (32, 64, 64) in, MSE against a random target of the same shape."""
    L.manual_seed(0)
    layer = L.nn.TransformerEncoderLayer(64, 4, dim_feedforward=256, dropout=0.0,
                                         batch_first=True)
    model = L.nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
    rng = np.random.default_rng(0)
    x, y = (rng.standard_normal((32, 64, 64)).astype(np.float32) for _ in range(2))
    return _case(L, model, _batch(L, x, y), L.nn.MSELoss(), _sgd(L), weights)


def gpt(L, weights=None, quick=False):
    """A nanoGPT-style character model on Tiny Shakespeare (vocab 65): 2 pre-norm blocks, 4 heads,
    d 64, context 64, batch 32, cross-entropy over (B*T, vocab), AdamW(3e-4, weight decay 0.1)."""
    L.manual_seed(0)
    vocab, codes = corpus_codes()
    starts = np.random.default_rng(0).integers(0, len(codes) - 65, 32)
    idx = np.stack([codes[s:s + 64] for s in starts])
    targets = np.stack([codes[s + 1:s + 65] for s in starts])
    model = gpt_class(L)(vocab)

    def loss_fn(logits, y):
        return L.nn.functional.cross_entropy(logits.view(-1, logits.size(-1)), y.view(-1))
    adamw = (lambda parameters: L.optim.AdamW(parameters, lr=3e-4, weight_decay=0.1))
    return _case(L, model, _batch(L, idx, targets), loss_fn, adamw, weights)


# ---- 9: the cost of one op ------------------------------------------------------------------

def _check_value(value, *leaves):
    """What the harness compares for a bare op: its value, plus its leaves' gradients once a
    step has made them."""
    return float(value.sum().item()) + sum(float(leaf.grad.sum().item()) for leaf in leaves
                                           if leaf.grad is not None)


def one_op(L, weights=None, quick=False):
    """y = tanh(x) on a tensor of shape (1,), and y.backward(): one node each way (the grad is
    reset to None first, so nothing accumulates)."""
    x = L.tensor(np.array([0.5], dtype=np.float32), requires_grad=True)

    def step():
        x.grad = None
        x.tanh().backward()
    return Case(step=step, loss=lambda: _check_value(x.detach().tanh(), x))


def two_ops(L, weights=None, quick=False):
    """y = (x * w).sum() on tensors of shape (1,), and y.backward(): two nodes, two leaves."""
    x = L.tensor(np.array([0.5], dtype=np.float32), requires_grad=True)
    w = L.tensor(np.array([0.3], dtype=np.float32), requires_grad=True)

    def step():
        x.grad = w.grad = None
        (x * w).sum().backward()
    return Case(step=step, loss=lambda: _check_value((x.detach() * w.detach()).sum(), x, w))


# a tensor of one element has no memory footprint to compare: its peak RSS is not measured
NO_MEMORY = {"op", "op2"}

# name -> (builder, what it is, the target ratio chainrule/torch throughput)
WORKLOADS = {
    "mlp784": (mlp784, "MLP 784-512-512-10, batch 256, SGD momentum", 0.85),
    "mlp40": (mlp40, "MLP 40-256-256-10, MNIST-1D, batch 128", 1.0),
    "mlp40-b1": (mlp40_batch1, "the same MLP, batch 1, after 4,000 steps", 1.5),
    "cnn": (cnn, "MNIST-1D CNN (3x Conv1d 25 ch), batch 128", 1.2),
    "lenet5": (lenet5, "LeNet-5 on 1x28x28, batch 64", 0.8),
    "gru": (gru, "bidirectional GRU, hidden 128, 40 steps, b 128", 1.0),
    "transformer": (transformer, "Transformer encoder 2x d64 4 heads, 32x64", 0.75),
    "gpt": (gpt, "GPT char model 2x d64, ctx 64, b 32, AdamW", 0.8),
    "op": (one_op, "one op (tanh) and its backward, shape (1,)", 0.8),
    "op2": (two_ops, "(x * w).sum() and its backward, shape (1,)", 0.8),
}
