"""A character-level language model (Karpathy's char-rnn, makemore's RNN and Transformer): an
embedding of each character, a recurrent layer (RNN, LSTM or GRU) or a small causal Transformer
over the sequence, and a linear head that gives the logits of the next character at every
position; `generate` samples text from it."""
from chainrule import creation
from chainrule.backend import float64, int64, xp
from chainrule.data.datasets.text import CharVocab
from chainrule.grad_mode import no_grad
from chainrule.nn.embedding import Embedding
from chainrule.nn.functional.activation import gelu
from chainrule.nn.linear import Linear
from chainrule.nn.module import Module
from chainrule.nn.norm import LayerNorm
from chainrule.nn.recurrent import GRU, LSTM, RNN
from chainrule.nn.transformer import Transformer, TransformerEncoder, TransformerEncoderLayer
from chainrule.random import rng as random_generator

RECURRENT = {"rnn": RNN, "lstm": LSTM, "gru": GRU}
# Each kind and the layer that reads the sequence.
KINDS = {**RECURRENT, "transformer": TransformerEncoder}


class CharLM(Module):
    """Embedding(V, embedding_dim) -> RNN/LSTM/GRU(embedding_dim, hidden_size, num_layers,
    batch_first) -> Linear(hidden_size, V), V = len(vocab); or, with kind="transformer", a
    GPT-style decoder: token plus learned position embeddings (embedding_dim wide) -> num_layers
    pre-norm TransformerEncoderLayers (num_heads heads, feed-forward hidden_size wide, GELU
    (tanh form), no dropout) under a causal mask -> LayerNorm -> Linear(embedding_dim, V).

    makemore's default Transformer (Karpathy, github.com/karpathy/makemore) is
    CharLM(vocab, "transformer", embedding_dim=64, hidden_size=256, num_layers=4, num_heads=4,
    block_size=16 for the names list).

    Args: vocab, a CharVocab (chainrule.data.datasets), kept as `.vocab` for generate;
        kind, "rnn" (tanh), "lstm", "gru" or "transformer"; embedding_dim, hidden_size,
        num_layers; for the transformer only: num_heads (dividing embedding_dim) and block_size,
        the longest context it reads (the number of position embeddings).
    Shape: idx (B, T) int64 character indices -> logits (B, T, V), position t's logits those of
        the character after idx[:, t]; for the transformer T <= block_size.
    """

    def __init__(self, vocab, kind="lstm", embedding_dim=32, hidden_size=128, num_layers=1,
                 num_heads=4, block_size=32):
        super().__init__()
        if kind not in KINDS:
            raise ValueError(f"CharLM: kind must be one of {', '.join(KINDS)}, got {kind!r}")
        if not isinstance(vocab, CharVocab):   # generate encodes and decodes with it
            raise TypeError(f"CharLM: vocab must be a CharVocab (chainrule.data.datasets.text), "
                            f"got {type(vocab).__name__}")
        _check_sizes(embedding_dim=embedding_dim, hidden_size=hidden_size, num_layers=num_layers)
        self.vocab, self.kind = vocab, kind
        self.embedding = Embedding(len(vocab), embedding_dim)
        if kind == "transformer":
            _check_transformer(embedding_dim, num_heads, block_size)
            self.block_size = block_size
            self.position = Embedding(block_size, embedding_dim)
            layer = TransformerEncoderLayer(embedding_dim, num_heads, hidden_size, dropout=0.0,
                                            activation=gelu_tanh, batch_first=True,
                                            norm_first=True)
            self.blocks = TransformerEncoder(layer, num_layers, LayerNorm(embedding_dim),
                                             enable_nested_tensor=False)
            self.head = Linear(embedding_dim, len(vocab))
        else:
            self.block_size = None   # a recurrent model reads any length
            self.rnn = RECURRENT[kind](embedding_dim, hidden_size, num_layers, batch_first=True)
            self.head = Linear(hidden_size, len(vocab))

    def forward(self, idx, hx=None):
        return self._run(idx, hx)[0]

    def _run(self, idx, hx=None):
        """(logits, the recurrent state after the last step), so that generate can go on from it
        (None for the transformer, which rereads its context instead)."""
        if self.kind == "transformer":
            return self._transformer(idx), None
        outputs, state = self.rnn(self.embedding(idx), hx)
        return self.head(outputs), state

    def _transformer(self, idx):
        length = idx.shape[-1]
        if idx.ndim != 2 or length > self.block_size:
            raise ValueError(f"CharLM(transformer): expected idx of shape (B, T) with T <= "
                             f"block_size {self.block_size}, got {tuple(idx.shape)}")
        positions = creation.arange(length, dtype=int64)
        x = self.embedding(idx) + self.position(positions)
        mask = Transformer.generate_square_subsequent_mask(length, dtype=x.dtype)
        return self.head(self.blocks(x, mask=mask, is_causal=True))

    def generate(self, prompt, n, temperature=1.0, top_k=None, generator=None):
        """The prompt followed by n characters sampled one at a time, each from
        softmax(logits / temperature) restricted to the top_k most likely (all when None).
        The transformer reads the last block_size characters at each step (the prompt may be
        longer); a recurrent model carries its state through the whole text.

        Args: prompt, a non-empty str of characters in the vocabulary; n, how many to add (>= 0);
            temperature > 0 (below 1 sharper, above 1 flatter); top_k >= 1 or None (1: greedy);
            generator, an int seed, a chainrule.Generator or None (the global generator).
        Returns a str of len(prompt) + n characters. Runs under no_grad.
        """
        _check_generate(prompt, n, temperature, top_k)
        draw = random_generator(generator, "CharLM.generate")
        indices = self.vocab.encode(prompt)
        produced = []
        with no_grad():
            if self.kind == "transformer":
                for _ in range(n):
                    context = creation.tensor([(indices + produced)[-self.block_size:]],
                                              dtype=int64)
                    logits = self._transformer(context)
                    produced.append(_sample(logits[0, -1].numpy(), temperature, top_k, draw))
                return prompt + self.vocab.decode(produced)
            logits, state = self._run(creation.tensor([indices], dtype=int64))
            for _ in range(n):
                choice = _sample(logits[0, -1].numpy(), temperature, top_k, draw)
                produced.append(choice)
                logits, state = self._run(creation.tensor([[choice]], dtype=int64), state)
        return prompt + self.vocab.decode(produced)


