# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lab 06: Attention and translation
#
# An encoder-decoder translates a sequence into another one token by token. Squeezing the whole
# source into one vector makes long inputs hard; **attention** (Bahdanau, Cho & Bengio, 2015)
# lets the decoder look back at every source position at every step, weighting them by how
# well they match what it is about to write. The Transformer (Vaswani et al., 2017) keeps only
# the attention.
#
# 1. **Additive attention** by hand: scores vᵀ tanh(W_q q + W_k k), softmax weights, context.
# 2. **Scaled dot-product attention** by hand, checked against
#    `chainrule.nn.functional.scaled_dot_product_attention`.
# 3. **Masks**: padding (a padded key gets weight 0) and causal (position i sees j ≤ i).
# 4. **Teacher forcing versus free running**: a decoder fed the true previous token, or its
#    own prediction.
# 5. **Greedy decoding and beam search**, first on a toy decoder whose best sequence we can find
#    by enumeration.
#
# Every exercise is a function whose body you write between the markers; the cell after it
# checks it (visible tests here, hidden ones when it is graded). Seeds are fixed, so every run
# of this notebook gives the same numbers.

# %% tags=["parameters"] nbgrader={"grade": false, "grade_id": "parameters", "locked": true, "schema_version": 3, "solution": false}
QUICK = False   # the test suite runs every lab with QUICK = True (a cell injected after this one)

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false}
import copy
import math
import os
import random
import time

# One BLAS thread, asked for before chainrule loads NumPy: this lab's matrices are small, and on
# a busy machine a pool of BLAS threads competing for the cores costs more than it gives.
for variable in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS"):
    os.environ.setdefault(variable, "1")

import matplotlib.pyplot as plt

# The figures inline, whatever MPLBACKEND says (a headless run with MPLBACKEND=Agg draws none).
# %matplotlib inline

import chainrule as torch
from chainrule.data.datasets.numbers import english, number_pairs, split_numbers
from chainrule.data.datasets.pairs import BOS, EOS, PAD, PairBatcher
from chainrule.labs.checks import check_close, check_equal, check_shape, check_true
from chainrule.models.seq2seq import Seq2Seq
from chainrule.nn import functional as F

# The translator's training (section 4) and what is measured on it. QUICK only checks that every
# cell runs.
STEPS = 20 if QUICK else 400        # Adam steps on batches of 32 pairs, for each training
EVAL_EVERY = 10 if QUICK else 25    # steps between two measurements on the validation set
EARLY = 10 if QUICK else 60         # the half-trained translator's step
N_BEAM = 5 if QUICK else 100        # test numbers decoded by beam search
N_TABLES = 10 if QUICK else 200     # random toy decoders of section 5

# %% [markdown]
# ## 1. Additive attention
#
# The decoder is about to write its next token; its state is the **query** q. The encoder left
# one vector per source position, the **keys** k_1 … k_S. Bahdanau's attention scores each key
# with a one-hidden-layer network,
#
#     e_s = vᵀ tanh(W_q q + W_k k_s),
#
# turns the scores into **weights** that are positive and sum to 1,
#
#     a_s = exp(e_s) / Σ_j exp(e_j),
#
# and hands the decoder their weighted mean, the **context** c = Σ_s a_s k_s (the keys serve as
# the values too, as in the paper).
#
# ### Exercise 1: additive attention (3 points)
#
# Write `additive_attention(query, keys, W_q, W_k, v)` for a batch of N queries:
# `query` (N, D_q), `keys` (N, S, D_k), `W_q` (A, D_q), `W_k` (A, D_k), `v` (A,). Return the
# pair `(context, weights)`: context (N, D_k), weights (N, S). Use tensor operations only (no
# loops over N or S), so that gradients flow to every argument.

# %% nbgrader={"grade": false, "grade_id": "additive_attention", "locked": false, "schema_version": 3, "solution": true}
def additive_attention(query, keys, W_q, W_k, v):
    """Bahdanau's attention: (context (N, D_k), weights (N, S)) of a batch of queries."""
    ### BEGIN SOLUTION
    hidden = torch.tanh((query @ W_q.T).unsqueeze(1) + keys @ W_k.T)   # (N, S, A)
    weights = torch.softmax(hidden @ v, dim=-1)                         # (N, S)
    context = (weights.unsqueeze(-1) * keys).sum(dim=1)                 # (N, D_k)
    return context, weights
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "additive_attention_tests", "locked": true, "points": 3, "schema_version": 3, "solution": false}
# By hand: one query, two keys of size 1, every matrix 1 x 1. With q = 0 the scores are
# tanh(k_s): 0 for k_1 = 0 and ln 2 for k_2 = atanh(ln 2), so the weights are 1/3 and 2/3.
one = torch.ones(1, 1, dtype=torch.float64)
k2 = math.atanh(math.log(2))
context, weights = additive_attention(torch.zeros(1, 1, dtype=torch.float64),
                                      torch.tensor([[[0.0], [k2]]], dtype=torch.float64),
                                      one, one, torch.ones(1, dtype=torch.float64))
check_close(weights, [[1 / 3, 2 / 3]], "the weights of the example worked by hand")
check_close(context, [[2 / 3 * k2]], "the context of the example worked by hand")
torch.manual_seed(0)
query, keys = torch.randn(4, 3), torch.randn(4, 7, 5)
W_q, W_k, v = torch.randn(6, 3), torch.randn(6, 5), torch.randn(6)
context, weights = additive_attention(query, keys, W_q, W_k, v)
check_shape(context, (4, 5), "context for 4 queries over keys of size 5")
check_shape(weights, (4, 7), "weights of 4 queries over 7 keys")
check_close(weights.sum(dim=1), torch.ones(4), "each query's weights sum to 1", rtol=1e-5)
### BEGIN HIDDEN TESTS
# Against the formula written out, one query and one key at a time, in float64; and the
# gradients of a loss through it with respect to every argument.
torch.manual_seed(1)
arguments = [torch.randn(*shape, dtype=torch.float64, requires_grad=True)
             for shape in [(3, 4), (3, 6, 2), (5, 4), (5, 2), (5,)]]
