"""CharLM: shapes, gradients, a loss that falls, and generate's sampling and errors; the
transformer kind also against torch (same weights, same logits and gradients) and for causality."""
import math

import pytest

import chainrule as cr
from chainrule.data.datasets import CharVocab, CharWindows
from chainrule.models import CharLM

TEXT = "hello world, hello there. "


def small(kind="lstm", seed=0):
    cr.manual_seed(seed)
    return CharLM(CharVocab(TEXT), kind=kind, embedding_dim=8, hidden_size=16)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru", "transformer"])
def test_logits_have_shape_batch_time_vocab(kind):
    model = small(kind)
    logits = model(cr.randint(0, len(model.vocab), (3, 7)))
    assert tuple(logits.shape) == (3, 7, len(model.vocab))
    if kind != "transformer":
        assert type(model.rnn).__name__ == kind.upper()


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru", "transformer"])
def test_gradients_reach_every_parameter(kind):
    model = small(kind)
    x, y = CharWindows(TEXT, 5, model.vocab)[0]
    logits = model(x.unsqueeze(0))
    cr.nn.functional.cross_entropy(logits.reshape(-1, len(model.vocab)), y).backward()
    for name, parameter in model.named_parameters():
        assert parameter.grad is not None and parameter.grad.abs().sum().item() > 0, name


@pytest.mark.parametrize("kind", ["gru", "transformer"])
def test_the_loss_falls_in_a_few_adam_steps(kind):
    model = small(kind)
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
        CharLM(model.vocab, kind="cnn")
    with pytest.raises(ValueError, match="num_heads"):
        CharLM(model.vocab, kind="transformer", embedding_dim=8, num_heads=3)
    with pytest.raises(ValueError, match="block_size"):
        CharLM(model.vocab, kind="transformer", block_size=0)


def test_the_constructor_refuses_a_vocab_that_is_not_a_charvocab_and_empty_sizes():
    with pytest.raises(TypeError, match="CharLM: vocab must be a CharVocab .*got str"):
        CharLM("abc")
    for size in ("embedding_dim", "hidden_size", "num_layers"):
        with pytest.raises(ValueError, match=f"CharLM: {size} must be a positive int, got 0"):
            CharLM(CharVocab(TEXT), "gru", **{size: 0})


# ----- the transformer ---------------------------------------------------------------------------
def tiny_transformer(seed=0, block_size=6):
    cr.manual_seed(seed)
    return CharLM(CharVocab(TEXT), "transformer", embedding_dim=8, hidden_size=12, num_layers=2,
                  num_heads=2, block_size=block_size)


def torch_twin(model):
    """The same network in torch, with model's weights (the state_dict names are torch's)."""
    torch = pytest.importorskip("torch")

    class Twin(torch.nn.Module):
        def __init__(self):
            super().__init__()
            width, vocab = model.embedding.weight.shape[1], len(model.vocab)
            self.embedding = torch.nn.Embedding(vocab, width)
            self.position = torch.nn.Embedding(model.block_size, width)
            layer = torch.nn.TransformerEncoderLayer(
                width, 2, 12, dropout=0.0, batch_first=True, norm_first=True,
                activation=lambda x: torch.nn.functional.gelu(x, approximate="tanh"))
            self.blocks = torch.nn.TransformerEncoder(layer, 2, torch.nn.LayerNorm(width),
                                                      enable_nested_tensor=False)
            self.head = torch.nn.Linear(width, vocab)

        def forward(self, idx):
            length = idx.shape[1]
            x = self.embedding(idx) + self.position(torch.arange(length))
            mask = torch.nn.Transformer.generate_square_subsequent_mask(length)
            return self.head(self.blocks(x, mask=mask, is_causal=True))

    twin = Twin()
    twin.load_state_dict({name: torch.tensor(value.numpy())
                          for name, value in model.state_dict().items()})
    return torch, twin


def test_transformer_agrees_with_torch_in_logits_and_gradients():
    model = tiny_transformer()
    torch, twin = torch_twin(model)
    x, y = CharWindows(TEXT, 6, model.vocab)[3]
    logits = model(x.unsqueeze(0))
    cr.nn.functional.cross_entropy(logits[0], y).backward()
    expected = twin(torch.tensor(x.numpy()).unsqueeze(0))
    torch.nn.functional.cross_entropy(expected[0], torch.tensor(y.numpy())).backward()
    assert abs(logits.detach().numpy() - expected.detach().numpy()).max() < 1e-5
    for name, parameter in twin.named_parameters():
        ours = dict(model.named_parameters())[name].grad.numpy()
        assert abs(ours - parameter.grad.numpy()).max() < 1e-5, name


def test_transformer_is_causal():
    """Changing the character at position 4 leaves the logits at positions 0..3 as they were."""
    model = tiny_transformer()
    idx = cr.tensor([model.vocab.encode("hello ")])
    changed = cr.tensor([model.vocab.encode("hellw ")])
    with cr.no_grad():
        before, after = model(idx)[0].numpy(), model(changed)[0].numpy()
    assert abs(before[:4] - after[:4]).max() == 0
    assert abs(before[4:] - after[4:]).max() > 1e-4


def test_transformer_refuses_a_context_longer_than_block_size():
    model = tiny_transformer(block_size=6)
    with pytest.raises(ValueError, match="block_size 6"):
        model(cr.tensor([model.vocab.encode("hello w")]))


def test_transformer_generate_crops_the_context_to_block_size():
    """Greedy generation after a prompt longer than block_size: each character is the argmax
    given the last block_size characters only."""
    model = tiny_transformer(block_size=6)
    idx = model.vocab.encode("hello world, hel")
    text = model.generate("hello world, hel", 5, top_k=1, generator=0)
    with cr.no_grad():
        for _ in range(5):
            idx.append(model(cr.tensor([idx[-6:]])).argmax(-1)[0, -1].item())
    assert text == model.vocab.decode(idx)
