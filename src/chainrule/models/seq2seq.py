"""Sequence-to-sequence translation: a bidirectional GRU encoder and a GRU decoder with additive
attention (Bahdanau, Cho & Bengio, 2015), or an encoder-decoder Transformer (Vaswani et al., 2017);
teacher-forced logits for training; greedy and beam-search decoding for translating."""
import math

from chainrule import creation
from chainrule.backend import int64, xp
from chainrule.data.datasets.pairs import BOS, EOS, PAD
from chainrule.grad_mode import no_grad
from chainrule.nn.embedding import Embedding
from chainrule.nn.functional.activation import log_softmax, softmax
from chainrule.nn.linear import Linear
from chainrule.nn.module import Module
from chainrule.nn.recurrent import GRU, GRUCell
from chainrule.nn.transformer import Transformer
from chainrule.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
from chainrule.ops.join import cat, stack
from chainrule.tensor import Tensor

KINDS = ("gru", "transformer")


class AdditiveAttention(Module):
    """Bahdanau's score of a query q against keys k_j: e_j = v·tanh(W_q q + W_k k_j); the weights
    a = softmax_j(e) over the unmasked keys, the context Σ_j a_j k_j.

    Args: query_size, key_size, attention_size (the width of the tanh layer).
    Shape: query (B, Q), keys (B, S, K), projected (B, S, A) = project(keys) (computed once per
        batch), mask (B, S) bool, True at padding -> context (B, K), weights (B, S).
    """

    def __init__(self, query_size, key_size, attention_size):
        super().__init__()
        self.query = Linear(query_size, attention_size, bias=False)
        self.key = Linear(key_size, attention_size)
        self.score = Linear(attention_size, 1, bias=False)

    def project(self, keys):
        return self.key(keys)

    def forward(self, query, keys, projected, mask):
        energy = self.score((projected + self.query(query).unsqueeze(1)).tanh()).squeeze(-1)
        weights = softmax(energy.masked_fill(mask, -math.inf), dim=-1)
        return weights.unsqueeze(1).bmm(keys).squeeze(1), weights