query, keys, W_q, W_k, v = arguments
context, weights = additive_attention(query, keys, W_q, W_k, v)
expected_weights, expected_context = [], []
for n in range(3):
    scores = torch.stack([(v * torch.tanh(W_q @ query[n] + W_k @ keys[n, s])).sum()
                          for s in range(6)])
    a = scores.exp() / scores.exp().sum()
    expected_weights.append(a)
    expected_context.append((a.unsqueeze(1) * keys[n]).sum(dim=0))
expected_weights, expected_context = torch.stack(expected_weights), torch.stack(expected_context)
check_close(weights, expected_weights, "weights against the formula, 3 queries over 6 keys")
check_close(context, expected_context, "context against the formula, 3 queries over 6 keys")
target = torch.randn(3, 2, dtype=torch.float64)
got = torch.autograd.grad((context * target).sum() + (weights ** 2).sum(), arguments)
want = torch.autograd.grad((expected_context * target).sum() + (expected_weights ** 2).sum(),
                           arguments)
for name, g, w in zip(["query", "keys", "W_q", "W_k", "v"], got, want):
    check_close(g, w, f"the gradient with respect to {name}")
# A large score must not overflow (softmax, not a bare exp / sum).
context, weights = additive_attention(torch.zeros(1, 1), torch.tensor([[[0.0], [50.0]]]),
                                      torch.ones(1, 1), torch.ones(1, 1), torch.tensor([200.0]))
check_close(weights, [[math.exp(-200.0), 1.0]], "weights with a score of 200 (softmax)",
            atol=1e-12)
### END HIDDEN TESTS

# %% [markdown]
# ## 2. Scaled dot-product attention
#
# The Transformer drops the small network: a query matches a key by their dot product. With L
# queries, S keys of size E and S values stacked as the rows of Q (L, E), K (S, E), V (S, E_v),
#
#     A = softmax(Q Kᵀ / √E)   (row by row),   output = A V.
#
# The factor 1/√E keeps the scores' variance near 1 whatever E is: for q and k with independent
# entries of variance 1, q · k has variance E, and a softmax of large scores is nearly one-hot,
# with gradients near 0 (Vaswani et al., 2017, section 3.2.1).
#
# A **mask** says which keys each query may see: a bool tensor broadcastable to (L, S), True
# where query i may attend key j. A masked score is set to −∞ before the softmax, so its weight
# is exactly 0.
#
# ### Exercise 2: scaled dot-product attention (3 points)
#
# Write `attention(query, key, value, mask=None)` for inputs with any leading batch dimensions:
# query (..., L, E), key (..., S, E), value (..., S, E_v). Return `(output, weights)`,
# output (..., L, E_v) and weights (..., L, S). `torch.masked_fill` or `Tensor.masked_fill`
# and `float("-inf")` do the masking; `Tensor.transpose(-2, -1)` swaps the last two dimensions.

# %% nbgrader={"grade": false, "grade_id": "attention", "locked": false, "schema_version": 3, "solution": true}
def attention(query, key, value, mask=None):
    """softmax(Q Kᵀ / √E) V with masked scores set to -inf: (output, weights)."""
    ### BEGIN SOLUTION
    scores = query @ key.transpose(-2, -1) / math.sqrt(query.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    return weights @ value, weights
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "attention_tests", "locked": true, "points": 3, "schema_version": 3, "solution": false}
# By hand: the query (1, 0) against the keys (1, 0) and (0, 1): scores 1/√2 and 0. The values
# are the identity, so the output is the weights themselves.
eye = torch.eye(2, dtype=torch.float64)
output, weights = attention(torch.tensor([[1.0, 0.0]], dtype=torch.float64), eye, eye)
w = 1 / (1 + math.exp(-1 / math.sqrt(2)))
check_close(weights, [[w, 1 - w]], "the weights of the example worked by hand")
check_close(output, [[w, 1 - w]], "the output of the example worked by hand")
torch.manual_seed(0)
query, key, value = torch.randn(2, 5, 8), torch.randn(2, 7, 8), torch.randn(2, 7, 3)
output, weights = attention(query, key, value)
check_shape(output, (2, 5, 3), "output of a batch of 2, 5 queries, values of size 3")
check_shape(weights, (2, 5, 7), "weights of a batch of 2, 5 queries over 7 keys")
check_close(output, F.scaled_dot_product_attention(query, key, value),
            "output against F.scaled_dot_product_attention", rtol=1e-4, atol=1e-6)
### BEGIN HIDDEN TESTS
torch.manual_seed(2)
arguments = [torch.randn(*shape, dtype=torch.float64, requires_grad=True)
             for shape in [(3, 2, 4, 16), (3, 2, 6, 16), (3, 2, 6, 5)]]
output, weights = attention(*arguments)
expected = F.scaled_dot_product_attention(*arguments)
check_close(output, expected, "output with two batch dimensions, E = 16 (the scale 1/√E)")
check_close(weights.sum(dim=-1), torch.ones(3, 2, 4, dtype=torch.float64),
            "each row of weights sums to 1")
check_close(weights @ arguments[2], output, "output = weights @ value")
target = torch.randn(3, 2, 4, 5, dtype=torch.float64)
got = torch.autograd.grad((output * target).sum(), arguments)
want = torch.autograd.grad((expected * target).sum(), arguments)
for name, g, w in zip(["query", "key", "value"], got, want):
    check_close(g, w, f"the gradient with respect to {name}")
# Masks, as scaled_dot_product_attention's bool attn_mask: one per query, and one broadcast.
mask = torch.rand(3, 2, 4, 6) > 0.4
mask[..., 0] = True     # every query sees at least one key
output, weights = attention(*arguments, mask=mask)
check_close(output, F.scaled_dot_product_attention(*arguments, attn_mask=mask),
            "output with a random mask against F.scaled_dot_product_attention(attn_mask=mask)")
check_true(bool((weights.detach()[~mask] == 0).all()), "masked keys get weight exactly 0")
mask = torch.tensor([True, True, False, True, False, False])
output, weights = attention(*arguments, mask=mask)
check_close(output, F.scaled_dot_product_attention(*arguments, attn_mask=mask),
            "output with a mask of shape (S,) broadcast over the queries")
