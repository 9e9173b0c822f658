"""pytorch/examples word_language_model on chainrule: tied LSTM and GRU models and the
Transformer with its log-tril causal mask, trained by truncated BPTT with clip_grad_norm_ and
the hand-written SGD step, give torch's losses batch by batch and torch's validation loss."""
import numpy as np
import pytest

from tests.ports.loading import assert_close, both, copy_weights, load

SMALL = ["--emsize", "16", "--nhid", "16", "--nlayers", "2", "--batch_size", "4", "--bptt",
         "6", "--dropout", "0", "--tied", "--lines", "14"]


def trained(program, args, model, corpus_lines):
    corpus = program.Corpus(corpus_lines)
    train_data = program.batchify(corpus.train, args.batch_size)
    ntokens = len(corpus.dictionary)
    criterion = program.nn.NLLLoss()
    losses = program.train(model, train_data, args, ntokens, criterion, args.lr)
    losses += program.train(model, train_data, args, ntokens, criterion, args.lr)
    val = program.evaluate(model, program.batchify(corpus.train, 3), args, ntokens, criterion, 3)
    return losses, val


@pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")
@pytest.mark.parametrize("kind, lr", [("LSTM", 20), ("GRU", 20), ("Transformer", 5)])
def test_training_and_evaluation_agree_with_torch(kind, lr):
    T, C = both("word_language_model")
    lines = T.generate_lines(14)
    args = T.parse(SMALL + ["--model", kind, "--lr", str(lr)])
    ntokens = len(T.Corpus(lines).dictionary)
    T.torch.manual_seed(0)
    torch_model, chainrule_model = T.build_model(args, ntokens), C.build_model(args, ntokens)
    copy_weights(torch_model, chainrule_model)
    if kind == "Transformer":
        # nn.Transformer's layers keep their own dropout of 0.1: compare in eval mode, which
        # the program's model.train() must not undo
        for model in (torch_model, chainrule_model):
            model.eval()
            model.train = lambda mode=True, model=model: model
    losses_t, val_t = trained(T, args, torch_model, lines)
    losses_c, val_c = trained(C, args, chainrule_model, lines)
    assert len(losses_c) == len(losses_t) >= 6
    np.testing.assert_allclose(losses_c, losses_t, rtol=1e-4)
    np.testing.assert_allclose(val_c, val_t, rtol=1e-4)
    for key, value in torch_model.state_dict().items():
        assert_close(value, chainrule_model.state_dict()[key], rtol=1e-3, atol=1e-5)
    if kind != "Transformer":
        assert chainrule_model.decoder.weight is chainrule_model.encoder.weight


def test_the_causal_mask_is_log_tril():
    C = load("word_language_model", "chainrule")
    mask = C.TransformerModel(10, 8, 2, 16, 1)._generate_square_subsequent_mask(3).numpy()
    assert (mask[np.tril_indices(3)] == 0).all() and np.isneginf(mask[np.triu_indices(3, 1)]).all()


def test_batchify_and_get_batch_cut_the_stream_into_columns():
    C = load("word_language_model", "chainrule")
    data = C.batchify(C.torch.arange(11), 3)
    assert data.numpy().tolist() == [[0, 3, 6], [1, 4, 7], [2, 5, 8]]
    source, target = C.get_batch(data, 1, bptt=5)
    assert source.numpy().tolist() == [[1, 4, 7]] and target.numpy().tolist() == [2, 5, 8]


@pytest.mark.parametrize("kind", ["GRU", "Transformer"])
def test_the_training_script_runs_on_chainrule(kind, capsys):
    C = load("word_language_model", "chainrule")
    best = C.main(SMALL + ["--model", kind, "--epochs", "1", "--lines", "8"])
    assert best > 0 and "valid loss" in capsys.readouterr().out