class Seq2Seq(Module):
    """A translator from source token indices to target token indices (pairs.py's Vocab: <pad> 0,
    <bos> 1, <eos> 2).

    kind "gru": Embedding(Vs, E) -> bidirectional GRU(E, H) over the unpadded source (packed);
    the decoder's first state tanh(Linear(2H, H)) of the two final states; at each step the
    previous state attends over the encoder outputs (AdditiveAttention, width H), GRUCell(E + 2H,
    H) reads the previous target token's embedding and the context, and Linear(H + 2H + E, Vt)
    gives the logits from state, context and embedding (Bahdanau et al. 2015, §3.1 and A.2.2,
    without the maxout layer).
    kind "transformer": token embeddings · √E plus learned position embeddings, then
    nn.Transformer(E, num_heads, num_layers encoder and decoder layers, feed-forward H, pre-norm)
    with the source's padding mask and the target's causal mask, then Linear(E, Vt).

    Args: source_vocab_size, target_vocab_size; kind; embedding_dim E; hidden_size H;
        num_layers, num_heads (dividing E), max_positions (longest sequence), dropout: transformer
        only (the GRU has one layer each way and no dropout).
    Shape: src (B, S), tgt_in (B, T) int64, padded with 0 at the right -> logits (B, T, Vt)
        (with need_weights, also the attention (B, T, S) of the GRU, None for the transformer).
    """

    def __init__(self, source_vocab_size, target_vocab_size, kind="gru", embedding_dim=64,
                 hidden_size=128, num_layers=2, num_heads=4, max_positions=64, dropout=0.0):
        super().__init__()
        if kind not in KINDS:
            raise ValueError(f"Seq2Seq: kind must be one of {', '.join(KINDS)}, got {kind!r}")
        for name, size in (("source_vocab_size", source_vocab_size),
                           ("target_vocab_size", target_vocab_size)):
            if isinstance(size, bool) or not isinstance(size, int) or size < 4:
                raise ValueError(f"Seq2Seq: {name} must be an int >= 4 (the special tokens), got "
                                 f"{size!r}")
        for name, size in (("embedding_dim", embedding_dim), ("hidden_size", hidden_size),
                           ("num_layers", num_layers), ("num_heads", num_heads),
                           ("max_positions", max_positions)):
            if isinstance(size, bool) or not isinstance(size, int) or size < 1:
                raise ValueError(f"Seq2Seq: {name} must be an int >= 1, got {size!r}")
        self.kind = kind
        self.source_embedding = Embedding(source_vocab_size, embedding_dim, padding_idx=PAD)
        self.target_embedding = Embedding(target_vocab_size, embedding_dim, padding_idx=PAD)
        if kind == "gru":
            self.encoder = GRU(embedding_dim, hidden_size, batch_first=True, bidirectional=True)
            self.bridge = Linear(2 * hidden_size, hidden_size)
            self.attention = AdditiveAttention(hidden_size, 2 * hidden_size, hidden_size)
            self.decoder = GRUCell(embedding_dim + 2 * hidden_size, hidden_size)
            self.head = Linear(3 * hidden_size + embedding_dim, target_vocab_size)
        else:
            if embedding_dim % num_heads:
                raise ValueError(f"Seq2Seq: num_heads {num_heads!r} must divide embedding_dim "
                                 f"{embedding_dim}")
            self.max_positions = max_positions
            self.position = Embedding(max_positions, embedding_dim)
            self.transformer = Transformer(embedding_dim, num_heads, num_layers, num_layers,
                                           hidden_size, dropout, batch_first=True,
                                           norm_first=True)
            self.head = Linear(embedding_dim, target_vocab_size)

    def forward(self, src, tgt_in, need_weights=False):
        _check_tokens("Seq2Seq", src, "src")
        _check_tokens("Seq2Seq", tgt_in, "tgt_in")
        if src.shape[0] != tgt_in.shape[0]:
            raise ValueError(f"Seq2Seq: src and tgt_in differ in batch size: {tuple(src.shape)} "
                             f"and {tuple(tgt_in.shape)}")
        if self.kind == "transformer":
            memory, mask = self.start(src)
            logits = self._transformer_decode(tgt_in, memory, mask)
            return (logits, None) if need_weights else logits
        state = self.start(src)
        embedded = self.target_embedding(tgt_in)
        steps, weights = [], []
        for t in range(tgt_in.shape[1]):
            features, state, attention = self._gru_features(embedded[:, t], state)
            steps.append(features)
            weights.append(attention)
        logits = self.head(stack(steps, 1))
        return (logits, stack(weights, 1)) if need_weights else logits

    # Decoding, one step at a time: start(src) gives a state, step(state, prefix) the next
    # token's log-probabilities; select(state, rows) keeps (or repeats) rows, as beams need.

    def start(self, src):
        mask = src == PAD
        padding = mask.numpy()
        if (padding[:, :-1] & ~padding[:, 1:]).any():
            # the GRU packs the first (length) tokens, the transformer's causal target assumes
            # the same: a token after <pad> would be read wrongly or dropped, without a word
            raise ValueError("Seq2Seq: src has a token after <pad> (0) in a row; pad at the "
                             "right only")
        if self.kind == "transformer":
            _check_length(self, src.shape[1], "src")
            memory = self.transformer.encoder(self._embed(self.source_embedding, src),
                                              src_key_padding_mask=mask)
            return memory, mask
        lengths = (src.shape[1] - mask.sum(1)).tolist()
        packed = pack_padded_sequence(self.source_embedding(src), lengths, batch_first=True,
                                      enforce_sorted=False)
        outputs, final = self.encoder(packed)
        keys, _ = pad_packed_sequence(outputs, batch_first=True, total_length=src.shape[1])
        hidden = self.bridge(cat([final[-2], final[-1]], -1)).tanh()
        return keys, self.attention.project(keys), mask, hidden

    def step(self, state, prefix):
        """(log-probabilities (B, Vt), attention (B, S) or None, the next state) of the token
        after prefix (B, t): the GRU reads its last token only, the transformer all of it."""
        if self.kind == "transformer":
            logits = self._transformer_decode(prefix, *state)[:, -1]
            return log_softmax(logits, dim=-1), None, state
        features, state, weights = self._gru_features(self.target_embedding(prefix[:, -1]),
                                                      state)
        return log_softmax(self.head(features), dim=-1), weights, state

    @staticmethod
    def select(state, rows):
        rows = creation.tensor(rows, dtype=int64)
        return tuple(part.index_select(0, rows) for part in state)

    def _gru_features(self, embedded, state):
        keys, projected, mask, hidden = state
        context, weights = self.attention(hidden, keys, projected, mask)
        hidden = self.decoder(cat([embedded, context], -1), hidden)
        return cat([hidden, context, embedded], -1), (keys, projected, mask, hidden), weights

    def _embed(self, embedding, tokens):
        positions = creation.arange(tokens.shape[1], dtype=int64)
        return embedding(tokens) * math.sqrt(embedding.embedding_dim) + self.position(positions)

    def _transformer_decode(self, tgt_in, memory, mask):
        _check_length(self, tgt_in.shape[1], "the target")
        causal = Transformer.generate_square_subsequent_mask(tgt_in.shape[1], dtype=memory.dtype)
        # Padding sits at the end of the target, after every real token, so the causal mask
        # already keeps real positions from reading it: no target padding mask is needed.
        out = self.transformer.decoder(self._embed(self.target_embedding, tgt_in), memory,
                                       tgt_mask=causal, memory_key_padding_mask=mask,
                                       tgt_is_causal=True)
        return self.head(out)

    def greedy(self, src, max_len):
        """The most likely token at each step until <eos> or max_len tokens, for each row of src.
        Returns (tokens, attention): tokens a list of B lists of ints (without <bos> and <eos>);
        attention a list of B arrays (steps, S of the row), one row per produced token and the
        <eos> (GRU), or None (transformer). <pad> and <bos> are never produced."""
        _check_decode(self, "greedy", src, max_len)
        was_training = self.training
        self.eval()
        try:
            with no_grad():
                state = self.start(src)
                rows = src.shape[0]
                prefix = xp.full((rows, 1), BOS, dtype=int64)
                weights, done = [], xp.zeros(rows, dtype=bool)
                for _ in range(max_len):
                    log_probs, attention, state = self.step(state, Tensor._make(prefix))
                    choice = xp.argmax(_allowed(log_probs.numpy()), axis=-1)
                    choice[done] = PAD
                    prefix = xp.concatenate([prefix, choice[:, None]], axis=1)
                    weights.append(None if attention is None else attention.numpy())
                    done |= choice == EOS
                    if done.all():
                        break
        finally:
            self.train(was_training)
        return _finish(prefix[:, 1:], weights, src)

    def beam_search(self, src, beam, max_len):
        """For each row of src, the hypothesis of highest total log-probability found by a beam
        of width `beam` (beam_search_one, below); beam 1 is greedy decoding. No length
        normalisation. Returns (tokens, attention) as greedy does."""
        _check_decode(self, "beam_search", src, max_len)
        if isinstance(beam, bool) or not isinstance(beam, int) or beam < 1:
            raise ValueError(f"Seq2Seq.beam_search: beam must be an int >= 1, got {beam!r}")
        was_training = self.training
        self.eval()
        try:
            with no_grad():
                lengths = (src != PAD).sum(1).tolist()
                found = [beam_search_one(self, src[row:row + 1, :length], beam, max_len)
                         for row, length in enumerate(lengths)]
        finally:
            self.train(was_training)
        tokens = [hypothesis.tokens for hypothesis in found]
        attention = [hypothesis.attention for hypothesis in found]
        return tokens, (None if self.kind == "transformer" else attention)


