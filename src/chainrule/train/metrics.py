"""Classification metrics on logits (or predicted labels) and integer class targets, and the
accumulators that `evaluate` sums over batches, found by name: "accuracy", "top5" (or
"top_k_accuracy:5"), "confusion_matrix", or any function (outputs, targets) -> float."""
import re

from chainrule.backend import float64, int64, xp
from chainrule.tensor import Tensor


def accuracy(logits, targets):
    """The fraction of samples whose largest logit is at the target class:
    mean(argmax(logits, -1) == targets). A tie goes to the lower class index, as argmax does."""
    return top_k_accuracy(logits, targets, 1)


def top_k_accuracy(logits, targets, k=5):
    """The fraction of samples whose target is among the k largest logits (torch.topk's k classes;
    ties go to the lower class index, so k=1 is accuracy)."""
    correct, count = _top_k_correct(logits, targets, k, "top_k_accuracy")
    return correct / count


def confusion_matrix(logits_or_predictions, targets, num_classes=None):
    """counts[i, j] = the number of samples of true class i predicted as class j (rows are the
    true classes, columns the predicted ones, as sklearn.metrics.confusion_matrix).

    logits_or_predictions: logits (N, C), whose argmax is the prediction, or labels (N,).
    num_classes: C (default: the logits' width, else 1 + the largest label seen)."""
    outputs, targets = _array(logits_or_predictions), _array(targets)
    predictions = outputs.argmax(-1) if outputs.ndim == 2 else outputs
    if num_classes is None:
        num_classes = (outputs.shape[-1] if outputs.ndim == 2
                       else int(max(predictions.max(initial=-1), targets.max(initial=-1))) + 1)
    _check_targets(targets, num_classes, predictions.shape[0], "confusion_matrix")
    _check_targets(predictions, num_classes, predictions.shape[0], "confusion_matrix",
                   what="prediction")
    flat = targets.astype(int64) * num_classes + predictions.astype(int64)
    return xp.bincount(flat, minlength=num_classes ** 2).reshape(num_classes, num_classes)


# ----- accumulators: evaluate calls update(outputs, targets) per batch, then compute() ---------
# Under data parallelism each rank sees a share of the samples; reduce(total) replaces an
# accumulator's sums by their totals over the ranks, total(array) being that sum (an all_reduce).
class TopKAccuracy:
    """Counts correct samples and all samples over batches; compute() is their ratio."""

    def __init__(self, k=1):
        self.k, self.correct, self.count = k, 0, 0

    def update(self, outputs, targets):
        correct, count = _top_k_correct(outputs, targets, self.k, "accuracy")
        self.correct += correct
        self.count += count

    def reduce(self, total):
        self.correct, self.count = (int(n) for n in total(xp.array([self.correct, self.count],
                                                                    dtype=int64)))

    def compute(self):
        return self.correct / self.count


class ConfusionMatrix:
    """Sums the confusion matrices of the batches (num_classes from the first batch's logits)."""

    def __init__(self, num_classes=None):
        self.num_classes, self.counts = num_classes, None

    def update(self, outputs, targets):
        counts = confusion_matrix(outputs, targets, self.num_classes)
        self.num_classes = counts.shape[0]
        self.counts = counts if self.counts is None else self.counts + counts

    def reduce(self, total):
        # A rank that saw no batch has no matrix yet: it takes its width from those that did.
        seen = self.counts is not None
        widths, ranks_seen = total(xp.array([self.num_classes if seen else 0, int(seen)],
                                            dtype=int64))
        if ranks_seen == 0:
            return
        width = self.counts.shape[0] if seen else int(widths // ranks_seen)
        mine = self.counts if seen else xp.zeros((width, width), dtype=int64)
        self.counts, self.num_classes = total(mine.astype(int64)), width

    def compute(self):
        return self.counts


class BatchMean:
    """A function (outputs, targets) -> a mean over the batch's samples, averaged over batches
    weighted by their sizes: the mean over all samples."""

    def __init__(self, function):
        self.function, self.total, self.count = function, 0.0, 0

    def update(self, outputs, targets):
        size = len(_array(targets))
        self.total += float(self.function(outputs, targets)) * size
        self.count += size

    def reduce(self, total):
        self.total, count = (float(x) for x in total(xp.array([self.total, self.count],
                                                              dtype=float64)))
        self.count = int(count)

    def compute(self):
        return self.total / self.count


_TOP_K = re.compile(r"top(?:_k_accuracy:)?(\d+)")


def metric_name(metric):
    """The key under which a metric's value is reported: the name as given, or a function's name."""
    return metric if isinstance(metric, str) else getattr(metric, "__name__", repr(metric))


def accumulator(metric):
    """A fresh accumulator for a metric named as evaluate accepts it."""
    if callable(metric):
        return BatchMean(metric)
    if metric == "accuracy":
        return TopKAccuracy(1)
    if metric == "confusion_matrix":
        return ConfusionMatrix()
    match = _TOP_K.fullmatch(metric) if isinstance(metric, str) else None
    if match and int(match.group(1)) >= 1:
        return TopKAccuracy(int(match.group(1)))
    raise ValueError(f"unknown metric {metric!r}: use 'accuracy', 'top5' (or "
                     "'top_k_accuracy:5'), 'confusion_matrix', or a function (outputs, targets) "
                     "-> float")


def _top_k_correct(logits, targets, k, name):
    logits, targets = _array(logits), _array(targets)
    if logits.ndim != 2:
        raise ValueError(f"{name}: expected logits of shape (N, C), got {logits.shape}")
    samples, classes = logits.shape
    _check_targets(targets, classes, samples, name)
    if not 1 <= k <= classes:
        raise ValueError(f"{name}: k={k} must be between 1 and the {classes} classes")
    # A stable sort of -logits puts equal logits in class order, as argmax breaks ties.
    best = xp.argsort(-logits, axis=-1, kind="stable")[:, :k]
    return int((best == targets[:, None]).any(axis=-1).sum()), samples


def _check_targets(labels, num_classes, samples, name, what="target"):
    if labels.shape != (samples,) or labels.dtype.kind not in "iub":
        raise ValueError(f"{name}: expected {samples} integer class {what}s, got shape "
                         f"{labels.shape} dtype {labels.dtype}")
    outside = labels[(labels < 0) | (labels >= num_classes)]
    if outside.size:
        raise IndexError(f"{name}: {what} {outside[0]} is out of bounds for {num_classes} "
                         f"classes (expected 0 <= {what} < {num_classes})")


def _array(value):
    return value.detach().array if isinstance(value, Tensor) else xp.asarray(value)
