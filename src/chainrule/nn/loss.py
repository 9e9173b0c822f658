"""Loss modules: each holds its options (reduction, class weights as buffers, as torch) and calls
its functional form in chainrule.nn.functional (loss, likelihood_loss, margin_loss)."""
from chainrule.nn.functional import likelihood_loss, margin_loss
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
    Gradient: nn.functional.mse_loss, composed of ops.elementwise.Sub, ops.unary.Square.
    """

    def forward(self, input, target):
        return mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error: |input - target|, reduced.

    Args: reduction='mean' ('mean', 'sum' or 'none'); size_average, reduce (deprecated).
    Shape: input (*), target as input -> output () or, with reduction='none', as input.
    Gradient: nn.functional.l1_loss, composed of ops.elementwise.Sub, ops.unary.Abs.
    """

    def forward(self, input, target):
        return l1_loss(input, target, reduction=self.reduction)


class HuberLoss(_Loss):
    """½d² where |d| < delta, else delta (|d| - ½delta), for d = input - target; reduced.

    Args: reduction='mean', delta=1.0.
    Shape: input (*), target as input -> output () or, with reduction='none', as input.
    Gradient: nn.functional.huber_loss, composed of ops.unary.Abs, ops.unary.Square.
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
    Gradient: nn.functional.smooth_l1_loss, composed of ops.unary.Abs, ops.unary.Square.
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
    Gradient: nn.functional.binary_cross_entropy, composed of its own op
    nn.functional.loss.BinaryCrossEntropy (torch's formulas at x = 0 and 1).
    """

    def forward(self, input, target):
        return binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_WeightedLoss):
    """Binary cross-entropy of logits (a sigmoid and BCELoss in one, computed stably):
    -w (p y log σ(x) + (1 - y) log(1 - σ(x))).

    Args: weight=None (broadcast against the input), reduction='mean', pos_weight=None (the weight
    p of positive examples, one per class along the last dim); size_average, reduce (deprecated).
    Shape: input (*), target as input -> output () or, with reduction='none', as input.
    Gradient: nn.functional.binary_cross_entropy_with_logits, composed of
    ops.activation.SoftplusFunction, ops.elementwise.Mul.
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
    Gradient: nn.functional.nll_loss, composed of ops.index.Index, ops.reduce.Sum.
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
    Gradient: nn.functional.cross_entropy: ops.fused.CrossEntropy for (N, C) logits, unweighted
    and unsmoothed; otherwise composed of ops.activation.LogSoftmaxFunction.
    """

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None,
                 reduction="mean", label_smoothing=0.0):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing

    def forward(self, input, target):
        return cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


# ----- divergences and likelihoods ----------------------------------------------------------------
class KLDivLoss(_Loss):
    """Kullback-Leibler divergence Σ q (log q - x), x log-probabilities, q probabilities (or log q
    with log_target).

    Args: reduction='mean' ('batchmean' divides by the batch size, the true KL per sample; 'mean'
    by the element count, with torch's warning), log_target=False; size_average, reduce.
    Shape: input (*), target as input -> output () or, with reduction='none', as input.
    Gradient: nn.functional.kl_div, composed of ops.elementwise.Mul, ops.elementwise.Sub (the
    target's log, or exp with log_target, is in the graph only if the target requires grad).
    """

    def __init__(self, size_average=None, reduce=None, reduction="mean", log_target=False):
        Module.__init__(self)
        self.reduction = resolve_reduction("KLDivLoss", size_average, reduce, reduction,
                                           ("none", "batchmean", "sum", "mean"))
        self.log_target = log_target

    def forward(self, input, target):
        return likelihood_loss.kl_div(input, target, reduction=self.reduction,
                                      log_target=self.log_target)


