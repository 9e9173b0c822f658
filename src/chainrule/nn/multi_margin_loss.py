"""The multi-class hinge losses as modules: MultiMarginLoss and MultiLabelMarginLoss, with
torch's options (class weights as a buffer) and reprs; they call nn.functional.margin_loss."""
from chainrule.nn.functional import margin_loss
from chainrule.nn.loss import _Loss, _WeightedLoss


class MultiMarginLoss(_WeightedLoss):
    """(1/C) Σ_{i≠y} w_y max(0, margin - x_y + x_i)^p: the multi-class hinge loss.

    Args: p=1 (1 or 2), margin=1.0, weight=None (one per class), reduction='mean';
    size_average, reduce (deprecated).
    Shape: input (N, C) or (C,), target (N,) or () class indices -> output () or, unreduced,
    (N,) or ().
    Gradient: nn.functional.multi_margin_loss, composed of ops.index.Index, ops.compare.Clamp.
    """

    def __init__(self, p=1, margin=1.0, weight=None, size_average=None, reduce=None,
                 reduction="mean"):
        super().__init__(weight, size_average, reduce, reduction)
        if p not in (1, 2):
            raise ValueError(f"MultiMarginLoss: only p == 1 and p == 2 supported, got p={p}")
        if weight is not None and weight.ndim != 1:
            raise ValueError(f"MultiMarginLoss: weight must be a 1-D tensor, got shape "
                             f"{weight.shape}")
        self.p, self.margin = p, margin

    def forward(self, input, target):
        return margin_loss.multi_margin_loss(input, target, p=self.p, margin=self.margin,
                                             weight=self.weight, reduction=self.reduction)


class MultiLabelMarginLoss(_Loss):
    """(1/C) Σ_{j target} Σ_{i not target} max(0, 1 - (x_j - x_i)), the targets of a row being
    its class indices up to the first -1.

    Args: reduction='mean'; size_average, reduce (deprecated).
    Shape: input (N, C) or (C,), target of input's shape (int) -> output () or, unreduced, (N,)
    or ().
    Gradient: nn.functional.multilabel_margin_loss, composed of ops.compare.Clamp, ops.reduce.Sum.
    """

    def forward(self, input, target):
        return margin_loss.multilabel_margin_loss(input, target, reduction=self.reduction)