# Large scores: the softmax must not overflow.
big = torch.tensor([[30.0, 0.0]]) * 10
output, weights = attention(big, torch.eye(2), torch.eye(2))
check_close(weights, F.scaled_dot_product_attention(big, torch.eye(2), torch.eye(2)),
            "weights when one score is 212 (softmax, not a bare exp / sum)", atol=1e-12)
### END HIDDEN TESTS

# %% [markdown]
# Why the √E? Below, random queries and keys with entries of variance 1 at growing E: without
# the scale the scores' spread grows like √E and the largest weight of a row approaches 1 (the
# softmax saturates); with it, the weights stay spread out.

# %% nbgrader={"grade": false, "grade_id": "scale_figure", "locked": true, "schema_version": 3, "solution": false}
torch.manual_seed(0)
sizes = [4, 16, 64, 256, 1024]
largest = {"scaled by 1/√E": [], "not scaled": []}
for E in sizes:
    query, key = torch.randn(200, E), torch.randn(20, E)
    scores = query @ key.T
    largest["not scaled"].append(torch.softmax(scores, -1).max(-1).values.mean().item())
    largest["scaled by 1/√E"].append(
        torch.softmax(scores / math.sqrt(E), -1).max(-1).values.mean().item())
fig, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
for name, values in largest.items():
    ax.plot(sizes, values, marker="o", label=name)
ax.set(xscale="log", xlabel="E (size of queries and keys)", ylabel="mean largest weight",
       title="20 keys: the largest weight of a query's row", ylim=(0, 1.05))
ax.axhline(1 / 20, color="gray", linestyle=":", label="uniform (1/20)")
ax.legend()
plt.show()

# %% [markdown]
# ## 3. Masks
#
# Two masks do most of the work in practice.
#
# - **Padding.** Sentences in a batch differ in length; the short ones are padded to the
#   longest with a filler token. No query may attend a padded key: with `lengths` holding each
#   sequence's true length, key j of sequence n may be attended when j < lengths[n].
# - **Causal.** A decoder that predicts token i+1 from tokens 0 … i must not see the tokens
#   after i, or training would teach it to copy the answer: query i may attend key j when
#   j ≤ i. The mask is the lower triangle of an L × L matrix, diagonal included.
#
# ### Exercise 3: the padding and causal masks (3 points)
#
# Write `padding_mask(lengths, S)`, returning a bool tensor of shape (N, 1, S) (the 1 lets it
# broadcast over the L queries of each sequence), and `causal_mask(L)`, a bool tensor
# (L, L). `torch.arange` and a comparison build either without a loop.

# %% nbgrader={"grade": false, "grade_id": "masks", "locked": false, "schema_version": 3, "solution": true}
def padding_mask(lengths, S):
    """(N, 1, S) bool: True where key j < lengths[n] (a real token, not padding)."""
    ### BEGIN SOLUTION
    lengths = torch.as_tensor(lengths)
    return (torch.arange(S).unsqueeze(0) < lengths.unsqueeze(1)).unsqueeze(1)
    ### END SOLUTION


def causal_mask(L):
    """(L, L) bool: True where key j <= query i."""
    ### BEGIN SOLUTION
    positions = torch.arange(L)
    return positions.unsqueeze(0) <= positions.unsqueeze(1)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "masks_tests", "locked": true, "points": 3, "schema_version": 3, "solution": false}
check_equal(padding_mask(torch.tensor([2, 4, 1]), 4).tolist(),
            [[[True, True, False, False]], [[True, True, True, True]],
             [[True, False, False, False]]], "padding_mask([2, 4, 1], 4)")
check_equal(causal_mask(3).tolist(), [[True, False, False], [True, True, False],
                                      [True, True, True]], "causal_mask(3)")
# Used as scaled_dot_product_attention's attn_mask. With the identity as the values, the output
# of attention is its weights, which shows what each query saw.
torch.manual_seed(0)
query, key = torch.randn(3, 4, 8), torch.randn(3, 6, 8)
weights = F.scaled_dot_product_attention(query, key, torch.eye(6).expand(3, 6, 6),
                                         attn_mask=padding_mask(torch.tensor([6, 3, 1]), 6))
check_true(bool((weights[1, :, 3:] == 0).all()), "sequence 1 (length 3): keys 3-5 get weight 0")
### BEGIN HIDDEN TESTS
check_true(padding_mask(torch.tensor([2, 4, 1]), 4).dtype == torch.bool,
           "padding_mask should return a bool tensor")
check_true(causal_mask(5).dtype == torch.bool, "causal_mask should return a bool tensor")
torch.manual_seed(3)
lengths = torch.tensor([5, 1, 9, 3, 9])
mask = padding_mask(lengths, 9)
check_shape(mask, (5, 1, 9), "padding_mask(5 lengths, S = 9)")
check_equal(mask[:, 0].sum(dim=1).tolist(), lengths.tolist(), "the keys each sequence may see")
check_equal(padding_mask(torch.tensor([0, 2]), 3).tolist(),
            [[[False, False, False]], [[True, True, False]]], "padding_mask([0, 2], 3)")
# The output does not depend on what sits in the padding.
query, key, value = torch.randn(5, 4, 6), torch.randn(5, 9, 6), torch.randn(5, 9, 2)
output = F.scaled_dot_product_attention(query, key, value, attn_mask=mask)
noise = (~mask[:, 0]).unsqueeze(-1).float() * 100
changed = F.scaled_dot_product_attention(query, key + torch.randn(5, 9, 6) * noise,
                                         value + torch.randn(5, 9, 2) * noise, attn_mask=mask)
check_close(changed, output, "the output after the padded keys and values were changed",
            rtol=1e-5, atol=1e-6)
for L in [1, 2, 7]:
    mask = causal_mask(L)
    check_equal(mask.tolist(), torch.tril(torch.ones(L, L)).bool().tolist(), f"causal_mask({L})")
    query, key, value = torch.randn(2, L, 4), torch.randn(2, L, 4), torch.randn(2, L, 3)
    check_close(F.scaled_dot_product_attention(query, key, value, attn_mask=mask),
                F.scaled_dot_product_attention(query, key, value, is_causal=True),
                f"attn_mask=causal_mask({L}) against is_causal=True", rtol=1e-5, atol=1e-6)
