"""pytorch/examples time_sequence_prediction on chainrule: two LSTM cells in float64 trained by
L-BFGS give torch's losses at every closure call, and the same future predictions."""
import numpy as np

from tests.ports.loading import both, copy_weights, load, tensors


def test_lbfgs_training_and_prediction_agree_with_torch(capsys):
    T, C = both("time_sequence_prediction")
    data = T.generate_sine_wave(L=40, N=6)
    T.torch.manual_seed(0)
    torch_seq = T.Sequence(hidden=12)
    torch_seq.double()
    chainrule_seq = C.Sequence(hidden=12)
    chainrule_seq.double()
    copy_weights(torch_seq, chainrule_seq)
    results = []
    for library, program, seq in (("torch", T, torch_seq), ("chainrule", C, chainrule_seq)):
        input, target, test_input, test_target = tensors(
            (data[3:, :-1], data[3:, 1:], data[:3, :-1], data[:3, 1:]), library)
        criterion = program.nn.MSELoss()
        optimizer = program.optim.LBFGS(seq.parameters(), lr=0.8, max_iter=4)
        losses = program.train_step(seq, optimizer, criterion, input, target)
        losses += program.train_step(seq, optimizer, criterion, input, target)
        test_loss, y = program.predict(seq, criterion, test_input, test_target, future=10)
        results.append((losses, test_loss, y))
    (losses_t, test_t, y_t), (losses_c, test_c, y_c) = results
    assert len(losses_c) == len(losses_t)
    np.testing.assert_allclose(losses_c, losses_t, rtol=1e-9)
    np.testing.assert_allclose(test_c, test_t, rtol=1e-8)
    assert y_c.dtype == np.float64 and y_c.shape == (3, 49)
    np.testing.assert_allclose(y_c, y_t, rtol=1e-7, atol=1e-10)


def test_the_training_script_runs_on_chainrule(capsys):
    load("time_sequence_prediction", "chainrule").main(["--steps", "1"])
    assert "prediction shape: (3, 119)" in capsys.readouterr().out