class PoissonNLLLoss(_Loss):
    """Poisson negative log-likelihood: exp(x) - y x for log-rates x (log_input), else
    x - y log(x + eps); full adds Stirling's term for log y!.

    Args: log_input=True, full=False, eps=1e-8, reduction='mean'; size_average, reduce.
    Shape: input (*), target as input -> output () or, with reduction='none', as input.
    Gradient: nn.functional.poisson_nll_loss, composed of ops.unary.Exp (log_input, the default)
    or ops.unary.Log, and ops.elementwise.Mul.
    """

    def __init__(self, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                 reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.log_input, self.full, self.eps = log_input, full, eps

    def forward(self, log_input, target):
        return likelihood_loss.poisson_nll_loss(log_input, target, self.log_input, self.full,
                                                eps=self.eps, reduction=self.reduction)


class GaussianNLLLoss(_Loss):
    """Gaussian negative log-likelihood ½ (log var + (x - y)² / var), var clamped to eps.

    Args: full=False (add ½ log 2π), eps=1e-6, reduction='mean' (keyword-only, as torch).
    Shape: input (N, *), target as input, var as input or with one dim of size 1 or without the
    last dim -> output () or, with reduction='none', as input.
    Gradient: nn.functional.gaussian_nll_loss, composed of ops.unary.Square, and of ops.unary.Log
    where var requires grad.
    """

    def __init__(self, *, full=False, eps=1e-6, reduction="mean"):
        super().__init__(reduction=reduction)
        self.full, self.eps = full, eps

    def forward(self, input, target, var):
        return likelihood_loss.gaussian_nll_loss(input, target, var, full=self.full, eps=self.eps,
                                                 reduction=self.reduction)


# ----- margins and embeddings ---------------------------------------------------------------------
class _MarginLoss(_Loss):
    def __init__(self, margin=0.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin


class MarginRankingLoss(_MarginLoss):
    """max(0, -y (x1 - x2) + margin) for labels y = ±1.

    Args: margin=0.0, reduction='mean'; size_average, reduce (deprecated).
    Shape: input1 (N,) or (), input2 and target as input1 -> output () or, unreduced, (N,) or ().
    Gradient: nn.functional.margin_ranking_loss, composed of ops.compare.Clamp, ops.elementwise.Mul.
    """

    def forward(self, input1, input2, target):
        return margin_loss.margin_ranking_loss(input1, input2, target, self.margin,
                                               reduction=self.reduction)


class CosineEmbeddingLoss(_MarginLoss):
    """1 - cos(x1, x2) where y = 1, max(0, cos(x1, x2) - margin) where y = -1.

    Args: margin=0.0, reduction='mean'; size_average, reduce (deprecated).
    Shape: input1, input2 (N, D) or (D,); target (N,) or () -> output () or, unreduced, target's.
    Gradient: nn.functional.cosine_embedding_loss, composed of ops.unary.Sqrt, ops.elementwise.Div.
    """

    def forward(self, input1, input2, target):
        return margin_loss.cosine_embedding_loss(input1, input2, target, self.margin,
                                                 reduction=self.reduction)


class HingeEmbeddingLoss(_MarginLoss):
    """x where y = 1, max(0, margin - x) where y = -1.

    Args: margin=1.0, reduction='mean'; size_average, reduce (deprecated).
    Shape: input (*), target as input -> output () or, with reduction='none', as input.
    Gradient: nn.functional.hinge_embedding_loss, composed of ops.compare.Clamp, ops.compare.Where.
    """

    def __init__(self, margin=1.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(margin, size_average, reduce, reduction)

    def forward(self, input, target):
        return margin_loss.hinge_embedding_loss(input, target, self.margin,
                                                reduction=self.reduction)


class TripletMarginLoss(_MarginLoss):
    """max(0, d(a, p) - d(a, n) + margin), d the p-norm pairwise distance.

    Args: margin=1.0 (> 0), p=2.0, eps=1e-6, swap=False (use min(d(a, n), d(p, n))),
    reduction='mean'; size_average, reduce (deprecated).
    Shape: anchor, positive, negative (N, D) or (D,) -> output () or, unreduced, (N,) or ().
    Gradient: nn.functional.triplet_margin_loss, composed of ops.reduce.Norm, ops.compare.Clamp.
    """

    def __init__(self, margin=1.0, p=2.0, eps=1e-6, swap=False, size_average=None, reduce=None,
                 reduction="mean"):
        super().__init__(margin, size_average, reduce, reduction)
        if margin <= 0:
            raise ValueError(f"TripletMarginLoss: expected margin to be greater than 0, got "
                             f"{margin} instead")
        self.p, self.eps, self.swap = p, eps, swap

    def forward(self, anchor, positive, negative):
        return margin_loss.triplet_margin_loss(anchor, positive, negative, self.margin, self.p,
                                               self.eps, self.swap, reduction=self.reduction)


class SoftMarginLoss(_Loss):
    """log(1 + exp(-y x)) for labels y = ±1.

    Args: reduction='mean'; size_average, reduce (deprecated).
    Shape: input (*), target as input -> output () or, with reduction='none', as input.
    Gradient: nn.functional.soft_margin_loss, composed of ops.activation.SoftplusFunction.
    """

    def forward(self, input, target):
        return margin_loss.soft_margin_loss(input, target, reduction=self.reduction)


class MultiLabelSoftMarginLoss(_WeightedLoss):
    """-(1/C) Σ_c w_c (y_c log σ(x_c) + (1 - y_c) log σ(-x_c)) for 0/1 labels y.

    Args: weight=None (one per class), reduction='mean'; size_average, reduce (deprecated).
    Shape: input (N, C) or (C,), target as input -> output () or, unreduced, (N,) or ().
    Gradient: nn.functional.multilabel_soft_margin_loss, composed of
    ops.activation.SoftplusFunction, ops.elementwise.Mul.
    """

    def forward(self, input, target):
        return margin_loss.multilabel_soft_margin_loss(input, target, weight=self.weight,
                                                       reduction=self.reduction)
