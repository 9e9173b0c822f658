"""CTCLoss: connectionist temporal classification (Graves et al. 2006) as a module, calling
nn.functional.ctc_loss."""
from chainrule.nn.functional.ctc import ctc_loss
from chainrule.nn.loss import _Loss


class CTCLoss(_Loss):
    """-log p(target | input) summed over every alignment of the target to the input frames, a
    blank separating repeated labels.

    Args: blank=0 (the blank label's index), reduction='mean' (each sample's loss divided by its
    target length, then averaged; 'sum' or 'none'), zero_infinity=False (impossible alignments
    give 0 and no gradient instead of inf).
    Shape: forward(log_probs (T, N, C) or (T, C), targets (N, S) or concatenated (sum of
    target_lengths,), input_lengths (N,), target_lengths (N,)) -> () or, unreduced, (N,).
    Gradient: nn.functional.ctc_loss, composed of ops.unary.Exp, ops.unary.Log (the forward
    recursion's log-sum-exp over alignments).
    """

    def __init__(self, blank=0, reduction="mean", zero_infinity=False):
        super().__init__(reduction=reduction)
        self.blank, self.zero_infinity = blank, zero_infinity

    def forward(self, log_probs, targets, input_lengths, target_lengths):
        return ctc_loss(log_probs, targets, input_lengths, target_lengths, self.blank,
                        self.reduction, self.zero_infinity)
