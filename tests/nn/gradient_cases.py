"""One small configuration of every layer whose docstring's 'Gradient:' line names ops, for
tests/nn/test_module.py to check that each named op is really in the layer's graph (no tests here).

CASES maps a layer's name to its cases. A case gives the constructor's arguments and the inputs:
a tuple of ints is the shape of a random float input that requires grad, `Positive(shape)` one
with entries in (0.1, 1.1), anything else (a list) a constant tensor. A layer whose path differs
by mode or size has a case for each path, with `ops`: the references of its Gradient line that
this path takes (the line says which op for which case); a case without `ops` takes them all.
"""
from dataclasses import dataclass, field

import chainrule as cr


@dataclass(frozen=True)
class Positive:
    """The shape of an input in (0.1, 1.1) that requires grad (a variance, a probability)."""
    shape: tuple


@dataclass(frozen=True)
class Case:
    args: tuple = ()
    inputs: tuple = ((2, 3),)
    kwargs: dict = field(default_factory=dict)
    train: bool = True
    ops: tuple = ()      # empty: every op the Gradient line names

    def build(self, layer_name, generator):
        """The layer (in train or eval mode) and its inputs."""
        layer = getattr(cr.nn, layer_name)(*self.args, **self.kwargs).train(self.train)
        return layer, [_input(spec, generator) for spec in self.inputs]


def _input(spec, generator):
    if isinstance(spec, Positive):
        return (cr.rand(*spec.shape, generator=generator) + 0.1).detach().requires_grad_()
    if isinstance(spec, tuple):
        return cr.randn(*spec, generator=generator, requires_grad=True)
    return cr.tensor(spec)


def same(*layers, case=Case()):
    """The same case for several layers."""
    return {layer: [case] for layer in layers}


MEAN, MATMUL = "ops.reduce.Mean", "ops.linalg.MatMul"
TRAINING_STATISTICS = ("ops.reduce.Mean", "ops.unary.Rsqrt")
RUNNING_STATISTICS = ("ops.elementwise.Sub", "ops.elementwise.Mul")
TWO_INPUTS = Case(inputs=((2, 3), (2, 3)))
SIGNS = [1.0, -1.0, 1.0]

