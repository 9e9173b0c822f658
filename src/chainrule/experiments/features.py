"""The classical pipeline against representation learning (the lecture: input → engineered
features → model, versus all modules trained end to end): hand-made features of an MNIST-1D
signal, which a linear or small MLP classifier then reads."""
import dataclasses

from chainrule.backend import float32, xp
from chainrule.random import manual_seed
from chainrule.data.dataset import TensorDataset
from chainrule.data.datasets.mnist1d import mnist1d_splits
from chainrule.experiments.mnist1d import SEED, STEPS, fit_classifier
from chainrule.models.mnist1d import CNN, MLP, Logistic, count_parameters
from chainrule.tensor import Tensor

FOURIER_TERMS = 21   # |rfft| of a 40-point signal: frequencies 0..20, blind to circular shifts
STATISTICS = ("mean", "std", "min", "max", "argmin", "argmax", "range", "energy",
              "zero crossings", "mean |slope|")


def fourier_magnitudes(x):
    """|DFT| of each signal (N, L) → (N, L // 2 + 1): what frequencies it holds, not where."""
    return xp.abs(xp.fft.rfft(x, axis=1))


def summary_statistics(x):
    """Ten numbers per signal (N, L) → (N, 10), named in STATISTICS: level, spread, extremes and
    where they sit, energy, how often it crosses its mean, how steep it is."""
    length = x.shape[1]
    centered = x - x.mean(axis=1, keepdims=True)
    crossings = (xp.diff(xp.sign(centered), axis=1) != 0).sum(axis=1)
    columns = [x.mean(axis=1), x.std(axis=1), x.min(axis=1), x.max(axis=1),
               x.argmin(axis=1) / length, x.argmax(axis=1) / length, x.max(axis=1) - x.min(axis=1),
               (x * x).mean(axis=1), crossings / length, xp.abs(xp.diff(x, axis=1)).mean(axis=1)]
    return xp.stack(columns, axis=1)


def class_templates(x, y, classes=10):
    """One template per class: the mean training signal of that class, standardised (the matched
    filter of classical signal processing, made from the training data, not learned)."""
    templates = xp.stack([x[y == c].mean(axis=0) for c in range(classes)])
    return _standardise_rows(templates)


def template_scores(x, templates):
    """For each signal and template, the best normalized correlation over all circular shifts
    (N, L) × (C, L) → (N, C): template matching that tolerates the digits' translation."""
    signals = _standardise_rows(x)
    # circular cross-correlation for every shift at once, through the DFT
    spectra = xp.fft.rfft(signals, axis=1)[:, None, :] * xp.conj(xp.fft.rfft(templates, axis=1))
    correlations = xp.fft.irfft(spectra, n=x.shape[1], axis=2) / x.shape[1]
    return correlations.max(axis=2)


def engineered_features(x, templates):
    """The three families side by side: (N, 21 + 10 + C) float32."""
    x = xp.asarray(x, dtype=xp.float64)
    parts = [fourier_magnitudes(x), summary_statistics(x), template_scores(x, templates)]
    return xp.concatenate(parts, axis=1).astype(float32)


class Standardiser:
    """z = (f − mean) / std per feature, with the mean and std of the training features only."""

    def __init__(self, features):
        self.mean = features.mean(axis=0)
        self.std = features.std(axis=0) + 1e-8   # a constant feature stays 0, not NaN

    def __call__(self, features):
        return ((features - self.mean) / self.std).astype(float32)


def _standardise_rows(x):
    centered = x - x.mean(axis=1, keepdims=True)
    return centered / (centered.std(axis=1, keepdims=True) + 1e-8)


@dataclasses.dataclass
class Pipeline:
    """One row of the comparison: how the inputs were made, the classifier, its test accuracy."""
    inputs: str
    classifier: str
    parameters: int
    test_accuracy: float


def compare(steps=STEPS, seed=SEED, root=None, report=None):
    """Engineered features + logistic regression or an MLP, against the same classifiers on the
    raw signal and the CNN trained end to end, all with the paper's training setup.
    Returns (list of Pipeline, the trained CNN); report(pipeline) is called as each ends."""
    train_set, test_set = mnist1d_splits(root=root)
    templates = class_templates(train_set.x.astype(xp.float64), train_set.y)
    features = engineered_features(train_set.x, templates)
    standardise = Standardiser(features)   # the training set's statistics only
    engineered = [_dataset(standardise(f), data.y) for f, data in
                  ((features, train_set), (engineered_features(test_set.x, templates), test_set))]
    runs = [("raw signal (40)", "logistic", Logistic(), (train_set, test_set)),
            ("raw signal (40)", "MLP", MLP(), (train_set, test_set)),
            (f"engineered ({features.shape[1]})", "logistic", Logistic(features.shape[1]),
             engineered),
            (f"engineered ({features.shape[1]})", "MLP", MLP(inputs=features.shape[1]),
             engineered),
            ("raw signal (40)", "CNN, end to end", CNN(), (train_set, test_set))]
    rows = []
    for inputs, classifier, model, data in runs:
        manual_seed(seed)
        _reset(model)   # every model starts from the same seed, whatever was built before it
        _, accuracy = fit_classifier(model, *data, steps)
        rows.append(Pipeline(inputs, classifier, count_parameters(model), accuracy))
        if report is not None:
            report(rows[-1])
    return rows, model


def _reset(model):
    """Draw the model's initial weights again, from the generator just seeded."""
    for module in model.modules():
        if module is not model and hasattr(module, "reset_parameters"):
            module.reset_parameters()


def _dataset(x, y):
    return TensorDataset(Tensor._make(x), Tensor._make(y))
