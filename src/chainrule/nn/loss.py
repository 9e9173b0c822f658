"""Loss modules: each holds its options (reduction, class weights as buffers, as torch) and calls
its functional form in chainrule.nn.functional.loss."""
from chainrule.nn.functional.loss import (binary_cross_entropy, binary_cross_entropy_with_logits,
                                          cross_entropy, huber_loss, l1_loss, mse_loss, nll_loss,
                                          resolve_reduction, smooth_l1_loss)
from chainrule.nn.module import Module


class _Loss(Module):
    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__()
        self.reduction = resolve_reduction(type(self).__name__, size_average, reduce, reduction)


class _WeightedLoss(_Loss):
    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        # a buffer, as torch: saved in the state dict and converted by .to(dtype)
        self.register_buffer("weight", weight)


class MSELoss(_Loss):
    """Mean squared error: (input - target)², reduced.

    Args: reduction='mean' ('mean', 'sum' or 'none'); size_average, reduce (deprecated).
    Shape: input (*), target as input -> output () or, with reduction='none', as input.
    """

    def forward(self, input, target):
        return mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error: |input - target|, reduced.

    Args: reduction='mean' ('mean', 'sum' or 'none'); size_average, reduce (deprecated).
    Shape: input (*), target as input -> output () or, with reduction='none', as input.
    """

    def forward(self, input, target):
        return l1_loss(input, target, reduction=self.reduction)


class HuberLoss(_Loss):
    """½d² where |d| < delta, else delta (|d| - ½delta), for d = input - target; reduced.

    Args: reduction='mean', delta=1.0.
    Shape: input (*), target as input -> output () or, with reduction='none', as input.
    """

    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input, target):
        return huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class SmoothL1Loss(_Loss):
    """½d²/beta where |d| < beta, else |d| - ½beta, for d = input - target; reduced.

    Args: reduction='mean', beta=1.0; size_average, reduce (deprecated).
    Shape: input (*), target as input -> output () or, with reduction='none', as input.
    """

    def __init__(self, size_average=None, reduce=None, reduction="mean", beta=1.0):
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input, target):
        return smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class BCELoss(_WeightedLoss):
    """Binary cross-entropy of probabilities: -w (y log x + (1 - y) log(1 - x)), logs clamped at
    -100.

    Args: weight=None (broadcast against the input), reduction='mean'; size_average, reduce
    (deprecated).
    Shape: input (*) in [0, 1], target as input -> output () or, with reduction='none', as input.
    """

    def forward(self, input, target):
        return binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_WeightedLoss):
    """Binary cross-entropy of logits (a sigmoid and BCELoss in one, computed stably):
    -w (p y log σ(x) + (1 - y) log(1 - σ(x))).

    Args: weight=None (broadcast against the input), reduction='mean', pos_weight=None (the weight
    p of positive examples, one per class along the last dim); size_average, reduce (deprecated).
    Shape: input (*), target as input -> output () or, with reduction='none', as input.
    """

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean",
                 pos_weight=None):
        super().__init__(weight, size_average, reduce, reduction)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input, target):
        return binary_cross_entropy_with_logits(input, target, self.weight,
                                                  reduction=self.reduction,
                                                  pos_weight=self.pos_weight)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of the target class, given log-probabilities: -w[t] input[t].

    Args: weight=None (one per class), ignore_index=-100 (targets that count for nothing),
    reduction='mean' (divides by the summed weights of the targets not ignored); size_average,
    reduce (deprecated).
    Shape: input (N, C) or (N, C, d1, ...) or (C,); target (N,) or (N, d1, ...) or () of class
    indices -> output () or, with reduction='none', as target.
    """

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None,
                 reduction="mean"):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)


class CrossEntropyLoss(_WeightedLoss):
    """Cross-entropy of logits against class indices or class probabilities:
    -Σ_c q_c w_c log softmax(input)_c, with q one-hot for indices.

    Args: weight=None (one per class), ignore_index=-100 (class-index targets that count for
    nothing, also not in the mean), reduction='mean', label_smoothing=0.0 (q becomes
    (1 - ε) q + ε / C); size_average, reduce (deprecated).
    Shape: input (N, C) or (N, C, d1, ...) or (C,); target (N,) or (N, d1, ...) or () of class
    indices, or class probabilities of the input's shape -> output () or, with
    reduction='none', (N,) or (N, d1, ...) or ().
    """

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None,
                 reduction="mean", label_smoothing=0.0):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing

    def forward(self, input, target):
        return cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)