class Hypothesis:
    """A partial translation: its tokens (after <bos>), total log-probability, attention rows."""

    def __init__(self, tokens, score, attention):
        self.tokens, self.score, self.attention = tokens, score, attention


def beam_search_one(model, src, beam, max_len):
    """Beam search for one source (1, S): keep the `beam` best live hypotheses; each step extends
    every one by every token and keeps the best beam - (finished ones) extensions; one ending in
    <eos> is finished. Stops when none is live, or when the best finished score is at least the
    best live one (log-probabilities only fall, so no live one can overtake it); at max_len the
    live ones count as finished. Ties go to the earlier hypothesis and the lower token, as
    argmax's do, so beam 1 is greedy decoding."""
    state = model.start(src)
    live, finished = [Hypothesis([], 0.0, [])], []
    for _ in range(max_len):
        prefix = Tensor._make(xp.asarray([[BOS] + h.tokens for h in live], dtype=int64))
        log_probs, attention, state = model.step(state, prefix)
        scores = xp.asarray([h.score for h in live])[:, None] + _allowed(log_probs.numpy())
        order = xp.argsort(-scores, axis=None, kind="stable")[:beam - len(finished)]
        keep, survivors = [], []
        for flat in order.tolist():
            row, token = divmod(flat, scores.shape[1])
            if scores[row, token] == -math.inf:   # <pad>, <bos>: sorted last, never taken
                break
            rows = live[row].attention + ([] if attention is None else [attention.numpy()[row]])
            hypothesis = Hypothesis(live[row].tokens + [token], float(scores[row, token]), rows)
            if token == EOS:
                hypothesis.tokens = hypothesis.tokens[:-1]
                finished.append(hypothesis)
            else:
                survivors.append(hypothesis)
                keep.append(row)
        live = survivors
        if not live or max(h.score for h in finished or [Hypothesis([], -math.inf, [])]) \
                >= max(h.score for h in live):
            break
        state = model.select(state, keep)
    best = max(finished + live, key=lambda h: h.score)   # max keeps the first of equals
    attention = xp.stack(best.attention) if best.attention else None
    return Hypothesis(best.tokens, best.score, attention)


