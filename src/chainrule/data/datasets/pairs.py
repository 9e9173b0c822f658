"""Sentence pairs for translation: a tab-separated file read with clear errors (read_pairs, the
Tatoeba export's form), the two tokenisers (words, characters), a vocabulary with the four special
tokens (Vocab) and padded batches of token indices (PairBatcher)."""
import random
import re

from chainrule.backend import int64, xp
from chainrule.data.datasets.text import read_text
from chainrule.tensor import Tensor

# The special tokens, at these indices in every Vocab.
PAD, BOS, EOS, UNK = 0, 1, 2, 3
SPECIALS = ("<pad>", "<bos>", "<eos>", "<unk>")

# A word is a run of letters/digits; every other visible character is a token of its own, so
# "twenty-one" -> twenty - one and "Go." -> Go .
_WORD = re.compile(r"\w+|[^\w\s]")


def words(text):
    """The word tokens of text: runs of letters and digits, and each punctuation mark alone."""
    return _WORD.findall(text)


def characters(text):
    """The characters of text, one token each (for the German number words, each one word)."""
    return list(text)


TOKENIZERS = {"words": words, "characters": characters}


def detokenize(tokens, tokenizer):
    """Tokens back to text: characters joined as they are, words with a space between."""
    return ("" if tokenizer == "characters" else " ").join(tokens)


def read_pairs(path):
    """(source, target) pairs from a UTF-8 file of lines "source TAB target [TAB more...]" (the
    Tatoeba exports add an attribution column, which is dropped); blank lines are skipped.
    Errors name the file and, for a bad line, its number: a missing, empty or binary file, a line
    without a tab, an empty source or target."""
    # read_text refuses a missing, empty, non-UTF-8 or binary (NUL-holding) file; a byte-order
    # mark, which Windows editors write, would stick to the first source word
    text = read_text(path).removeprefix("\ufeff")
    pairs = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) < 2:
            raise ValueError(f"read_pairs: {str(path)!r}, line {number}: no tab between source "
                             f"and target in {line[:60]!r}")
        source, target = fields[0].strip(), fields[1].strip()
        if not source or not target:
            side = "source" if not source else "target"
            raise ValueError(f"read_pairs: {str(path)!r}, line {number}: the {side} is empty")
        pairs.append((source, target))
    if not pairs:
        raise ValueError(f"read_pairs: {str(path)!r} holds no pair (only blank lines)")
    return pairs


def split_pairs(pairs, fractions=(0.8, 0.1, 0.1), seed=0):
    """pairs shuffled once with seed, then cut into (train, validation, test) by fractions."""
    # written so that a NaN fails the test (every comparison with NaN is False)
    if len(fractions) != 3 or not (min(fractions) >= 0 and abs(sum(fractions) - 1) <= 1e-9):
        raise ValueError(f"split_pairs: fractions must be three numbers >= 0 summing to 1, got "
                         f"{fractions!r}")
    shuffled = list(pairs)
    random.Random(seed).shuffle(shuffled)
    cut_train = round(fractions[0] * len(shuffled))
    cut_validation = cut_train + round(fractions[1] * len(shuffled))
    return shuffled[:cut_train], shuffled[cut_train:cut_validation], shuffled[cut_validation:]


class Vocab:
    """Tokens and their indices: the specials <pad> 0, <bos> 1, <eos> 2, <unk> 3, then the tokens
    seen at least min_count times, sorted. encode(tokens) maps an unseen token to <unk>;
    decode(indices) stops at the first <eos> and drops <pad> and <bos>."""

    def __init__(self, token_lists, min_count=1):
        counts = {}
        for tokens in token_lists:
            for token in tokens:
                counts[token] = counts.get(token, 0) + 1
        kept = sorted(token for token, count in counts.items()
                      if count >= min_count and token not in SPECIALS)
        self.tokens = list(SPECIALS) + kept
        self.index = {token: i for i, token in enumerate(self.tokens)}

    def __len__(self):
        return len(self.tokens)

    def __repr__(self):
        return f"Vocab({len(self)} tokens, 4 of them special)"

    def encode(self, tokens):
        return [self.index.get(token, UNK) for token in tokens]

    def decode(self, indices):
        tokens = []
        for i in indices:
            i = int(i)
            if not 0 <= i < len(self):
                raise IndexError(f"Vocab.decode: index {i} is outside [0, {len(self)})")
            if i == EOS:
                break
            if i not in (PAD, BOS):
                tokens.append(self.tokens[i])
        return tokens


def _pad(rows, width):
    return Tensor._make(xp.asarray([row + [PAD] * (width - len(row)) for row in rows],
                                   dtype=int64))


class PairBatcher:
    """Sentence pairs as padded index batches for a sequence-to-sequence model.

    Args: train_pairs, the (source, target) strs whose tokens make the two vocabularies;
        source_tokenizer, target_tokenizer: "words" or "characters".
    batch(pairs) gives (src, tgt_in, tgt_out), int64 tensors: src (B, S) the source indices,
        tgt_in (B, T) <bos> + target, tgt_out (B, T) target + <eos> (what tgt_in predicts), each
        right-padded with <pad> (0) to its longest row.
    """

    def __init__(self, train_pairs, source_tokenizer="words", target_tokenizer="words"):
        for name in (source_tokenizer, target_tokenizer):
            if name not in TOKENIZERS:
                raise ValueError(f"PairBatcher: unknown tokenizer {name!r}; expected one of "
                                 f"{', '.join(TOKENIZERS)}")
        if not train_pairs:
            raise ValueError("PairBatcher: no training pair to build the vocabularies from")
        self.source_tokenizer, self.target_tokenizer = source_tokenizer, target_tokenizer
        self.source_vocab = Vocab(self.source_tokens(s) for s, _ in train_pairs)
        self.target_vocab = Vocab(self.target_tokens(t) for _, t in train_pairs)

    def source_tokens(self, text):
        return TOKENIZERS[self.source_tokenizer](text)

    def target_tokens(self, text):
        return TOKENIZERS[self.target_tokenizer](text)

    def sources(self, texts):
        """The padded source indices (B, S) of a list of source strs."""
        rows = [self.source_vocab.encode(self.source_tokens(text)) for text in texts]
        if not rows or min(map(len, rows)) == 0:
            raise ValueError("PairBatcher.sources: expected non-empty source texts")
        return _pad(rows, max(map(len, rows)))

    def batch(self, pairs):
        src = self.sources([source for source, _ in pairs])
        targets = [self.target_vocab.encode(self.target_tokens(t)) for _, t in pairs]
        width = max(map(len, targets)) + 1
        return src, _pad([[BOS] + t for t in targets], width), _pad([t + [EOS] for t in targets],
                                                                    width)

    def target_text(self, indices):
        """The text of decoded target indices (stopping at <eos>)."""
        return detokenize(self.target_vocab.decode(indices), self.target_tokenizer)

    def as_written(self, target):
        """A target str as the model can write it: its tokens joined again by target_text's
        rule ("Geh!" -> "Geh !" with words; unchanged with characters). Compare translations
        with references in this form: the raw text keeps spacing the tokens drop."""
        return detokenize(self.target_tokens(target), self.target_tokenizer)