### END HIDDEN TESTS

# %% [markdown]
# ## 4. Decoding: teacher forcing and free running
#
# A decoder writes one token at a time. Each **step** takes the previous token (a batch of
# them) and the decoder's state, and returns the next token's logits and the new state:
#
#     logits, state = step(tokens, state)      # tokens (B,) int64 -> logits (B, V)
#
# The first step is fed a start token, BOS. What comes next depends on why we decode:
#
# - **Teacher forcing** (training): step t is fed the *true* token t − 1 of the target, so all
#   positions are trained at once from correct prefixes, whatever the decoder would have said.
# - **Free running** (translating): step t is fed the decoder's *own* prediction at t − 1 (the
#   argmax of its logits: greedy decoding). One early mistake changes every later input, a
#   situation teacher forcing never showed it: *exposure bias* (Ranzato et al., 2016; Bengio et
#   al., 2015, proposed scheduled sampling, feeding the model's own guesses more and more often
#   as training goes).
#
# We first try this on a toy decoder whose step reads its log-probabilities from a table: the
# next token's distribution depends on the last two tokens, `table[previous, current]`, and the
# state is the previous token. The special tokens are the library's (chainrule.data.datasets.pairs):
# 0 is PAD (filler), 1 is BOS, 2 is EOS (end of sequence).

# %% nbgrader={"grade": false, "grade_id": "toy_decoder", "locked": true, "schema_version": 3, "solution": false}
class TableDecoder:
    """A toy decoder over V tokens: log P(next | previous, current) = table[previous, current],
    a (V, V, V) tensor of log-probabilities. Its state is the previous token (B,)."""

    def __init__(self, table):
        self.table = table

    def start(self, batch):
        """The state before the first step: the token before BOS is taken to be BOS."""
        return torch.full((batch,), BOS, dtype=torch.int64)

    def step(self, tokens, state):
        return self.table[state, tokens], tokens


def first_order_table(probabilities):
    """A TableDecoder table from P(next | current) rows (V, V), the same for every previous."""
    log_probs = torch.tensor(probabilities, dtype=torch.float64).clamp(min=1e-12).log()
    return log_probs.unsqueeze(0).expand(len(probabilities), -1, -1)


def random_table(V, seed):
    """A random second-order table: each row a softmax of N(0, 2²) logits."""
    generator = torch.Generator().manual_seed(seed)
    logits = torch.randn(V, V, V, generator=generator, dtype=torch.float64) * 2
    return F.log_softmax(logits, dim=-1)


def sequence_log_prob(table, tokens):
    """log P(tokens | BOS) under a TableDecoder's table, tokens a list (EOS included if any)."""
    previous, current, total = BOS, BOS, 0.0
    for token in tokens:
        total += table[previous, current, token].item()
        previous, current = current, token
    return total


def enumerate_best(table, max_len):
    """The most probable sequence of at most max_len tokens that ends with EOS or reaches max_len,
    found by trying them all (depth first, each prefix scored once): (tokens, log-probability)."""
    rows = table.tolist()
    best = ([], -math.inf)

    def visit(tokens, previous, current, score):
        nonlocal best
        for token, log_prob in enumerate(rows[previous][current]):
            total = score + log_prob
            if token == EOS or len(tokens) + 1 == max_len:
                if total > best[1]:
                    best = (tokens + [token], total)
            elif total > best[1]:   # a prefix below the best so far cannot end above it
                visit(tokens + [token], current, token, total)

    visit([], BOS, BOS, 0.0)
    return best


# The example of the next two exercises: tokens PAD, BOS, EOS, "a" (3) and "b" (4). From BOS:
# a 0.5, b 0.4, EOS 0.1; after a: EOS 0.4, a 0.3, b 0.3; after b: EOS 0.9, a 0.05, b 0.05.
# (The rows of PAD and EOS are never used.)
EXAMPLE = first_order_table([[0.0, 0.0, 1.0, 0.0, 0.0],
                             [0.0, 0.0, 0.1, 0.5, 0.4],
                             [0.0, 0.0, 1.0, 0.0, 0.0],
                             [0.0, 0.0, 0.4, 0.3, 0.3],
                             [0.0, 0.0, 0.9, 0.05, 0.05]])
example = TableDecoder(EXAMPLE)
print("best by enumeration (at most 4 tokens):", enumerate_best(EXAMPLE, 4))


def seq2seq_step(model):
    """The step function of a GRU chainrule.models.seq2seq.Seq2Seq: its step(state, prefix)
    reads the prefix's last token only, so feeding it tokens (B, 1) is enough."""
    def step(tokens, state):
        log_probs, _, state = model.step(state, tokens.unsqueeze(1))
        return log_probs, state
    return step


# %% [markdown]
# ### Exercise 4: decoding with teacher forcing or free running (3 points)
#
# Write `decode(step, state, batch_size, length, targets=None)`: run `length` steps for a batch
# of `batch_size` sequences, feeding BOS to the first step, and return the logits of every step
# stacked as (batch_size, length, V). With `targets` (batch_size, length) given, step t > 0 is
# fed `targets[:, t - 1]` (teacher forcing); without, it is fed the argmax of step t − 1's
# logits (free running). Keep the graph (no `no_grad`): training differentiates these logits.

# %% nbgrader={"grade": false, "grade_id": "decode", "locked": false, "schema_version": 3, "solution": true}
def decode(step, state, batch_size, length, targets=None):
    """Logits (batch_size, length, V) of `length` decoder steps from BOS, teacher-forced by
    targets (batch_size, length) when given, else fed the previous step's argmax."""
    ### BEGIN SOLUTION
    tokens = torch.full((batch_size,), BOS, dtype=torch.int64)
    outputs = []
    for t in range(length):
        logits, state = step(tokens, state)
        outputs.append(logits)
        tokens = targets[:, t] if targets is not None else logits.argmax(dim=-1)
    return torch.stack(outputs, dim=1)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "decode_tests", "locked": true, "points": 3, "schema_version": 3, "solution": false}