def _allowed(log_probs):
    """Log-probabilities with <pad> and <bos> ruled out: a translation never produces them."""
    log_probs = log_probs.astype(xp.float64)
    log_probs[:, [PAD, BOS]] = -math.inf
    return log_probs


def _finish(produced, weights, src):
    """Cut each row at its <eos>; its attention rows up to and including the <eos> step, and the
    source's unpadded length."""
    lengths = (src.numpy() != PAD).sum(1)
    tokens, attention = [], []
    for row, sequence in enumerate(produced.tolist()):
        end = sequence.index(EOS) if EOS in sequence else len(sequence)
        tokens.append(sequence[:end])
        if weights and weights[0] is not None:
            steps = min(end + 1, len(weights))
            attention.append(xp.stack([w[row, :lengths[row]] for w in weights[:steps]]))
    return tokens, (attention if attention else None)


def _check_tokens(name, tokens, what):
    if not isinstance(tokens, Tensor) or tokens.ndim != 2 or tokens.dtype != int64 \
            or tokens.shape[1] == 0:
        shape = tuple(tokens.shape) if isinstance(tokens, Tensor) else type(tokens).__name__
        dtype = getattr(tokens, "dtype", None)
        raise ValueError(f"{name}: expected {what} an int64 tensor of shape (B, L), L >= 1, got "
                         f"{shape} {dtype}")


def _check_decode(model, name, src, max_len):
    _check_tokens(f"Seq2Seq.{name}", src, "src")
    if bool((src == PAD).all(1).any()):
        raise ValueError(f"Seq2Seq.{name}: a row of src is all padding")
    if isinstance(max_len, bool) or not isinstance(max_len, int) or max_len < 1:
        raise ValueError(f"Seq2Seq.{name}: max_len must be an int >= 1, got {max_len!r}")
    if model.kind == "transformer" and max_len + 1 > model.max_positions:
        raise ValueError(f"Seq2Seq.{name}: max_len {max_len} + <bos> exceeds max_positions "
                         f"{model.max_positions}")


def _check_length(model, length, what):
    if length > model.max_positions:
        raise ValueError(f"Seq2Seq(transformer): {what} has {length} positions, more than "
                         f"max_positions {model.max_positions}")