EMBEDDING, LOG_SOFTMAX = "ops.fused.EmbeddingFunction", "ops.activation.LogSoftmaxFunction"
CASES = {
    # adaptive average pooling: a mean over blocks when the sizes divide, else a matrix product
    "AdaptiveAvgPool1d": [Case((2,), ((1, 2, 4),), ops=(MEAN,)),
                          Case((3,), ((1, 2, 5),), ops=(MATMUL,))],
    "AdaptiveAvgPool2d": [Case((2,), ((1, 1, 4, 4),), ops=(MEAN,)),
                          Case((3,), ((1, 1, 5, 5),), ops=(MATMUL,))],
    "AdaptiveAvgPool3d": [Case((2,), ((1, 1, 4, 4, 4),), ops=(MEAN,)),
                          Case((2,), ((1, 1, 5, 5, 5),), ops=(MATMUL,))],
    "AdaptiveMaxPool1d": [Case((3,), ((1, 1, 5),))],
    "AdaptiveMaxPool2d": [Case((2,), ((1, 1, 5, 5),))],
    "AdaptiveMaxPool3d": [Case((2,), ((1, 1, 5, 5, 5),))],
    "AlphaDropout": [Case((0.5,), ((3, 4),))],
    "FeatureAlphaDropout": [Case((0.5,), ((2, 3, 4),))],
    "Dropout": [Case((0.5,))],
    "Dropout1d": [Case((0.5,), ((2, 3, 4),))],
    "Dropout2d": [Case((0.5,), ((2, 3, 4, 4),))],
    "Dropout3d": [Case((0.5,), ((2, 3, 2, 2, 2),))],
    "AvgPool1d": [Case((2,), ((1, 1, 4),))],
    "AvgPool2d": [Case((2,), ((1, 1, 4, 4),))],
    "AvgPool3d": [Case((2,), ((1, 1, 4, 4, 4),))],
    "MaxPool1d": [Case((2,), ((1, 1, 4),))],
    "MaxPool2d": [Case((2,), ((1, 1, 4, 4),)),
                  Case((3,), ((1, 1, 5, 5),), {"stride": 2, "padding": 1, "ceil_mode": True})],
    "MaxPool3d": [Case((2,), ((1, 1, 4, 4, 4),))],
    "LPPool1d": [Case((2, 2), ((1, 1, 4),))],
    "LPPool2d": [Case((2, 2), ((1, 1, 4, 4),))],
    "LPPool3d": [Case((2, 2), ((1, 1, 4, 4, 4),))],
    "MaxUnpool1d": [Case((2,), ((1, 1, 2), [[[1, 2]]]))],
    "MaxUnpool2d": [Case((2,), ((1, 1, 2, 2), [[[[0, 3], [9, 15]]]]))],
    "MaxUnpool3d": [Case((2,), ((1, 1, 1, 1, 1), [[[[[5]]]]]))],
    # normalization: batch statistics in training; in eval, constant running statistics
    "BatchNorm1d": [Case((3,), ((4, 3),), ops=TRAINING_STATISTICS),
                    Case((3,), ((4, 3),), train=False, ops=RUNNING_STATISTICS)],
    "BatchNorm2d": [Case((3,), ((2, 3, 4, 4),), ops=TRAINING_STATISTICS),
                    Case((3,), ((2, 3, 4, 4),), train=False, ops=RUNNING_STATISTICS)],
    "InstanceNorm1d": [Case((3,), ((2, 3, 4),))],
    "InstanceNorm2d": [Case((3,), ((2, 3, 4, 4),))],
    "InstanceNorm3d": [Case((3,), ((2, 3, 2, 2, 2),))],
    "GroupNorm": [Case((1, 2), ((2, 2, 3),))],
    "LayerNorm": [Case((3,))],
    "RMSNorm": [Case((3,))],
    "LocalResponseNorm": [Case((2,), ((1, 3, 4),))],
    # linear, convolution, embedding, attention, recurrent
    "Linear": [Case((3, 4)), Case((3, 4), kwargs={"bias": False})],
    "Bilinear": [Case((3, 3, 2), ((2, 3), (2, 3)))],
    "Conv1d": [Case((1, 2, 3), ((1, 1, 4),)), Case((1, 2, 1), ((1, 1, 4),))],
    "Conv2d": [Case((1, 2, 2), ((1, 1, 3, 3),)),
               Case((2, 2, 3), ((1, 2, 4, 4),), {"groups": 2})],
    "Conv3d": [Case((1, 2, 2), ((1, 1, 3, 3, 3),))],
    "ConvTranspose1d": [Case((1, 2, 3), ((1, 1, 4),))],
    "ConvTranspose2d": [Case((1, 2, 2), ((1, 1, 3, 3),))],
    "ConvTranspose3d": [Case((1, 2, 2), ((1, 1, 2, 2, 2),))],
    "Fold": [Case(((3, 3), 2), ((1, 4, 4),))],
    "Unfold": [Case((2,), ((1, 1, 3, 3),))],
    "Embedding": [Case((5, 3), ([1, 2],), ops=(EMBEDDING,)),
                  Case((5, 3), ([1, 2],), {"max_norm": 1.0}, ops=(EMBEDDING,)),
                  Case((5, 3), ([1, 2],), {"padding_idx": 0}, ops=("ops.index.Index",))],
    # embedding bags: a product with a bag matrix for sum and mean, a gathered maximum for max
    "EmbeddingBag": [Case((5, 3), ([[1, 2]],), ops=(EMBEDDING, MATMUL)),
                     Case((5, 3), ([[1, 2]],), {"mode": "sum"}, ops=(EMBEDDING, MATMUL)),
                     Case((5, 3), ([[1, 2]],), {"mode": "max"},
                          ops=(EMBEDDING, "ops.extremum.TakeAlong"))],
    "MultiheadAttention": [Case((4, 2), ((2, 3, 4), (2, 3, 4), (2, 3, 4)))],
    "RNN": [Case((3, 4), ((2, 1, 3),)), Case((3, 4), ((2, 1, 3),), {"nonlinearity": "relu"})],
    "RNNCell": [Case((3, 4))],
    "GRU": [Case((3, 4), ((2, 1, 3),))],
    "GRUCell": [Case((3, 4))],
    "LSTM": [Case((3, 4), ((2, 1, 3),))],
    "LSTMCell": [Case((3, 4))],
    # activations
    **same("ReLU", "ReLU6", "LeakyReLU", "Hardtanh", "Hardshrink", "Sigmoid", "Tanh", "ELU", "CELU", "SELU", "Mish", "SiLU", "LogSigmoid", "Softsign", "Hardswish",
           "Hardsigmoid", "PReLU", "Softshrink", "Tanhshrink"),
    "GELU": [Case(ops=("ops.activation.GELUFunction",)),
             Case(kwargs={"approximate": "tanh"}, ops=("ops.fused.GeluTanh",))],
    "Softplus": [Case(), Case(kwargs={"beta": 2.0, "threshold": 1.0})],
    "Threshold": [Case((0.1, 2.0))],
    "GLU": [Case(inputs=((2, 4),))],
    "Softmax": [Case((1,), ops=("ops.fused.SoftmaxLast",)),
                Case((0,), ops=("ops.activation.SoftmaxFunction",))],
    "Softmin": [Case((1,), ops=("ops.fused.SoftmaxLast",)),
                Case((0,), ops=("ops.activation.SoftmaxFunction",))],
    "LogSoftmax": [Case((1,))],
    "Softmax2d": [Case(inputs=((2, 3, 4, 4),))],
    # shape, padding, upsampling
    "Flatten": [Case(inputs=((2, 3, 4),))],
    "Unflatten": [Case((1, (3, 1)))],
    "ChannelShuffle": [Case((2,), ((1, 4, 2, 2),))],
    "PixelShuffle": [Case((2,), ((1, 4, 2, 2),))],
    "PixelUnshuffle": [Case((2,), ((1, 1, 4, 4),))],
    **{f"{kind}Pad{d}d": [Case(args, ((1, 1) + (3,) * d,))]
       for d in (1, 2, 3)
       for kind, args in (("Constant", (1, 0.5)), ("Zero", (1,)), ("Reflection", (1,)),
                          ("Circular", (1,)), ("Replication", (1,)))},
    # nearest copies entries; the interpolating modes also weigh them
    "Upsample": [Case(kwargs={"scale_factor": 2}, inputs=((1, 1, 2, 2),),
                      ops=("ops.index.Index",)),
                 Case(kwargs={"scale_factor": 2, "mode": "nearest-exact"},
                      inputs=((1, 1, 2, 2),), ops=("ops.index.Index",)),
                 Case(kwargs={"scale_factor": 2, "mode": "bilinear"}, inputs=((1, 1, 2, 2),),
                      ops=("ops.index.Index", "ops.elementwise.Mul")),
                 Case(kwargs={"scale_factor": 2, "mode": "linear"}, inputs=((1, 1, 2),),
                      ops=("ops.index.Index", "ops.elementwise.Mul")),
                 Case(kwargs={"scale_factor": 2, "mode": "trilinear"}, inputs=((1, 1, 2, 2, 2),),
                      ops=("ops.index.Index", "ops.elementwise.Mul")),
                 Case(kwargs={"scale_factor": 2, "mode": "bicubic"}, inputs=((1, 1, 2, 2),),
                      ops=("ops.index.Index", "ops.elementwise.Mul")),
                 Case(kwargs={"size": 1, "mode": "area"}, inputs=((1, 1, 2, 2),), ops=(MEAN,)),
                 Case(kwargs={"size": 3, "mode": "area"}, inputs=((1, 1, 2, 2),), ops=(MATMUL,))],
    "UpsamplingNearest2d": [Case(kwargs={"scale_factor": 2}, inputs=((1, 1, 2, 2),))],
    "UpsamplingBilinear2d": [Case(kwargs={"scale_factor": 2}, inputs=((1, 1, 2, 2),))],
    # distances and losses (targets constant, as in training)
    "CosineSimilarity": [TWO_INPUTS],
    "PairwiseDistance": [TWO_INPUTS],
    "TripletMarginLoss": [Case(inputs=((2, 3), (2, 3), (2, 3)))],
    "CosineEmbeddingLoss": [Case(inputs=((2, 3), (2, 3), [1.0, -1.0]))],
    "MarginRankingLoss": [Case(inputs=((3,), (3,), SIGNS))],
    "HingeEmbeddingLoss": [Case(inputs=((3,), SIGNS))],
    "SoftMarginLoss": [Case(inputs=((3,), SIGNS))],
    "MultiLabelMarginLoss": [Case(inputs=((2, 3), [[0, -1, 1], [2, -1, 0]]))],
    "MultiLabelSoftMarginLoss": [Case(inputs=((2, 3), [[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]]))],
    "MultiMarginLoss": [Case(inputs=((2, 3), [0, 2]))],
    "NLLLoss": [Case(inputs=((2, 3), [0, 1]))],
    "CrossEntropyLoss": [Case(inputs=((2, 3), [0, 1]), ops=("ops.fused.CrossEntropy",)),
                         Case(inputs=((2, 3), [0, 1]), kwargs={"label_smoothing": 0.1},
                              ops=(LOG_SOFTMAX,)),
                         Case(inputs=((2, 3), [[0.2, 0.3, 0.5], [1.0, 0.0, 0.0]]),
                              ops=(LOG_SOFTMAX,))],
    "BCELoss": [Case(inputs=(Positive((3,)), [0.0, 1.0, 1.0]))],
    "BCEWithLogitsLoss": [Case(inputs=((3,), [0.0, 1.0, 1.0]))],
    "MSELoss": [Case(inputs=((3,), [0.5, -1.0, 2.0]))],
    "L1Loss": [Case(inputs=((3,), [0.5, -1.0, 2.0]))],
    "HuberLoss": [Case(inputs=((3,), [0.5, -1.0, 2.0]))],
    "SmoothL1Loss": [Case(inputs=((3,), [0.5, -1.0, 2.0]))],
    "KLDivLoss": [Case(inputs=((2, 3), [[0.2, 0.3, 0.5], [1.0, 0.0, 0.0]]),
                       kwargs={"reduction": "batchmean"}),
                  Case(inputs=((2, 3), [[-1.0, -2.0, -0.5], [0.0, -3.0, -1.0]]),
                       kwargs={"reduction": "batchmean", "log_target": True})],
    # a constant variance, and one a network predicts (its log is then in the graph)
    "GaussianNLLLoss": [Case(inputs=((3,), [0.5, -1.0, 2.0], [1.0, 2.0, 0.5]),
                             ops=("ops.unary.Square",)),
                        Case(inputs=((3,), [0.5, -1.0, 2.0], Positive((3,))))],
    "PoissonNLLLoss": [Case(inputs=((3,), [1.0, 0.0, 2.0]),
                            ops=("ops.unary.Exp", "ops.elementwise.Mul")),
                       Case(inputs=(Positive((3,)), [1.0, 0.0, 2.0]), kwargs={"log_input": False},
                            ops=("ops.unary.Log", "ops.elementwise.Mul"))],
    "CTCLoss": [Case(inputs=((5, 1, 4), [[1, 2]], [5], [2]))],
}
