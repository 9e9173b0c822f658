"""CharLM: shapes, gradients, a loss that falls, and generate's sampling and errors."""
import math

import pytest

import chainrule as cr
from chainrule.data.datasets import CharVocab, CharWindows
from chainrule.models import CharLM

TEXT = "hello world, hello there. "


def small(kind="lstm", seed=0):
    cr.manual_seed(seed)
    return CharLM(CharVocab(TEXT), kind=kind, embedding_dim=8, hidden_size=16)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_logits_have_shape_batch_time_vocab(kind):
    model = small(kind)
    logits = model(cr.randint(0, len(model.vocab), (3, 7)))
    assert tuple(logits.shape) == (3, 7, len(model.vocab))
    assert type(model.rnn).__name__ == kind.upper()


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_gradients_reach_every_parameter(kind):
    model = small(kind)
    x, y = CharWindows(TEXT, 5, model.vocab)[0]
    logits = model(x.unsqueeze(0))
    cr.nn.functional.cross_entropy(logits.reshape(-1, len(model.vocab)), y).backward()
    for name, parameter in model.named_parameters():
        assert parameter.grad is not None and parameter.grad.abs().sum().item() > 0, name


def test_the_loss_falls_in_a_few_adam_steps():
    model = small("gru")
    data = CharWindows(TEXT, 8, model.vocab)
    x = cr.stack([data[i][0] for i in range(8)])
    y = cr.stack([data[i][1] for i in range(8)])
    optimizer = cr.optim.Adam(model.parameters(), lr=0.02)
    losses = []
    for _ in range(30):
        loss = cr.nn.functional.cross_entropy(model(x).reshape(-1, len(model.vocab)), y.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    # It starts near log V (uniform guessing) and falls well below it on a batch it can memorise.
    assert abs(losses[0] - math.log(len(model.vocab))) < 0.5
    assert losses[-1] < 0.5 * losses[0]


def test_generate_gives_prompt_plus_n_reproducibly():
    model = small()
    text = model.generate("he", 20, generator=cr.Generator().manual_seed(1))
    assert len(text) == 22 and text.startswith("he")
    assert set(text) <= set(model.vocab.chars)
    assert model.generate("he", 20, generator=cr.Generator().manual_seed(1)) == text
    assert model.generate("he", 0) == "he"
    others = {model.generate("he", 20, generator=seed) for seed in range(5)}
    assert len(others) > 1   # an untrained model's samples differ from seed to seed


def test_top_k_one_is_greedy():
    model = small()
    idx = model.vocab.encode("wor")
    with cr.no_grad():
        for _ in range(6):   # the argmax, recomputed over the whole sequence each step
            idx.append(model(cr.tensor([idx])).argmax(-1)[0, -1].item())
    assert model.generate("wor", 6, top_k=1, generator=3) == model.vocab.decode(idx)
    assert model.generate("wor", 6, top_k=1, generator=4) == model.vocab.decode(idx)
    # A temperature near 0 concentrates softmax on the argmax too.
    assert model.generate("wor", 6, temperature=1e-3, generator=5) == model.vocab.decode(idx)


def test_top_k_draws_only_among_the_k_most_likely():
    model = small()
    for seed in range(3):
        text = model.generate("w", 12, top_k=2, generator=seed)
        idx = model.vocab.encode(text)
        with cr.no_grad():
            logits = model(cr.tensor([idx]))[0]
        for t in range(len(idx) - 1):
            top2 = logits[t].argsort(descending=True)[:2].tolist()
            assert idx[t + 1] in top2, (text, t)


def test_generate_builds_no_graph():
    model = small()
    model.generate("h", 3)
    assert all(p.grad is None for p in model.parameters())


def test_generate_refuses_bad_arguments():
    model = small()
    with pytest.raises(ValueError, match=r"'QZ'"):
        model.generate("hZQ", 3)
    with pytest.raises(ValueError, match="temperature"):
        model.generate("h", 3, temperature=0)
    with pytest.raises(ValueError, match="temperature"):
        model.generate("h", 3, temperature=-1.0)
    with pytest.raises(ValueError, match="top_k"):
        model.generate("h", 3, top_k=0)
    with pytest.raises(ValueError, match="prompt"):
        model.generate("", 3)
    with pytest.raises(ValueError, match="kind"):
        CharLM(model.vocab, kind="transformer")
