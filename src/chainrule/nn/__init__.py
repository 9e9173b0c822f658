"""Neural-network building blocks: Module and Parameter, layers, losses, init, functional."""
from chainrule.nn import functional, init, utils
from chainrule.nn.activation import (CELU, ELU, GELU, GLU, SELU, Hardshrink, Hardsigmoid,
                                     Hardswish, Hardtanh, LeakyReLU, LogSigmoid, Mish, PReLU, ReLU,
                                     ReLU6, Sigmoid, SiLU, Softplus, Softshrink, Softsign, Tanh,
                                     Tanhshrink, Threshold)
from chainrule.nn.attention import MultiheadAttention
from chainrule.nn.conv import (Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d,
                               ConvTranspose3d)
from chainrule.nn.container import (ModuleDict, ModuleList, ParameterDict, ParameterList,
                                    Sequential)
from chainrule.nn.distance import CosineSimilarity, PairwiseDistance
from chainrule.nn.channelshuffle import ChannelShuffle
from chainrule.nn.ctc_loss import CTCLoss
from chainrule.nn.dropout import (AlphaDropout, Dropout, Dropout1d, Dropout2d, Dropout3d,
                                  FeatureAlphaDropout)
from chainrule.nn.fold import Fold, Unfold
from chainrule.nn.embedding import Embedding, EmbeddingBag
from chainrule.nn.linear import Bilinear, Flatten, Identity, Linear, Unflatten
from chainrule.nn.loss import (BCELoss, BCEWithLogitsLoss, CosineEmbeddingLoss, CrossEntropyLoss,
                               GaussianNLLLoss, HingeEmbeddingLoss, HuberLoss, KLDivLoss, L1Loss,
                               MarginRankingLoss, MSELoss, MultiLabelSoftMarginLoss, NLLLoss,
                               PoissonNLLLoss, SmoothL1Loss, SoftMarginLoss, TripletMarginLoss)
from chainrule.nn.module import Module
from chainrule.nn.multi_margin_loss import MultiLabelMarginLoss, MultiMarginLoss
from chainrule.nn.norm import (BatchNorm1d, BatchNorm2d, GroupNorm, InstanceNorm1d, InstanceNorm2d,
                               InstanceNorm3d, LayerNorm, LocalResponseNorm, RMSNorm)
from chainrule.nn.padding import (CircularPad1d, CircularPad2d, CircularPad3d, ConstantPad1d,
                                  ConstantPad2d, ConstantPad3d, ReflectionPad1d, ReflectionPad2d,
                                  ReflectionPad3d, ReplicationPad1d, ReplicationPad2d,
                                  ReplicationPad3d, ZeroPad1d, ZeroPad2d, ZeroPad3d)
from chainrule.nn.parameter import Parameter
from chainrule.nn import parallel   # after Module, which it builds on
from chainrule.nn.parallel import DataParallel
from chainrule.nn.pixelshuffle import PixelShuffle, PixelUnshuffle
from chainrule.nn.pool import (AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveAvgPool3d,
                               AdaptiveMaxPool1d, AdaptiveMaxPool2d, AdaptiveMaxPool3d, AvgPool1d,
                               AvgPool2d, AvgPool3d, MaxPool1d, MaxPool2d, MaxPool3d)
from chainrule.nn.unpool import (LPPool1d, LPPool2d, LPPool3d, MaxUnpool1d, MaxUnpool2d,
                                 MaxUnpool3d)
from chainrule.nn.recurrent import (GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell,
                                    RNNCellBase)
from chainrule.nn.softmax import LogSoftmax, Softmax, Softmax2d, Softmin
from chainrule.nn.syncbatchnorm import SyncBatchNorm
from chainrule.nn.transformer import (Transformer, TransformerDecoder, TransformerDecoderLayer,
                                      TransformerEncoder, TransformerEncoderLayer)
from chainrule.nn.upsampling import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d