# Free running on the example is greedy decoding: a (0.5), then EOS (0.4).
logits = decode(example.step, example.start(1), 1, 2)
check_shape(logits, (1, 2, 5), "decode of 1 sequence, 2 steps, 5 tokens")
check_equal(logits.argmax(dim=-1).tolist(), [[3, EOS]], "greedy decoding of the example")
# Teacher forcing with the target [b, EOS]: the second step is fed b, whatever step 1 preferred.
logits = decode(example.step, example.start(1), 1, 2, targets=torch.tensor([[4, EOS]]))
check_close(logits[0, 1].exp(), [0.0, 0.0, 0.9, 0.05, 0.05], "step 2's probabilities after b",
            atol=1e-9)
### BEGIN HIDDEN TESTS
table = random_table(6, seed=4)
toy = TableDecoder(table)
targets = torch.randint(0, 6, (5, 7), generator=torch.Generator().manual_seed(5))
logits = decode(toy.step, toy.start(5), 5, 7, targets=targets)
check_shape(logits, (5, 7, 6), "teacher-forced logits of 5 sequences, 7 steps")
for n in range(5):
    previous, current = BOS, BOS
    for t in range(7):
        check_close(logits[n, t], table[previous, current],
                    f"teacher-forced logits of sequence {n} at step {t} (fed the target's "
                    f"token {t - 1})" if t else f"the first step of sequence {n} (fed BOS)")
        previous, current = current, targets[n, t].item()
logits = decode(toy.step, toy.start(3), 3, 7)
check_shape(logits, (3, 7, 6), "free-running logits of 3 sequences, 7 steps")
previous, current = BOS, BOS
for t in range(7):
    check_close(logits[:, t], table[previous, current].expand(3, 6),
                f"free-running logits at step {t} (fed the argmax of step {t - 1})")
    previous, current = current, table[previous, current].argmax().item()
# A GRU translator: teacher-forced decode gives the logits of its forward pass, model(src, tgt_in),
# whose tgt_in is BOS followed by the target; and gradients reach its parameters.
torch.manual_seed(6)
tiny = Seq2Seq(9, 11, embedding_dim=8, hidden_size=12)
src = torch.randint(4, 9, (4, 5))
tgt_out = torch.randint(4, 11, (4, 6))
tgt_in = torch.cat([torch.full((4, 1), BOS, dtype=torch.int64), tgt_out[:, :-1]], dim=1)
logits = decode(seq2seq_step(tiny), tiny.start(src), 4, 6, targets=tgt_out)
check_close(logits, F.log_softmax(tiny(src, tgt_in), dim=-1),
            "teacher-forced decode of a Seq2Seq against its forward pass", rtol=1e-4, atol=1e-5)
check_true(logits.requires_grad, "decode keeps the graph (no detach, no no_grad): its logits "
           "should require grad when the model's parameters do")
logits.sum().backward()
check_true(tiny.decoder.weight_ih.grad is not None,
           "decode keeps the graph: the decoder's weights get a gradient")
free = decode(seq2seq_step(tiny), tiny.start(src), 4, 6)
state, tokens = tiny.start(src), torch.full((4, 1), BOS, dtype=torch.int64)
for t in range(6):
    log_probs, _, state = tiny.step(state, tokens)
    check_close(free[:, t], log_probs, f"free-running decode of a Seq2Seq at step {t}",
                rtol=1e-4, atol=1e-5)
    tokens = log_probs.argmax(dim=-1).unsqueeze(1)
### END HIDDEN TESTS

# %% [markdown]
# ### A translator: English number words to German
#
# `chainrule.data.datasets.numbers` spells the numbers 0-999 in both languages and splits them
# by number, 800 / 100 / 100, into training, validation and test sets. German says the units
# before the tens ("four hundred twenty-one" → "vierhunderteinundzwanzig"), so the alignment is
# not monotonic. The source is split into words, the target into characters
# (`chainrule.data.datasets.pairs.PairBatcher`).
#
# The model is `chainrule.models.seq2seq.Seq2Seq`: a bidirectional GRU encoder and a GRU decoder
# that attends over the encoder's outputs with additive attention at every step (exercise 1,
# the decoder's state as the query, with a padding mask as in exercise 3; the model's mask marks
# the padding with True, the opposite of `attn_mask`). Its `step(state, prefix)` is a decoder
# step as above (`seq2seq_step` adapts it to `step(tokens, state)`). We train it with teacher
# forcing: `model(src, tgt_in)` returns the logits of every position at once, fed the true
# prefix.

# %% nbgrader={"grade": false, "grade_id": "translator_data", "locked": true, "schema_version": 3, "solution": false}
train_pairs, val_pairs, test_pairs = (number_pairs(split)
                                      for split in ("train", "validation", "test"))
batcher = PairBatcher(train_pairs, source_tokenizer="words", target_tokenizer="characters")
print(f"{len(train_pairs)} training, {len(val_pairs)} validation, {len(test_pairs)} test pairs; "
      f"{len(batcher.source_vocab)} source words, {len(batcher.target_vocab)} target characters "
      "(4 special tokens each)")
for source, target in train_pairs[::160]:
    print(f"  {source:32s} -> {target}")
MAX_LEN = 40   # the longest German number word below 1000 has 33 characters


def translate(model, pairs, beam=1):
    """The model's translations of the pairs' sources, greedy or by Seq2Seq.beam_search."""
    src = batcher.sources([source for source, _ in pairs])
    tokens, _ = model.greedy(src, MAX_LEN) if beam == 1 else model.beam_search(src, beam, MAX_LEN)
    return [batcher.target_text(row) for row in tokens]


def exact_match(model, pairs, beam=1):
    """The fraction of pairs translated exactly."""
    return sum(got == target for got, (_, target) in zip(translate(model, pairs, beam), pairs)) \
        / len(pairs)


def sequence_loss(logits, tgt_out):
    """Cross-entropy per target token (padding ignored), from logits (B, T, V)."""
    return F.cross_entropy(logits.flatten(0, 1), tgt_out.flatten(), ignore_index=PAD)


def new_translator(seed=0):
    torch.manual_seed(seed)
    return Seq2Seq(len(batcher.source_vocab), len(batcher.target_vocab), embedding_dim=32,
                   hidden_size=64)


