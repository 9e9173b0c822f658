"""MNIST-1D (Greydanus, "Scaling Down Deep Learning", 2020): 40-point signals of the ten digits,
made locally by the mnist1d package's own generator and cached on disk as plain arrays (.npz)."""
import contextlib
import hashlib
import json
import os
import random
import warnings
import zipfile

from chainrule.backend import float32, int64, xp
from chainrule.data.dataset import TensorDataset
from chainrule.tensor import Tensor
from chainrule.utils.files import write_atomically

SPLITS = ("train", "test")
LENGTH, CLASSES = 40, 10
# Bump when what the cache holds changes, so an old file is never read as a new one.
_FORMAT = 1
_ARRAYS = ("x", "y", "x_test", "y_test", "t", "permutation",
           "templates_x", "templates_t", "templates_y")


class MNIST1D(TensorDataset):
    """One split of MNIST-1D as a Dataset: sample n is (x_n, y_n), a float32 tensor of shape (40,)
    and an int64 label in 0..9, so a DataLoader batches them into (B, 40) and (B,).

    The same data as arrays: `.x` (N, 40) float32, `.y` (N,) int64; `.t` are the 40 positions'
    coordinates (for plotting, as the package's plot_signals); `.permutation` is the order of the
    positions (the identity unless shuffled: `.x == unshuffled.x[:, permutation]`).
    """

    def __init__(self, x, y, t, permutation, split, shuffled):
        self.x, self.y, self.t, self.permutation = x, y, t, permutation
        self.split, self.shuffled = split, shuffled
        super().__init__(Tensor._make(x), Tensor._make(y))

    def __repr__(self):
        return f"MNIST1D(split={self.split!r}, n={len(self)}, shuffled={self.shuffled})"


def mnist1d(split="train", shuffled=False, root=None, seed=42):
    """One split of MNIST-1D: 4000 training or 1000 test signals of length 40 (the paper's sizes).

    Args:
        split: "train" or "test".
        shuffled: if True, the 40 positions are permuted, by one fixed permutation for every
            sample of both splits: the paper's test of spatial priors (CNN 94 % → 56 %, GRU 91 %
            → 57 %, logistic and MLP unchanged). It is the package's own convention
            (get_dataset_args().shuffle_seq = True): make_dataset draws
            np.random.permutation(40) from the global NumPy generator, seeded with `seed`, right
            after the permutation of the samples; so the samples, their order and their labels
            are those of the unshuffled data. With seed 42 it begins (19, 22, 4, 32, 17, ...).
        root: the cache folder; default $CHAINRULE_DATA, else ~/.cache/chainrule.
        seed: the generator's seed (the package's default and the paper's is 42).

    Returns an MNIST1D dataset with the arrays as `.x` (N, 40) float32 and `.y` (N,) int64.
    The data are generated once (about a second, no network) and then read from the cache.
    """
    if split not in SPLITS:
        raise ValueError(f'mnist1d: split must be "train" or "test", got {split!r}')
    return _split(_load_or_generate(root, seed), split, shuffled)


def mnist1d_splits(shuffled=False, root=None, seed=42):
    """(train, test): both splits of MNIST-1D, read once from the cache. See mnist1d."""
    arrays = _load_or_generate(root, seed)
    return tuple(_split(arrays, split, shuffled) for split in SPLITS)


def _split(arrays, split, shuffled):
    x, y = (arrays["x"], arrays["y"]) if split == "train" else (arrays["x_test"], arrays["y_test"])
    permutation = arrays["permutation"] if shuffled else xp.arange(LENGTH, dtype=int64)
    x = xp.ascontiguousarray(x[:, permutation], dtype=float32)
    return MNIST1D(x, y.astype(int64), arrays["t"], permutation, split, bool(shuffled))


def generator_arguments(seed=42):
    """The mnist1d package's get_dataset_args() as a dict, with seed set; shuffle_seq is left
    False (the cache holds the permutation instead) and url dropped (nothing is downloaded)."""
    from mnist1d.data import get_dataset_args
    arguments = get_dataset_args(as_dict=True)
    arguments.pop("url", None)
    arguments.update(seed=int(seed), shuffle_seq=False)
    return arguments


def cache_path(root=None, seed=42):
    """Where the data for these generator arguments are cached. The name carries the seed and a
    digest of every argument, the package's version and the cache format, so that a different
    generator never reads a stale file."""
    folder = root if root is not None else os.environ.get("CHAINRULE_DATA") or os.path.join(
        os.path.expanduser("~"), ".cache", "chainrule")
    key = dict(generator_arguments(seed), package=_package_version(), format=_FORMAT)
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:12]
    return os.path.join(os.fspath(folder), f"mnist1d-seed{int(seed)}-{digest}.npz")


def generate(seed=42):
    """Run the package's make_dataset with its default arguments (4000 + 1000 signals of length
    40) and return the cache's arrays, the shuffle permutation among them. The global NumPy and
    random generators, which make_dataset reseeds, are put back as they were."""
    from mnist1d.data import make_dataset
    from mnist1d.utils import ObjectView
    with _global_generators_restored():
        data = make_dataset(ObjectView(generator_arguments(seed)))
        # the draw make_dataset makes next when shuffle_seq is True (mnist1d/data.py)
        permutation = xp.random.permutation(LENGTH)
    templates = data["templates"]
    return {"x": data["x"], "y": data["y"], "x_test": data["x_test"], "y_test": data["y_test"],
            "t": data["t"], "permutation": permutation.astype(int64), "templates_x": templates["x"],
            "templates_t": templates["t"], "templates_y": templates["y"]}


def _load_or_generate(root, seed):
    path = cache_path(root, seed)
    if os.path.exists(path):
        try:
            return _read(path)
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
            warnings.warn(f"mnist1d: the cache file {path} is unreadable ({error}); "
                          f"regenerating it", RuntimeWarning, stacklevel=3)
    arrays = generate(seed)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    write_atomically(path, lambda temporary: _write(temporary, arrays))
    return arrays


def _write(path, arrays):
    with open(path, "wb") as file:   # a file object: savez would append ".npz" to a name
        xp.savez(file, **arrays)


def _read(path):
    """The cached arrays, checked: plain arrays only (allow_pickle=False) of the expected shapes,
    labels in 0..9 and a true permutation; anything else raises ValueError."""
    with xp.load(path, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in _ARRAYS}
    shapes = {"x": (None, LENGTH), "x_test": (None, LENGTH), "t": (LENGTH,),
              "permutation": (LENGTH,)}
    for name, shape in shapes.items():
        got = arrays[name].shape
        if len(got) != len(shape) or any(s is not None and s != g for s, g in zip(shape, got)):
            raise ValueError(f"{name} has shape {got}")
    for x, y in (("x", "y"), ("x_test", "y_test")):
        labels = arrays[y]
        if labels.shape != (arrays[x].shape[0],) or labels.dtype.kind not in "iu" or (
                labels.size and (labels.min() < 0 or labels.max() >= CLASSES)):
            raise ValueError(f"{y} are not {arrays[x].shape[0]} labels in 0..9")
    if not xp.array_equal(xp.sort(arrays["permutation"]), xp.arange(LENGTH)):
        raise ValueError("permutation is not a permutation of the 40 positions")
    return arrays


def _package_version():
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("mnist1d")
    except PackageNotFoundError:
        return "unknown"


@contextlib.contextmanager
def _global_generators_restored():
    numpy_state, python_state = xp.random.get_state(), random.getstate()
    try:
        yield
    finally:
        xp.random.set_state(numpy_state)
        random.setstate(python_state)
