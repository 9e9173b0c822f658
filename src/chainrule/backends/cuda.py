"""torch.backends.cuda: the matmul precision flags, with torch's defaults; no effect here."""


class _MatmulSettings:
    """torch.backends.cuda.matmul: allow_tf32 and the reduced-precision reduction switches."""

    def __init__(self):
        self.allow_tf32 = False
        self.allow_fp16_reduced_precision_reduction = True
        self.allow_bf16_reduced_precision_reduction = True


matmul = _MatmulSettings()


def is_built():
    return False
