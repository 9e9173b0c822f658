"""The GPT-style character model of the gpt workload, as nanoGPT and minGPT write it (attention by
hand: qkv Linear, split, view/transpose, scaled q kᵀ, masked_fill with a tril buffer, softmax),
and its corpus, Tiny Shakespeare, as codes."""
import functools
import math
import pathlib

import numpy as np

CORPUS = (pathlib.Path(__file__).resolve().parent.parent / "src" / "chainrule" / "data"
          / "datasets" / "corpora" / "tinyshakespeare.txt")


def gpt_class(L):
    """The GPT Module class written against L's API (L = chainrule or torch)."""
    nn, F = L.nn, L.nn.functional

    class CausalSelfAttention(nn.Module):
        def __init__(self, d, heads, context):
            super().__init__()
            self.qkv, self.proj, self.heads = nn.Linear(d, 3 * d), nn.Linear(d, d), heads
            self.register_buffer("mask", L.tril(L.ones(context, context))
                                 .view(1, 1, context, context))

        def forward(self, x):
            B, T, C = x.size()
            q, k, v = self.qkv(x).split(C, dim=2)
            q, k, v = (t.view(B, T, self.heads, C // self.heads).transpose(1, 2)
                       for t in (q, k, v))
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
            att = att.masked_fill(self.mask[:, :, :T, :T] == 0, float("-inf"))
            att = F.softmax(att, dim=-1)
            y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
            return self.proj(y)

    class Block(nn.Module):
        def __init__(self, d, heads, context):
            super().__init__()
            self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
            self.attn = CausalSelfAttention(d, heads, context)
            self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

        def forward(self, x):
            x = x + self.attn(self.ln1(x))
            return x + self.mlp(self.ln2(x))

    class GPT(nn.Module):
        def __init__(self, vocab, d=64, heads=4, layers=2, context=64):
            super().__init__()
            self.wte, self.wpe = nn.Embedding(vocab, d), nn.Embedding(context, d)
            self.blocks = nn.ModuleList([Block(d, heads, context) for _ in range(layers)])
            self.ln_f, self.head = nn.LayerNorm(d), nn.Linear(d, vocab, bias=False)

        def forward(self, idx):
            T = idx.size(1)
            x = self.wte(idx) + self.wpe(L.arange(T))
            for block in self.blocks:
                x = block(x)
            return self.head(self.ln_f(x))
    return GPT


@functools.lru_cache(maxsize=1)
def corpus_codes():
    """(vocabulary size, the first 100,000 characters as codes) of Tiny Shakespeare."""
    text = CORPUS.read_text(encoding="utf-8")
    vocab = sorted(set(text))
    code = {c: i for i, c in enumerate(vocab)}
    return len(vocab), np.array([code[c] for c in text[:100_000]], dtype=np.int64)
