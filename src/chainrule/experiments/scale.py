"""The lecture's "scale drives deep learning progress", measured on MNIST-1D: test accuracy
against the number of training examples for three models, and against the MLP's width, each
point the mean of several seeds with their spread."""
import dataclasses

from chainrule.backend import xp
from chainrule.random import manual_seed
from chainrule.data.dataset import Subset
from chainrule.data.datasets.mnist1d import mnist1d_splits
from chainrule.experiments.mnist1d import fit_classifier
from chainrule.models.mnist1d import MODELS, MLP

SIZES = (250, 500, 1000, 2000, 4000)
WIDTHS = (4, 8, 16, 32, 64, 128, 256)
NAMES = ("logistic", "mlp", "cnn")
SEEDS = (0, 1, 2)
# Fewer steps than the paper's 6000: 3000 batches of 100 are still 75 passes over the full 4000
# examples (and more over the smaller sets), and the sweep trains 150 models.
STEPS = 3000


@dataclasses.dataclass
class Curve:
    """Test accuracies (fractions) at each x, one row per seed; mean and std over the seeds."""
    label: str
    x: tuple
    accuracies: object   # array (seeds, len(x))

    @property
    def mean(self):
        return self.accuracies.mean(axis=0)

    @property
    def std(self):
        return self.accuracies.std(axis=0)


def by_data_size(names=NAMES, sizes=SIZES, seeds=SEEDS, steps=STEPS, root=None, report=None):
    """One Curve per model: trained on the first n training examples (the generator's order is
    already random), tested on the whole test set."""
    train_set, test_set = mnist1d_splits(root=root)
    curves = []
    for name in names:
        def run(n, seed):
            manual_seed(seed)
            return fit_classifier(MODELS[name](), Subset(train_set, range(n)), test_set, steps)[1]
        curves.append(_curve(name, sizes, seeds, run, report))
    return curves


def by_width(widths=WIDTHS, seeds=SEEDS, steps=STEPS, root=None, report=None):
    """The MLP's test accuracy against its hidden width, on all 4000 training examples."""
    train_set, test_set = mnist1d_splits(root=root)

    def run(width, seed):
        manual_seed(seed)
        return fit_classifier(MLP(hidden=width), train_set, test_set, steps)[1]
    return _curve("mlp", widths, seeds, run, report)


def _curve(label, xs, seeds, run, report):
    accuracies = xp.array([[run(x, seed) for x in xs] for seed in seeds])
    curve = Curve(label, tuple(xs), accuracies)
    if report is not None:
        report(curve)
    return curve