def train_translator(model, steps, forward, snapshots=()):
    """Adam (lr 3e-3) on random batches of 32 training pairs; forward(model, src, tgt_in,
    tgt_out) gives the logits. Every EVAL_EVERY steps: the validation loss (teacher-forced) and
    the exact match (greedy). Returns the curve, and copies of the model at the snapshot steps."""
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    draw, curve, copies = random.Random(0), [], {}
    val_src, val_in, val_out = batcher.batch(val_pairs)
    for step in range(1, steps + 1):
        src, tgt_in, tgt_out = batcher.batch(draw.sample(train_pairs, 32))
        loss = sequence_loss(forward(model, src, tgt_in, tgt_out), tgt_out)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % EVAL_EVERY == 0 or step == steps:
            with torch.no_grad():
                val_loss = sequence_loss(model(val_src, val_in), val_out).item()
            curve.append((step, val_loss, exact_match(model, val_pairs)))
        if step in snapshots:
            copies[step] = copy.deepcopy(model)
    return curve, copies


def teacher_forced(model, src, tgt_in, tgt_out):
    return model(src, tgt_in)


# %% nbgrader={"grade": false, "grade_id": "train_teacher_forced", "locked": true, "schema_version": 3, "solution": false}
start = time.perf_counter()
translator = new_translator()
curves = {}
curves["teacher forcing"], snapshots = train_translator(translator, STEPS, teacher_forced,
                                                        snapshots=(EARLY,))
early_translator = snapshots[EARLY]
print(f"{STEPS} steps of teacher forcing in {time.perf_counter() - start:.1f} s")
curve = curves["teacher forcing"]
for step, val_loss, match in curve[::max(1, len(curve) // 6)]:
    print(f"  step {step:4d}: validation loss {val_loss:.3f} per character, "
          f"exact match {match:.2f}")
print(f"test set: exact match {exact_match(translator, test_pairs):.2f} (greedy)")
for source, _ in test_pairs[:3]:
    print(f"  {source:32s} -> {translate(translator, [(source, None)])[0]}")

# %% [markdown]
# ### Free running, in training and in translation
#
# A teacher-forced decoder has only ever seen correct prefixes. Translating, it reads its own
# output: once it writes a wrong character, every later step starts from a prefix unlike any
# it was trained on. Below, the half-trained translator of step `EARLY` decodes the validation
# set both ways, and we count the correct characters at each position (against the target):
# fed the truth (teacher forcing), and fed its own guesses (free running, your `decode`).

# %% nbgrader={"grade": false, "grade_id": "exposure_bias", "locked": true, "schema_version": 3, "solution": false}
val_src, val_in, val_out = batcher.batch(val_pairs)
real = val_out != PAD
with torch.no_grad():
    step_fn, state = seq2seq_step(early_translator), early_translator.start(val_src)
    forced = decode(step_fn, state, len(val_pairs), val_out.shape[1], targets=val_out)
    free = decode(step_fn, early_translator.start(val_src), len(val_pairs), val_out.shape[1])
fig, ax = plt.subplots(figsize=(7, 3.6), layout="constrained")
for name, logits in (("teacher forcing", forced), ("free running", free)):
    correct = (logits.argmax(dim=-1) == val_out) & real
    by_position = (correct.float().sum(dim=0) / real.float().sum(dim=0).clamp(min=1)).tolist()
    ax.plot(range(1, len(by_position) + 1), [100 * a for a in by_position], marker=".",
            label=f"{name}: {100 * correct.float().sum().item() / real.float().sum().item():.1f} "
                  "% of characters")
    print(f"{name:15s} loss {sequence_loss(logits, val_out).item():.3f} per character, "
          f"{correct.float().sum().item() / real.float().sum().item():.3f} of characters right")
ax.set(xlabel="position in the German word", ylabel="correct characters (%)", ylim=(0, 102),
       title=f"the translator after {EARLY} steps, validation set")
ax.legend()
plt.show()

# %% [markdown]
# Teacher forcing is not the only way to train. A decoder can be trained free running too:
# each step fed its own previous argmax, the loss still comparing step t with the target's
# token t. Below, a second translator (same initial weights, same batches) is trained that way
# with your `decode`, and both are measured the way they will be used: greedy translation of the
# validation set.

# %% nbgrader={"grade": false, "grade_id": "train_free_running", "locked": true, "schema_version": 3, "solution": false}
def free_running(model, src, tgt_in, tgt_out):
    return decode(seq2seq_step(model), model.start(src), src.shape[0], tgt_out.shape[1])


start = time.perf_counter()
curves["free running"], _ = train_translator(new_translator(), STEPS, free_running)
print(f"{STEPS} steps of free-running training in {time.perf_counter() - start:.1f} s")
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.6), layout="constrained")
for name, curve in curves.items():
    steps, losses, matches = zip(*curve)
    left.plot(steps, losses, marker=".", label=name)
    right.plot(steps, [100 * m for m in matches], marker=".", label=name)
    reached = next((step for step, match in zip(steps, matches) if match >= 0.9), None)
    print(f"{name:15s} after {steps[-1]} steps: validation loss {losses[-1]:.3f}, exact match "
          f"{matches[-1]:.2f}; exact match >= 0.9 first at step {reached}")
left.set(xlabel="training step", ylabel="validation loss (teacher-forced)", yscale="log",
         title="loss per character")
right.set(xlabel="training step", ylabel="exact match (%)", ylim=(0, 102),
          title="greedy translation of the validation set")
left.legend()
right.legend()
plt.show()

