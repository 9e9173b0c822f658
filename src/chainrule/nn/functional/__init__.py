"""nn.functional: the functional forms of layers, activations and losses, as torch spells them.

One submodule per family; primitives are re-exported from chainrule.ops, compositions are written
in the submodules.
"""
from chainrule.nn.functional.activation import (
    celu, celu_, elu, elu_, gelu, glu, hardshrink, hardsigmoid, hardswish, hardtanh, hardtanh_,
    leaky_relu, leaky_relu_, log_softmax, logsigmoid, mish, pad, prelu, relu, relu6, relu_, selu,
    selu_, sigmoid, silu, softmax, softmin, softplus, softshrink, softsign, tanh, tanhshrink,
    threshold, threshold_)
from chainrule.nn.functional.attention import (
    multi_head_attention_forward, scaled_dot_product_attention)
from chainrule.nn.functional.conv import (
    conv1d, conv2d, conv3d, conv_transpose1d, conv_transpose2d, conv_transpose3d, fold, unfold)
from chainrule.nn.functional.distance import (
    cosine_similarity, pairwise_distance)
from chainrule.nn.functional.dropout import (
    alpha_dropout, dropout, dropout1d, dropout2d, dropout3d, feature_alpha_dropout)
from chainrule.nn.functional.ctc import ctc_loss
from chainrule.nn.functional.embedding_bag import embedding_bag
from chainrule.nn.functional.gumbel import gumbel_softmax
from chainrule.nn.functional.pdist import pdist
from chainrule.nn.functional.shuffle import channel_shuffle
from chainrule.nn.functional.linear import (
    bilinear, embedding, linear, one_hot)
from chainrule.nn.functional.likelihood_loss import (
    gaussian_nll_loss, kl_div, poisson_nll_loss)
from chainrule.nn.functional.loss import (
    binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, huber_loss, l1_loss,
    mse_loss, nll_loss, smooth_l1_loss)
from chainrule.nn.functional.margin_loss import (
    cosine_embedding_loss, hinge_embedding_loss, margin_ranking_loss, multi_margin_loss,
    multilabel_margin_loss, multilabel_soft_margin_loss, soft_margin_loss, triplet_margin_loss)
from chainrule.nn.functional.norm import (
    batch_norm, group_norm, instance_norm, layer_norm, local_response_norm, normalize, rms_norm)
from chainrule.nn.functional.pool import (
    adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d, adaptive_max_pool1d,
    adaptive_max_pool2d, adaptive_max_pool3d, avg_pool1d, avg_pool2d, avg_pool3d, lp_pool1d,
    lp_pool2d, lp_pool3d, max_pool1d, max_pool2d, max_pool3d, max_unpool1d, max_unpool2d, max_unpool3d)
from chainrule.nn.functional.sampling import affine_grid, grid_sample
from chainrule.nn.functional.recurrent import (
    gru, gru_cell, lstm, lstm_cell, rnn_relu, rnn_relu_cell, rnn_tanh, rnn_tanh_cell)
from chainrule.nn.functional.vision import (
    interpolate, pixel_shuffle, pixel_unshuffle, upsample, upsample_bilinear, upsample_nearest)
