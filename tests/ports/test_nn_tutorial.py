""""What is torch.nn really?" on chainrule: each stage of the tutorial (by hand, nn.Module,
nn.Linear + SGD, DataLoader + fit, the CNN) gives torch's losses from the same weights."""
import numpy as np

from tests.ports.loading import assert_close, both, copy_weights, load, numpy, tensors


def data(library):
    program = load("nn_tutorial", library)
    x_train, y_train, x_valid, y_valid = program.load_data()
    return program, x_train, y_train, x_valid, y_valid


def test_the_data_arrive_as_torch_tensor_makes_them():
    T, C = both("nn_tutorial")
    for torch_value, chainrule_value in zip(T.load_data(), C.load_data()):
        assert str(chainrule_value.dtype).split(".")[-1] == str(torch_value.dtype).split(".")[-1]
        np.testing.assert_array_equal(numpy(chainrule_value), numpy(torch_value))


def test_training_from_scratch_runs_and_learns():
    program, x_train, y_train, _, _ = data("chainrule")
    program.torch.manual_seed(0)
    before = program.nll(program.log_softmax(x_train @ program.torch.zeros(784, 10)), y_train)
    weights, bias, model = program.train_from_scratch(x_train, y_train, len(x_train))
    assert tuple(weights.shape) == (784, 10) and weights.requires_grad
    assert program.nll(model(x_train), y_train).item() < before.item()   # it fits the training set
    assert 0 <= program.accuracy(model(x_train), y_train).item() <= 1


def test_the_steps_agree_with_torch_from_the_same_weights():
    T, C = both("nn_tutorial")
    T.torch.manual_seed(0)
    weights = (T.torch.randn(784, 10) / 28).numpy()
    losses = []
    for library, program in (("torch", T), ("chainrule", C)):
        _, x_train, y_train, _, _ = data(library)
        w = tensors(weights, library).requires_grad_()
        b = program.torch.zeros(10, requires_grad=True)
        for start in range(0, 64, program.bs):
            xb, yb = x_train[start:start + program.bs], y_train[start:start + program.bs]
            loss = program.nll(program.log_softmax(xb @ w + b), yb)
            loss.backward()
            with program.torch.no_grad():
                w -= w.grad * program.lr
                b -= b.grad * program.lr
                w.grad.zero_()
                b.grad.zero_()
            losses.append(loss.item())
    np.testing.assert_allclose(losses[len(losses) // 2:], losses[:len(losses) // 2], rtol=1e-4)


def fit_both(get_model, wrap=False):
    T, C = both("nn_tutorial")
    T.torch.manual_seed(0)
    (torch_model, torch_opt), (chainrule_model, chainrule_opt) = (
        getattr(T, get_model)(), getattr(C, get_model)())
    copy_weights(torch_model, chainrule_model)
    val_losses = []
    for library, program, model, opt in (("torch", T, torch_model, torch_opt),
                                         ("chainrule", C, chainrule_model, chainrule_opt)):
        _, x_train, y_train, x_valid, y_valid = data(library)
        train_ds = program.TensorDataset(x_train, y_train)
        valid_ds = program.TensorDataset(x_valid, y_valid)
        # the tutorial shuffles the training batches; in order here, so both see the same ones
        train_dl = program.DataLoader(train_ds, batch_size=program.bs)
        valid_dl = program.DataLoader(valid_ds, batch_size=program.bs * 2)
        if wrap:
            train_dl = program.WrappedDataLoader(train_dl, program.preprocess)
            valid_dl = program.WrappedDataLoader(valid_dl, program.preprocess)
        val_losses.append(program.fit(2, model, program.F.cross_entropy, opt, train_dl, valid_dl))
    np.testing.assert_allclose(val_losses[1], val_losses[0], rtol=1e-4)
    for key, value in torch_model.state_dict().items():
        assert_close(value, chainrule_model.state_dict()[key], rtol=1e-3, atol=1e-5)


def test_fit_with_nn_linear_and_sgd_agrees_with_torch(capsys):
    fit_both("get_model")


def test_fit_of_the_cnn_with_lambda_layers_agrees_with_torch(capsys):
    fit_both("get_cnn", wrap=True)


def test_get_data_shuffles_the_training_set_only():
    program, x_train, y_train, x_valid, y_valid = data("chainrule")
    train_dl, valid_dl = program.get_data(program.TensorDataset(x_train, y_train),
                                          program.TensorDataset(x_valid, y_valid), program.bs)
    assert len(train_dl) == 4 and len(valid_dl) == 1
    assert sorted(numpy(program.torch.cat([y for _, y in train_dl])).tolist()) == \
        sorted(numpy(y_train).tolist())


def test_the_whole_tutorial_runs_on_chainrule(capsys):
    load("nn_tutorial", "chainrule").main()
    assert "from scratch:" in capsys.readouterr().out