# %% [markdown]
# ## 5. Greedy decoding and beam search
#
# Greedy decoding takes the most probable token at each step, but the most probable
# *sequence* may start with a less probable token. In the toy example greedy says "a EOS"
# (0.5 · 0.4 = 0.2), while "b EOS" has probability 0.4 · 0.9 = 0.36.
#
# **Beam search** keeps several partial sequences (hypotheses) instead of one. A hypothesis's
# score is its log-probability, the sum of its tokens' log-probabilities. With a beam of
# `beam_size`, starting from the empty hypothesis after BOS, at each step:
#
# 1. extend every live hypothesis by every token of the vocabulary (its step's `log_softmax`
#    added to its score);
# 2. keep the best `beam_size − (number finished so far)` of all these extensions (a finished
#    hypothesis keeps its place in the beam); on equal scores, the earlier hypothesis and then
#    the lower token first;
# 3. of those kept, the ones that end with EOS, or have `max_len` tokens, are finished: set them
#    aside; the others live on;
# 4. stop when none lives, or when the best finished score is at least the best live one (a
#    score can only go down as tokens are added, so no live one can overtake it).
#
# The answer is the best finished hypothesis. With `beam_size = 1` this is greedy decoding; with
# a beam as large as the number of possible sequences it is an exhaustive search. These are the
# rules of `Seq2Seq.beam_search`, which also rules out PAD and BOS.
#
# ### Exercise 5: beam search (4 points)
#
# Write `beam_search(step, state, beam_size, max_len)` for a single sequence: call
# `step(torch.tensor([token]), hypothesis_state)` (a batch of one; its logits are (1, V)) for
# each live hypothesis, starting from BOS with `state`. Return `(tokens, score)`: the best
# hypothesis's tokens as a list of ints (after BOS, EOS included if it ended with one) and its
# log-probability as a float. Run it under `torch.no_grad()`: nothing is trained here.

# %% nbgrader={"grade": false, "grade_id": "beam_search", "locked": false, "schema_version": 3, "solution": true}
def beam_search(step, state, beam_size, max_len):
    """The best sequence of at most max_len tokens after BOS found by beam search:
    (tokens, log-probability)."""
    ### BEGIN SOLUTION
    live, finished = [(0.0, [], BOS, state)], []   # (score, tokens, last token, state)
    with torch.no_grad():
        for _ in range(max_len):
            candidates = []
            for score, tokens, last, hypothesis_state in live:
                logits, new_state = step(torch.tensor([last]), hypothesis_state)
                log_probs = F.log_softmax(logits[0], dim=-1).tolist()
                candidates += [(score + log_prob, tokens + [token], token, new_state)
                               for token, log_prob in enumerate(log_probs)]
            candidates.sort(key=lambda candidate: -candidate[0])   # stable: ties keep order
            live = []
            for candidate in candidates[:beam_size - len(finished)]:
                done = candidate[2] == EOS or len(candidate[1]) == max_len
                (finished if done else live).append(candidate)
            if not live or (finished and max(f[0] for f in finished) >= live[0][0]):
                break
    best = max(finished, key=lambda candidate: candidate[0])
    return best[1], best[0]
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "beam_search_tests", "locked": true, "points": 4, "schema_version": 3, "solution": false}
tokens, score = beam_search(example.step, example.start(1), beam_size=1, max_len=4)
check_equal(tokens, [3, EOS], "beam_size 1 on the example (greedy: a EOS)")
check_close(score, math.log(0.2), "the score of a EOS (log 0.2)")
tokens, score = beam_search(example.step, example.start(1), beam_size=2, max_len=4)
check_equal(tokens, [4, EOS], "beam_size 2 on the example (b EOS)")
check_close(score, math.log(0.36), "the score of b EOS (log 0.36)")
check_true(isinstance(score, float), f"the score should be a float, got {type(score).__name__}")
### BEGIN HIDDEN TESTS


def reference_beam_search(table, beam_size, max_len):
    """The rules above, over the table directly; a hypothesis is (score, [BOS, BOS, tokens])."""
    rows = table.tolist()
    live, finished = [(0.0, [BOS, BOS])], []
    for _ in range(max_len):
        candidates = [(score + log_prob, seq + [token]) for score, seq in live
                      for token, log_prob in enumerate(rows[seq[-2]][seq[-1]])]
        candidates.sort(key=lambda candidate: -candidate[0])
        kept = candidates[:beam_size - len(finished)]
        ended = [c[1][-1] == EOS or len(c[1]) - 2 == max_len for c in kept]
        finished += [c for c, end in zip(kept, ended) if end]
        live = [c for c, end in zip(kept, ended) if not end]
        if not live or max(c[0] for c in finished or [(-math.inf,)]) >= live[0][0]:
            break
    best = max(finished + live, key=lambda candidate: candidate[0])
    return best[1][2:], best[0]


def table_greedy(table, max_len):
    """Greedy decoding over the table directly."""
    previous, current, tokens = BOS, BOS, []
    while len(tokens) < max_len and EOS not in tokens:
        tokens.append(table[previous, current].argmax().item())
        previous, current = current, tokens[-1]
    return tokens


KEEP_PLACES = " (where finished hypotheses keep their places in the beam)"
for seed, V, beam_size, max_len, note in [
        (0, 4, 2, 5, ""), (1, 5, 3, 6, ""), (2, 6, 2, 4, ""), (3, 4, 3, 7, ""), (6, 3, 2, 6, ""),
        (7, 5, 4, 5, ""), (8, 6, 5, 4, ""), (10, 4, 3, 6, KEEP_PLACES),
        (11, 3, 3, 7, KEEP_PLACES), (35, 5, 3, 6, KEEP_PLACES)]:
    table = random_table(V, seed)
    toy = TableDecoder(table)
    tokens, score = beam_search(toy.step, toy.start(1), beam_size, max_len)
    what = f"random table (seed {seed}, V {V}), beam_size {beam_size}, max_len {max_len}{note}"
    want_tokens, want_score = reference_beam_search(table, beam_size, max_len)
    check_equal(tokens, want_tokens, f"the tokens found on a {what}")
    check_close(score, want_score, f"the score on a {what}")
    check_close(score, sequence_log_prob(table, tokens), f"the score is the tokens' "
                f"log-probability on a {what}")
    check_equal(beam_search(toy.step, toy.start(1), 1, max_len)[0], table_greedy(table, max_len),
                f"beam_size 1 is greedy decoding on a {what}")
    check_equal(beam_search(toy.step, toy.start(1), V ** max_len, max_len)[0],
                enumerate_best(table, max_len)[0],
                f"a beam of {V ** max_len} finds the best sequence of the {what}")
check_true(len(beam_search(toy.step, toy.start(1), 2, 3)[0]) <= 3, "at most max_len tokens")
### END HIDDEN TESTS

# %% [markdown]
# How often does a wider beam find the most probable sequence? On random toy decoders (V = 5,
# at most 6 tokens), the log-probability found at each beam size, against the best by
# enumeration:

