"""A character-level language model (Karpathy's char-rnn, makemore's RNN): an embedding of each
character, a recurrent layer (RNN, LSTM or GRU) over the sequence, and a linear head that gives
the logits of the next character at every position; `generate` samples text from it."""
from chainrule import creation
from chainrule.backend import float64, int64, xp
from chainrule.grad_mode import no_grad
from chainrule.nn.embedding import Embedding
from chainrule.nn.linear import Linear
from chainrule.nn.module import Module
from chainrule.nn.recurrent import GRU, LSTM, RNN
from chainrule.random import rng as random_generator

KINDS = {"rnn": RNN, "lstm": LSTM, "gru": GRU}


class CharLM(Module):
    """Embedding(V, embedding_dim) -> RNN/LSTM/GRU(embedding_dim, hidden_size, num_layers,
    batch_first) -> Linear(hidden_size, V), V = len(vocab).

    Args: vocab, a CharVocab (chainrule.data.datasets), kept as `.vocab` for generate;
        kind, "rnn" (tanh), "lstm" or "gru"; embedding_dim, hidden_size, num_layers.
    Shape: idx (B, T) int64 character indices -> logits (B, T, V), position t's logits those of
        the character after idx[:, t].
    """

    def __init__(self, vocab, kind="lstm", embedding_dim=32, hidden_size=128, num_layers=1):
        super().__init__()
        if kind not in KINDS:
            raise ValueError(f"CharLM: kind must be one of {', '.join(KINDS)}, got {kind!r}")
        self.vocab, self.kind = vocab, kind
        self.embedding = Embedding(len(vocab), embedding_dim)
        self.rnn = KINDS[kind](embedding_dim, hidden_size, num_layers, batch_first=True)
        self.head = Linear(hidden_size, len(vocab))

    def forward(self, idx, hx=None):
        return self._run(idx, hx)[0]

    def _run(self, idx, hx=None):
        """(logits, the recurrent state after the last step), so that generate can go on from it."""
        outputs, state = self.rnn(self.embedding(idx), hx)
        return self.head(outputs), state

    def generate(self, prompt, n, temperature=1.0, top_k=None, generator=None):
        """The prompt followed by n characters sampled one at a time, each from
        softmax(logits / temperature) restricted to the top_k most likely (all when None).

        Args: prompt, a non-empty str of characters in the vocabulary; n, how many to add (>= 0);
            temperature > 0 (below 1 sharper, above 1 flatter); top_k >= 1 or None (1: greedy);
            generator, an int seed, a chainrule.Generator or None (the global generator).
        Returns a str of len(prompt) + n characters. Runs under no_grad.
        """
        _check_generate(prompt, n, temperature, top_k)
        draw = random_generator(generator, "CharLM.generate")
        idx = creation.tensor([self.vocab.encode(prompt)], dtype=int64)
        produced = []
        with no_grad():
            logits, state = self._run(idx)
            for _ in range(n):
                choice = _sample(logits[0, -1].numpy(), temperature, top_k, draw)
                produced.append(choice)
                logits, state = self._run(creation.tensor([[choice]], dtype=int64), state)
        return prompt + self.vocab.decode(produced)


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
