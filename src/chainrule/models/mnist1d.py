"""The four models of MNIST-1D (Greydanus, "Scaling Down Deep Learning", 2020), with the sizes of
the paper and of its reference notebooks (notebooks/models.py: LinearBase, MLPBase, ConvBase,
GRUBase). Parameter names match those modules, so state dicts move between the two unchanged.
Each takes signals (B, 40) float32 and returns logits (B, 10)."""
from chainrule.nn import functional as F
from chainrule.nn.conv import Conv1d
from chainrule.nn.linear import Linear
from chainrule.nn.module import Module
from chainrule.nn.recurrent import GRU as GRULayer

LENGTH, CLASSES = 40, 10


def count_parameters(model):
    """The number of scalars in model's parameters (each shared parameter counted once)."""
    return sum(parameter.numel() for parameter in model.parameters())


class Logistic(Module):
    """Logistic regression: logits = W x + b, 40 → 10, 410 parameters (paper: 32 % test accuracy,
    the same with the positions shuffled).

    Args: inputs, the input size (40 for the signal; another for engineered features).
    Shape: input (B, inputs) -> logits (B, 10).
    """

    def __init__(self, inputs=LENGTH):
        super().__init__()
        self.linear = Linear(inputs, CLASSES)

    def forward(self, x):
        return self.linear(x)


class MLP(Module):
    """A three-layer perceptron, 40 → hidden → hidden → 10 with ReLU: 15,210 parameters at the
    paper's hidden = 100 (paper: 68 %, unchanged by shuffling). As in the reference MLPBase, the
    middle layer is residual: h₁ = relu(W₁x + b₁), h₂ = h₁ + relu(W₂h₁ + b₂), logits = W₃h₂ + b₃.

    Args: hidden, the width of both hidden layers (a scale experiment varies it); inputs, the
        input size (40 for the signal; another for engineered features).
    Shape: input (B, inputs) -> logits (B, 10).
    """

    def __init__(self, hidden=100, inputs=LENGTH):
        super().__init__()
        self.linear1 = Linear(inputs, hidden)
        self.linear2 = Linear(hidden, hidden)
        self.linear3 = Linear(hidden, CLASSES)

    def forward(self, x):
        h = F.relu(self.linear1(x))
        h = h + F.relu(self.linear2(h))
        return self.linear3(h)


class CNN(Module):
    """Three 1-D convolutions with ReLU, then a linear classifier: Conv1d(1 → c, kernel 5, stride
    2, padding 1), two Conv1d(c → c, kernel 3, stride 2, padding 1), the features (c, 5)
    flattened channel by channel → Linear(5c → 10). The length goes 40 → 19 → 10 → 5; at the
    paper's c = 25, 125 features and 5,210 parameters (paper: 94 %, 56 % with the positions
    shuffled).

    Args: channels, c, the number of channels of every convolution.
    Shape: input (B, 40) -> logits (B, 10).
    """

    def __init__(self, channels=25):
        super().__init__()
        self.conv1 = Conv1d(1, channels, 5, stride=2, padding=1)
        self.conv2 = Conv1d(channels, channels, 3, stride=2, padding=1)
        self.conv3 = Conv1d(channels, channels, 3, stride=2, padding=1)
        self.linear = Linear(channels * 5, CLASSES)

    def forward(self, x):
        h = x.unsqueeze(1)   # one input channel: (B, 1, 40)
        h = F.relu(self.conv1(h))
        h = F.relu(self.conv2(h))
        h = F.relu(self.conv3(h))
        return self.linear(h.flatten(1))


class GRU(Module):
    """A bidirectional GRU reads the signal one value per step from a zero state; its outputs at
    all 40 steps, (40, 2h) flattened step by step, feed Linear(80h → 10). At the paper's h = 6:
    324 recurrent parameters + 4,810 = 5,134 (paper: 91 %, 57 % with the positions shuffled).

    Args: hidden, h, the hidden size of each direction.
    Shape: input (B, 40) -> logits (B, 10).
    """

    def __init__(self, hidden=6):
        super().__init__()
        self.gru = GRULayer(1, hidden, batch_first=True, bidirectional=True)
        self.linear = Linear(LENGTH * 2 * hidden, CLASSES)

    def forward(self, x):
        outputs, _ = self.gru(x.unsqueeze(-1))   # (B, 40, 1) -> (B, 40, 2h)
        return self.linear(outputs.flatten(1))


MODELS = {"logistic": Logistic, "mlp": MLP, "cnn": CNN, "gru": GRU}
