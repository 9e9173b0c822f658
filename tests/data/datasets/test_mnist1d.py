"""MNIST-1D: the paper's shapes, the package's own data and shuffle, a plain-array cache that
survives corruption, and batches from the DataLoader."""
import importlib
import io
import os

import numpy as np
import pytest

import chainrule as cr
from chainrule.data.datasets.mnist1d import cache_path, generate, mnist1d, mnist1d_splits

# the package exports the function of the same name, so the module is taken by its full name
module = importlib.import_module("chainrule.data.datasets.mnist1d")


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return tmp_path_factory.mktemp("mnist1d")


@pytest.fixture(scope="module")
def splits(root):
    return mnist1d_splits(root=root)


@pytest.fixture(scope="module")
def shuffled_splits(root, splits):   # after splits: read from the cache they wrote
    return mnist1d_splits(shuffled=True, root=root)


def test_the_papers_shapes_dtypes_and_balanced_labels(splits):
    for dataset, n in zip(splits, (4000, 1000)):
        assert dataset.x.shape == (n, 40) and dataset.x.dtype == np.float32
        assert dataset.y.shape == (n,) and dataset.y.dtype == np.int64
        counts = np.bincount(dataset.y, minlength=10)
        assert len(counts) == 10 and counts.min() > 0.08 * n and counts.max() < 0.12 * n
    train, test = splits
    assert (train.split, test.split, train.shuffled) == ("train", "test", False)
    np.testing.assert_array_equal(train.permutation, np.arange(40))
    # make_dataset standardises the whole set: mean 0, standard deviation 1
    every = np.concatenate([train.x, test.x]).astype(np.float64)
    assert abs(every.mean()) < 1e-6 and abs(every.std() - 1) < 1e-6


def test_it_is_the_packages_data_and_generating_is_deterministic_and_tidy(splits, monkeypatch):
    import requests
    from mnist1d.data import get_dataset_args, make_dataset
    monkeypatch.setattr(requests, "get", _no_network)   # the package's get_dataset downloads
    np.random.seed(7)
    before = np.random.get_state()[1].copy()
    fresh = generate()   # a second build equals the one cached by the fixture
    np.testing.assert_array_equal(np.random.get_state()[1], before)   # global RNG put back
    train, test = splits
    np.testing.assert_array_equal(fresh["x"].astype(np.float32), train.x)
    np.testing.assert_array_equal(fresh["y_test"], test.y)
    package = make_dataset(get_dataset_args())   # the package's defaults: seed 42, 40 points
    np.testing.assert_array_equal(package["x"], fresh["x"])
    np.testing.assert_array_equal(package["y"], fresh["y"])
    np.testing.assert_array_equal(package["x_test"], fresh["x_test"])


def test_shuffled_is_one_permutation_for_every_sample_and_both_splits(splits, shuffled_splits):
    from mnist1d.data import get_dataset_args, make_dataset
    permutation = shuffled_splits[0].permutation
    assert sorted(permutation) == list(range(40)) and not np.array_equal(permutation, range(40))
    np.testing.assert_array_equal(shuffled_splits[1].permutation, permutation)
    for plain, shuffled in zip(splits, shuffled_splits):
        assert shuffled.shuffled and not np.array_equal(plain.x, shuffled.x)
        np.testing.assert_array_equal(shuffled.x, plain.x[:, permutation])
        np.testing.assert_array_equal(shuffled.y, plain.y)
    args = get_dataset_args()
    args.shuffle_seq = True   # the package's own shuffle draws the same permutation
    package = make_dataset(args)
    np.testing.assert_array_equal(package["x"].astype(np.float32), shuffled_splits[0].x)
    np.testing.assert_array_equal(package["x_test"].astype(np.float32), shuffled_splits[1].x)
    assert list(permutation[:5]) == [19, 22, 4, 32, 17]   # seed 42, as the docstring says


def test_the_cache_holds_plain_arrays_and_is_read_back(root, splits, monkeypatch):
    path = cache_path(root)
    assert os.path.isfile(path) and os.path.basename(path).startswith("mnist1d-seed42-")
    assert [name for name in os.listdir(root) if name.endswith(".tmp")] == []
    with np.load(path, allow_pickle=False) as archive:   # no pickled objects inside
        assert sorted(archive.files) == sorted(module._ARRAYS)
        assert all(archive[name].dtype != object for name in archive.files)
    monkeypatch.setattr(module, "generate", _must_not_generate)
    np.testing.assert_array_equal(mnist1d("test", root=root).x, splits[1].x)


def _no_network(*args, **kwargs):
    raise AssertionError("mnist1d must not download anything")


def _must_not_generate(seed=42):
    raise AssertionError("generated again although the cache was there")


def _truncated(path):
    with open(path, "rb") as file:
        return file.read()[:1000]


def _wrong_shape(path):   # a sound .npz whose signals have 39 points
    with np.load(path, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    arrays["x"] = arrays["x"][:, :39]
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


@pytest.mark.parametrize("corrupt", [lambda path: b"not a zip file", _truncated, _wrong_shape],
                         ids=["garbage", "truncated", "wrong shape"])
def test_a_corrupt_cache_is_regenerated_with_a_warning(root, splits, tmp_path, monkeypatch,
                                                       corrupt):
    good = cache_path(root)
    with np.load(good, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    monkeypatch.setattr(module, "generate", lambda seed=42: arrays)   # skip the second of work
    path = cache_path(tmp_path)
    with open(path, "wb") as file:
        file.write(corrupt(good))
    with pytest.warns(RuntimeWarning, match="unreadable.*regenerating"):
        train = mnist1d(root=tmp_path)
    np.testing.assert_array_equal(train.x, splits[0].x)
    with np.load(path, allow_pickle=False) as archive:   # rewritten whole
        np.testing.assert_array_equal(archive["x"], arrays["x"])


def test_the_cache_folder_and_name(tmp_path, monkeypatch):
    monkeypatch.setenv("CHAINRULE_DATA", str(tmp_path / "env"))
    assert os.path.dirname(cache_path()) == str(tmp_path / "env")
    assert os.path.dirname(cache_path(tmp_path)) == str(tmp_path)   # root wins
    monkeypatch.delenv("CHAINRULE_DATA")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_path() == str(tmp_path / "home" / ".cache" / "chainrule" / os.path.basename(
        cache_path(tmp_path)))
    default = cache_path(tmp_path)
    other_seed = cache_path(tmp_path, seed=0)
    assert os.path.basename(other_seed).startswith("mnist1d-seed0-") and other_seed != default
    # every generator argument is in the name's digest, not only the seed
    arguments = module.generator_arguments()
    monkeypatch.setattr(module, "generator_arguments",
                        lambda seed=42: dict(arguments, final_seq_length=41))
    assert cache_path(tmp_path) != default


def test_batches_from_the_dataloader(splits):
    train = splits[0]
    x, y = train[3]
    assert x.shape == (40,) and x.dtype == cr.float32 and y.item() == train.y[3]
    batches = list(cr.data.DataLoader(train, batch_size=100))
    assert len(batches) == 40
    assert batches[0][0].shape == (100, 40) and batches[0][1].dtype == cr.int64
    np.testing.assert_array_equal(batches[1][0].numpy(), train.x[100:200])


def test_a_bad_split_is_named():
    with pytest.raises(ValueError, match='split must be "train" or "test"'):
        mnist1d("validation")
