"""The text of a character-level language model's run, split: training and validation pairs
(x, y) in lines mode (makemore's: one item per line) or document mode (one text cut by position),
random training batches, the validation loss, and the unigram and bigram baselines' losses."""
import dataclasses

from chainrule import creation
from chainrule.backend import int64, xp
from chainrule.data.datasets.text import IGNORE_INDEX, CharLines, CharVocab
from chainrule.grad_mode import no_grad
from chainrule.models.ngram import Bigram, Unigram
from chainrule.nn.functional import cross_entropy
from chainrule.random import Generator, rng

# Lines mode holds every line padded to the longest: a text with longer lines is a document.
MAX_LINE = 1000


@dataclasses.dataclass
class Corpus:
    """A text cut into training and validation pairs (x, y) of int64 arrays (B, T), x[:, t] the
    character before y[:, t]; in document mode the training text stays whole (`train_text`,
    its indices) and windows are cut from it at random."""
    vocab: CharVocab
    lines: bool
    block_size: int
    val_x: object
    val_y: object
    train_x: object = None      # lines mode
    train_y: object = None
    train_text: object = None   # document mode


def split(text, lines, block_size=64, val_fraction=0.1, seed=0):
    """The Corpus of text. Lines mode (makemore's): one item per non-empty line, the lines
    shuffled (by seed) and val_fraction of them held out. Document mode: the last val_fraction
    of the text held out, cut into windows of block_size. The vocabulary is the whole text's."""
    if not 0 < val_fraction < 1:
        raise ValueError(f"charlm.split: val_fraction must be in (0, 1), got {val_fraction!r}")
    if lines:
        return _split_lines(text, val_fraction, seed)
    return _split_document(text, block_size, val_fraction)


def _split_lines(text, val_fraction, seed):
    items = [line for line in text.splitlines() if line]
    if len(items) < 2:
        raise ValueError(f"charlm.split: lines mode needs at least 2 non-empty lines (one to "
                         f"train on, one to validate), the text has {len(items)}")
    longest = max(len(item) for item in items)
    if longest > MAX_LINE:
        raise ValueError(f"charlm.split: lines mode pads every line to the longest, which has "
                         f"{longest:,} characters (at most {MAX_LINE:,}); this text is one "
                         f"document (--document)")
    everything = CharLines(items)   # its vocabulary: "\n" (the boundary) and the lines' chars
    x, y = (xp.stack(column) for column in zip(*((a.array, b.array) for a, b in everything)))
    order = rng(Generator().manual_seed(seed), "charlm.split").permutation(len(items))
    held = max(1, round(val_fraction * len(items)))
    val, train = order[:held], order[held:]
    return Corpus(everything.vocab, True, x.shape[1], x[val], y[val], x[train], y[train])


def _split_document(text, block_size, val_fraction):
    if isinstance(block_size, bool) or not isinstance(block_size, int) or block_size < 1:
        raise ValueError(f"charlm.split: block_size must be a positive int, got {block_size!r}")
    cut = int(len(text) * (1 - val_fraction))
    if min(cut, len(text) - cut) <= block_size:
        raise ValueError(f"charlm.split: the text has {len(text)} characters, too few for a "
                         f"training part and a {val_fraction:g} validation part each longer "
                         f"than block_size {block_size}; give a longer text or --lines")
    vocab = CharVocab(text)
    data = xp.asarray(vocab.encode(text), dtype=int64)
    train, val = data[:cut], data[cut:]
    windows = (len(val) - 1) // block_size   # non-overlapping, each with its next characters
    starts = xp.arange(windows)[:, None] * block_size + xp.arange(block_size + 1)
    pieces = val[starts]
    return Corpus(vocab, False, block_size, pieces[:, :-1], pieces[:, 1:], train_text=train)


def baselines(corpus, alpha=1.0):
    """The unigram's and the bigram's validation loss (nats per character), fitted by counting
    the training pairs with add-alpha smoothing (models/ngram.py)."""
    if corpus.lines:
        x, y = corpus.train_x, corpus.train_y
    else:
        x, y = corpus.train_text[:-1], corpus.train_text[1:]
    size = len(corpus.vocab)
    return {name: model(size, alpha).fit(x, y).loss(corpus.val_x, corpus.val_y)
            for name, model in (("unigram", Unigram), ("bigram", Bigram))}


def validation_loss(model, corpus, batch_size=512):
    """The model's mean loss on the validation pairs, nats per character (padding ignored)."""
    model.eval()
    total, count = 0.0, 0
    with no_grad():
        for start in range(0, len(corpus.val_x), batch_size):
            x = creation.tensor(corpus.val_x[start:start + batch_size])
            y = corpus.val_y[start:start + batch_size]
            logits = model(x)
            total += cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                   creation.tensor(y.reshape(-1)), reduction="sum").item()
            count += int((y != IGNORE_INDEX).sum())
    model.train()
    return total / count


def training_batch(corpus, batch_size, draw):
    """(x, y) tensors of batch_size random training items (lines) or windows (document)."""
    if corpus.lines:
        pick = draw.integers(0, len(corpus.train_x), batch_size)
        return creation.tensor(corpus.train_x[pick]), creation.tensor(corpus.train_y[pick])
    starts = draw.integers(0, len(corpus.train_text) - corpus.block_size, batch_size)
    pieces = corpus.train_text[starts[:, None] + xp.arange(corpus.block_size + 1)]
    return creation.tensor(pieces[:, :-1]), creation.tensor(pieces[:, 1:])