# %% nbgrader={"grade": false, "grade_id": "beam_toy_figure", "locked": true, "schema_version": 3, "solution": false}
beam_sizes = [1, 2, 3, 5, 10]
gaps = {size: [] for size in beam_sizes}
for seed in range(N_TABLES):
    table = random_table(5, 100 + seed)
    toy = TableDecoder(table)
    best = enumerate_best(table, 6)[1]
    for size in beam_sizes:
        gaps[size].append(best - beam_search(toy.step, toy.start(1), size, 6)[1])
fig, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
ax.plot(beam_sizes, [100 * sum(g < 1e-9 for g in gaps[s]) / N_TABLES for s in beam_sizes],
        marker="o")
ax.set(xlabel="beam size", ylabel="% of decoders", ylim=(0, 102), xscale="log",
       title=f"beam search finds the most probable sequence ({N_TABLES} toy decoders)")
ax.set_xticks(beam_sizes, [str(s) for s in beam_sizes])
plt.show()
for size in beam_sizes:
    print(f"beam {size:2d}: best found for {sum(g < 1e-9 for g in gaps[size]):3d} of {N_TABLES}, "
          f"mean log-probability lost {max(sum(gaps[size]) / N_TABLES, 0.0):.3f}")   # not -0.000

# %% [markdown]
# On the translator: your beam search against greedy decoding on the test numbers, for the
# half-trained translator of step `EARLY` and the trained one. The score is the log-probability
# of the whole translation; a beam can only find a more probable translation than greedy
# decoding (here), which is not always the right one. Last column: how often your beam search's
# translation is `Seq2Seq.beam_search`'s.

# %% nbgrader={"grade": false, "grade_id": "beam_translator", "locked": true, "schema_version": 3, "solution": false}
beam_pairs = test_pairs[:N_BEAM]
target_length = sum(len(target) for _, target in beam_pairs) / len(beam_pairs)
print(f"{len(beam_pairs)} test numbers   beam  exact match  mean log-prob  mean length "
      f"(targets {target_length:.1f})  same as library")
for name, model in ((f"after {EARLY} steps", early_translator),
                    (f"after {STEPS} steps", translator)):
    model.eval()
    for size in (1, 3):
        scores, lengths, matches, agree = [], [], 0, 0
        library = translate(model, beam_pairs, beam=size)
        for (source, target), theirs in zip(beam_pairs, library):
            src = batcher.sources([source])
            tokens, score = beam_search(seq2seq_step(model), model.start(src), size, MAX_LEN)
            text = batcher.target_text(tokens)
            scores.append(score)
            lengths.append(len(text))
            matches += text == target
            agree += text == theirs
        print(f"{name:17s}  {size:4d}  {matches / len(beam_pairs):11.2f}  "
              f"{sum(scores) / len(scores):13.3f}  {sum(lengths) / len(lengths):11.1f}"
              f"{'':14s}{agree:4d} of {len(beam_pairs)}")

# %% [markdown]
# Read the half-trained rows with care. The wider beam finds translations of higher probability,
# yet in the run we measured fewer of them were right, and they were shorter than the targets
# (see the mean length). Adding log-probabilities favours stopping early: every character
# costs a little, and EOS ends the bill. Practical beam search therefore divides the score by a
# power of the length (length normalisation, as in Wu et al., 2016, Google's NMT system). The
# trained translator is sure of each character, and greedy decoding already finds what the beam
# finds.
#
# ## 6. Where the translator looks
#
# At each step the decoder's attention weights over the source words say where it reads. Below,
# the weights of the trained translator (`Seq2Seq.greedy` returns them), one row per character
# it writes: for 421 (a training number) and two numbers of the test set, which it never saw.
# German writes the units before the tens: look for where "ein" attends "one" and "zwanzig"
# attends "twenty" in 421. The encoder is a bidirectional GRU, so each source position also
# carries something of its neighbours, and the weights need not be as sharp as a dictionary's
# alignment.

# %% nbgrader={"grade": false, "grade_id": "heat_maps", "locked": true, "schema_version": 3, "solution": false}
numbers = [421] + [n for n in split_numbers("test") if n > 100 and n % 100 > 20 and n % 10][::9][:2]
sources = [english(n) for n in numbers]
tokens, weights = translator.greedy(batcher.sources(sources), MAX_LEN)
fig, axes = plt.subplots(1, 3, figsize=(13, 6.5), layout="constrained",
                         gridspec_kw={"width_ratios": [len(batcher.source_tokens(s)) + 1
                                                       for s in sources]})
for ax, source, row, attention in zip(axes, sources, tokens, weights):
    written = (batcher.target_vocab.decode(row) + ["<eos>"])[:attention.shape[0]]
    ax.imshow(attention, cmap="Blues", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(attention.shape[1]), batcher.source_tokens(source), rotation=60)
    ax.set_yticks(range(len(written)), written)
    ax.set_title(f"{source}\n-> {batcher.target_text(row)}", fontsize=10)
fig.suptitle("attention weights of the trained translator (rows: characters written)")
plt.show()
in_split = {n: next(s for s in ("train", "validation", "test") if n in split_numbers(s))
            for n in numbers}
print("which split each number is in:", in_split)

# %% [markdown]
# ## What to take away
#
# - Attention is a weighted mean of values, the weights a softmax of scores between a query and
#   each key: a small network in Bahdanau's additive form, a scaled dot product in the
#   Transformer's. The 1/√E keeps the softmax from saturating as E grows.
# - Masks set scores to −∞ before the softmax: padding keeps a batch's filler out of every
#   result, the causal mask keeps a decoder from reading the future.
# - Teacher forcing trains every position at once from true prefixes; translating, the decoder
#   reads its own guesses, and an early mistake carries into the rest of the word. Trained free
#   running from scratch, the decoder learns far more slowly at first (its early guesses are
#   poor inputs); on this easy task it catches up (see the measured steps above).
# - Greedy decoding is beam search with a beam of 1. A wider beam finds more probable sequences
#   (on the toy decoders, almost always the most probable); on a well-trained translator the
#   greedy answer is usually already the beam's.
# - Attention weights show the alignment the model learned, here crossing where German puts the
#   units before the tens.
