"""The seq2seq translation tutorial on chainrule: a batch-first GRU encoder and an attention GRU
decoder trained with teacher forcing under NLLLoss and Adam give torch's losses, and greedy topk
decoding gives torch's words and attention weights (dropout 0, so that both agree)."""
import numpy as np

from tests.ports.loading import assert_close, both, copy_weights, load, tensors

HIDDEN, BATCH = 16, 8


def setup():
    T, C = both("seq2seq_translation")
    pairs = T.make_pairs(4 * BATCH)
    input_lang, output_lang = T.prepareData(pairs)
    T.torch.manual_seed(0)
    made = []
    for program in (T, C):
        made.append((program.EncoderRNN(input_lang.n_words, HIDDEN, dropout_p=0),
                     program.AttnDecoderRNN(HIDDEN, output_lang.n_words, dropout_p=0)))
    for torch_net, chainrule_net in zip(*made):
        copy_weights(torch_net, chainrule_net)
    ids = T.padded_ids(input_lang, output_lang, pairs)
    return (T, C), made, ids, (input_lang, output_lang, pairs)


def test_teacher_forced_training_agrees_with_torch():
    programs, made, (input_ids, target_ids), _ = setup()
    losses = []
    for program, library, (encoder, decoder) in zip(programs, ("torch", "chainrule"), made):
        batches = [tensors((input_ids[i:i + BATCH].astype(np.int64),
                            target_ids[i:i + BATCH].astype(np.int64)), library)
                   for i in range(0, len(input_ids), BATCH)]
        losses.append(program.train(batches, encoder, decoder, 3, learning_rate=0.01))
    np.testing.assert_allclose(losses[1], losses[0], rtol=1e-4)


def test_greedy_decoding_and_attention_agree_with_torch(capsys):
    programs, made, _, (input_lang, output_lang, pairs) = setup()
    results = [program.evaluate(encoder, decoder, pairs[1][0], input_lang, output_lang)
               for program, (encoder, decoder) in zip(programs, made)]
    (words_t, attn_t), (words_c, attn_c) = results
    assert words_c == words_t
    assert tuple(attn_c.shape) == tuple(attn_t.shape) == (1, 8, len(pairs[1][0].split()) + 1)
    assert_close(attn_t, attn_c, rtol=1e-4, atol=1e-6)


def test_the_training_script_runs_on_chainrule(capsys):
    words, attentions = load("seq2seq_translation", "chainrule").main(
        ["--pairs", "16", "--epochs", "1", "--hidden", "8"])
    assert 1 <= len(words) <= 8 and "Counted words:" in capsys.readouterr().out