def gelu_tanh(x):
    """GELU in its tanh approximation, as GPT-2 and makemore use it (Hendrycks & Gimpel 2016,
    eq. 2): here a few times faster than the exact one, whose erf NumPy lacks."""
    return gelu(x, approximate="tanh")


def _check_sizes(**sizes):
    for name, size in sizes.items():
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ValueError(f"CharLM: {name} must be a positive int, got {size!r}")


def _check_transformer(embedding_dim, num_heads, block_size):
    if isinstance(block_size, bool) or not isinstance(block_size, int) or block_size < 1:
        raise ValueError(f"CharLM: block_size must be a positive int, got {block_size!r}")
    if isinstance(num_heads, bool) or not isinstance(num_heads, int) or num_heads < 1 \
            or embedding_dim % num_heads:
        raise ValueError(f"CharLM: num_heads must be a positive int dividing embedding_dim "
                         f"{embedding_dim}, got {num_heads!r}")


def _check_generate(prompt, n, temperature, top_k):
    if not isinstance(prompt, str) or not prompt:
        raise ValueError(f"CharLM.generate: the prompt must be a non-empty str (the model needs "
                         f"a character to start from), got {prompt!r}")
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"CharLM.generate: n must be an int >= 0, got {n!r}")
    if not temperature > 0:   # also refuses NaN
        raise ValueError(f"CharLM.generate: temperature must be > 0, got {temperature!r}")
    if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1):
        raise ValueError(f"CharLM.generate: top_k must be an int >= 1 or None, got {top_k!r}")


def _sample(logits, temperature, top_k, draw):
    """One index drawn from softmax(logits / temperature) over the top_k largest logits."""
    scaled = logits.astype(float64) / temperature
    if top_k is not None and top_k < len(scaled):
        # Keep the k largest; the rest get probability 0. argsort is stable, so ties at the
        # threshold go to the lower indices, as with k = 1 they go to argmax's.
        keep = xp.argsort(-scaled, kind="stable")[:top_k]
        masked = xp.full_like(scaled, -xp.inf)
        masked[keep] = scaled[keep]
        scaled = masked
    weights = xp.exp(scaled - scaled.max())
    return int(draw.choice(len(weights), p=weights / weights.sum()))
