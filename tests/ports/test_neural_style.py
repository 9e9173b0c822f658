"""The neural style transfer tutorial on chainrule: the model assembled around the CNN, the
content and style losses, and L-BFGS over the image's pixels follow torch's."""
import numpy as np

import pytest

from tests.ports.loading import assert_close, both, copy_weights, load, numpy, tensors

SIZE = 16


def images(library, seed=0):
    rng = np.random.default_rng(seed)
    return tensors(tuple(rng.random((1, 3, SIZE, SIZE), dtype=np.float32) for _ in range(2)),
                   library)


def cnns(T, C):
    T.torch.manual_seed(0)
    torch_cnn, chainrule_cnn = T.small_cnn(), C.small_cnn()
    copy_weights(torch_cnn, chainrule_cnn)
    return torch_cnn, chainrule_cnn


# the tutorial's Normalization calls torch.tensor on a tensor, which torch warns about
pytestmark = pytest.mark.filterwarnings("ignore:To copy construct from a tensor")


def test_gram_matrix_and_the_losses_agree_with_torch():
    T, C = both("neural_style")
    torch_cnn, chainrule_cnn = cnns(T, C)
    losses = []
    for library, program, cnn in (("torch", T, torch_cnn), ("chainrule", C, chainrule_cnn)):
        style, content = images(library)
        model, style_losses, content_losses = program.get_style_model_and_losses(
            cnn, program.cnn_normalization_mean, program.cnn_normalization_std, style, content)
        model(images(library, seed=1)[0])
        losses.append([m.loss.item() for m in style_losses + content_losses]
                      + [len(model), numpy(program.gram_matrix(style)).sum()])
    np.testing.assert_allclose(losses[1], losses[0], rtol=1e-4)


def test_the_model_is_cut_after_the_last_loss():
    C = load("neural_style", "chainrule")
    style, content = images("chainrule")
    model, style_losses, content_losses = C.get_style_model_and_losses(
        C.small_cnn(), C.cnn_normalization_mean, C.cnn_normalization_std, style, content)
    assert isinstance(model[-1], C.StyleLoss) and len(style_losses) == 5
    assert isinstance(model, C.nn.Sequential) and len(content_losses) == 1


def test_lbfgs_style_transfer_agrees_with_torch(capsys):
    T, C = both("neural_style")
    torch_cnn, chainrule_cnn = cnns(T, C)
    outputs = []
    for library, program, cnn in (("torch", T, torch_cnn), ("chainrule", C, chainrule_cnn)):
        style, content = images(library)
        outputs.append(program.run_style_transfer(
            cnn, program.cnn_normalization_mean, program.cnn_normalization_std,
            content, style, content.clone(), num_steps=8))
    out = capsys.readouterr().out
    assert out.count("Optimizing..") == 2
    assert float(numpy(outputs[1]).min()) >= 0 and float(numpy(outputs[1]).max()) <= 1
    assert_close(outputs[0], outputs[1], rtol=1e-3, atol=1e-4)


def test_the_tutorial_runs_on_chainrule(capsys):
    load("neural_style", "chainrule").main()
    out = capsys.readouterr().out
    assert "run [50]:" in out and "output image: (1, 3, 16, 16)" in out
