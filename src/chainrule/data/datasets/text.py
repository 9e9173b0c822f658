"""Text for character-level language models: a vocabulary of characters (CharVocab), a document
cut into (context, next characters) windows (CharWindows), a file of lines in makemore's form, one
item per line between start and end tokens (CharLines), a UTF-8 file read with clear errors
(read_text), and the corpora chainrule ships, by name (load_corpus)."""
import importlib.resources
import pathlib

from chainrule.backend import int64, xp
from chainrule.data.dataset import Dataset
from chainrule.tensor import Tensor

# The corpora in corpora/ (their sources and licences are in corpora/README.md).
CORPORA = {"names": "names.txt", "shakespeare": "tinyshakespeare.txt"}

# What CharLines puts in the targets past a line's end: CrossEntropyLoss's default ignore_index,
# so that padding counts for nothing without an argument.
IGNORE_INDEX = -100


class CharVocab:
    """The characters of a text, sorted, each with its index: encode(str) -> list of ints,
    decode(ints) -> str. `len(vocab)` is the number of characters; `vocab.chars` the list."""

    def __init__(self, text):
        if not isinstance(text, str):
            raise TypeError(f"CharVocab: expected a str, got {type(text).__name__}")
        if not text:
            raise ValueError("CharVocab: the text is empty, so there is no character to index")
        self.chars = sorted(set(text))
        self.index = {char: i for i, char in enumerate(self.chars)}

    def __len__(self):
        return len(self.chars)

    def __contains__(self, char):
        return char in self.index

    def __repr__(self):
        return f"CharVocab({len(self)} characters)"

    def unknown(self, text):
        """The characters of text outside the vocabulary, sorted (empty when there are none)."""
        return sorted(set(text) - self.index.keys())

    def encode(self, text):
        """The indices of text's characters; a ValueError names any outside the vocabulary."""
        missing = self.unknown(text)
        if missing:
            raise ValueError(f"CharVocab.encode: characters outside the vocabulary: "
                             f"{''.join(missing)!r} ({len(missing)} of them)")
        return [self.index[char] for char in text]

    def decode(self, indices):
        """The text of a sequence of indices (ints, or a 1-D integer tensor)."""
        if isinstance(indices, Tensor):
            indices = indices.tolist()
        indices = [int(i) for i in indices]
        bad = [i for i in indices if not 0 <= i < len(self)]
        if bad:
            raise IndexError(f"CharVocab.decode: indices outside [0, {len(self)}): {bad}")
        return "".join(self.chars[i] for i in indices)


def _tensor(array):
    return Tensor._make(xp.asarray(array, dtype=int64))


class CharWindows(Dataset):
    """One document as (context, next characters) windows: item i is (x, y), int64 tensors of
    shape (block_size,), x the indices of characters i .. i + block_size - 1 and y those one
    further on (each position's next character), so len = len(text) - block_size.

    Args: text, the document (a str); block_size, the context length (at least 1); vocab, a
        CharVocab (by default, that of text).
    """

    def __init__(self, text, block_size, vocab=None):
        if isinstance(block_size, bool) or not isinstance(block_size, int) or block_size < 1:
            raise ValueError(f"CharWindows: block_size must be a positive int, got {block_size!r}")
        if len(text) <= block_size:
            raise ValueError(f"CharWindows: the text has {len(text)} characters, too few for one "
                             f"window of block_size {block_size} and its next character")
        self.vocab = vocab if vocab is not None else CharVocab(text)
        self.block_size = block_size
        self.data = xp.asarray(self.vocab.encode(text), dtype=int64)

    def __len__(self):
        return len(self.data) - self.block_size

    def __getitem__(self, index):
        if not -len(self) <= index < len(self):
            raise IndexError(f"CharWindows: index {index} is out of range for {len(self)} windows")
        index %= len(self)
        window = self.data[index:index + self.block_size + 1]
        return _tensor(window[:-1]), _tensor(window[1:])


class CharLines(Dataset):
    """makemore's form: one item per line (a name, a word), read between a start token and an
    end token, both the index of a boundary character that no line contains (index 0 for the
    default "\\n", unless the lines hold a control character that sorts before it).
    Item i is (x, y), int64 tensors of shape (longest line + 1,): x = [start] + line, padded
    with the start token; y = line + [end], padded with IGNORE_INDEX (-100, which
    CrossEntropyLoss ignores by default).

    Args: lines, a list of str (empty ones dropped) or one str split at newlines; boundary, the
        start/end character (makemore's '.' is a character of some corpora; "\\n" never is of a
        line); vocab, a CharVocab that contains boundary (by default, that of the lines).
    """

    def __init__(self, lines, boundary="\n", vocab=None):
        if isinstance(lines, str):
            lines = lines.splitlines()
        self.lines = [line for line in lines if line]
        if not self.lines:
            raise ValueError("CharLines: there is no non-empty line")
        holding = [line for line in self.lines if boundary in line]
        if holding:
            raise ValueError(f"CharLines: the boundary {boundary!r} occurs in a line, e.g. "
                             f"{holding[0]!r}; choose another boundary character")
        self.vocab = vocab if vocab is not None else CharVocab(boundary + "".join(self.lines))
        if boundary not in self.vocab:
            raise ValueError(f"CharLines: the vocabulary lacks the boundary {boundary!r}")
        self.boundary = self.vocab.index[boundary]
        self.max_length = max(len(line) for line in self.lines)

    def __len__(self):
        return len(self.lines)

    def __getitem__(self, index):
        if not -len(self) <= index < len(self):
            raise IndexError(f"CharLines: index {index} is out of range for {len(self)} lines")
        encoded = self.vocab.encode(self.lines[index])
        size = self.max_length + 1
        x = xp.full(size, self.boundary, dtype=int64)
        y = xp.full(size, IGNORE_INDEX, dtype=int64)
        x[1:len(encoded) + 1] = encoded
        y[:len(encoded)] = encoded
        y[len(encoded)] = self.boundary
        return _tensor(x), _tensor(y)


def read_text(path):
    """The text of a UTF-8 file, with clear errors for a missing, empty, non-UTF-8 or binary
    (NUL-holding) file and for a directory."""
    path = pathlib.Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"read_text: {str(path)!r} is a directory; expected a text file")
    if not path.exists():
        raise FileNotFoundError(f"read_text: no such file: {str(path)!r}")
    if not path.is_file():   # reading a device such as /dev/zero or a pipe might never end
        raise ValueError(f"read_text: {str(path)!r} is not a regular file (a device, pipe or "
                         f"socket); expected a text file")
    data = path.read_bytes()
    if not data:
        raise ValueError(f"read_text: the file {str(path)!r} is empty")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"read_text: {str(path)!r} is not UTF-8 text (byte {error.start} is "
                         f"{data[error.start:error.start + 1]!r}); a binary file?") from None
    # Text files hold no NUL byte; binary ones (images, archives, compiled code) nearly always
    # do, even those whose bytes happen to decode as UTF-8.
    if "\x00" in text:
        raise ValueError(f"read_text: {str(path)!r} holds a NUL byte (at byte "
                         f"{data.index(0)}): a binary file, not text")
    return text


def load_corpus(name):
    """The text of a corpus chainrule ships: "names" (32,033 first names, one per line) or
    "shakespeare" (tiny Shakespeare, 1.1 MB)."""
    if name not in CORPORA:
        raise ValueError(f"load_corpus: unknown corpus {name!r}; known: {', '.join(CORPORA)}")
    resource = importlib.resources.files("chainrule.data.datasets") / "corpora" / CORPORA[name]
    with importlib.resources.as_file(resource) as path:
        return read_text(path)
