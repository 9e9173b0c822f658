"""DataLoader(num_workers=N): real worker processes give torch's batches in the sampler's order
whatever their speed, seeded as torch seeds them, with get_worker_info and worker_init_fn; a
worker's exception comes back with its traceback; workers stop at the epoch's end, on break, on
errors and at garbage collection, and never hang (each test runs under an alarm)."""
import gc
import os
import signal
import time

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.utils.data import DataLoader, TensorDataset, get_worker_info
from tests.data.workers_data import (
    Failing, GraphSample, Pids, Probe, Sleepy, Stream, TensorSamples, record_init)

ALARM_SECONDS = 60


@pytest.fixture(autouse=True)
def no_hang():
    def fail(signum, frame):
        raise TimeoutError(f"the test ran past {ALARM_SECONDS} s: a worker hangs?")
    previous = signal.signal(signal.SIGALRM, fail)
    signal.alarm(ALARM_SECONDS)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def _gone(pids, within=10.0):
    """True once no process of pids exists, not even as a zombie."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not any(os.path.exists(f"/proc/{pid}") for pid in pids):
            return True
        time.sleep(0.05)
    return False


def _samples(loader):
    return [sample for batch in loader
            for sample in (batch.tolist() if isinstance(batch, cr.Tensor) else batch)]


def test_batches_come_back_in_sampler_order_whatever_the_worker_speed():
    for slow in (0, 1):
        samples = _samples(DataLoader(Probe(12, slow_worker=slow), batch_size=2, num_workers=2,
                                      collate_fn=list))
        assert [s[0] for s in samples] == list(range(12))
        assert [s[1] for s in samples] == [0, 0, 1, 1] * 3   # batches dealt round robin
    ordered = DataLoader(TensorDataset(cr.arange(10)), batch_size=3, shuffle=True, generator=4)
    in_workers = DataLoader(TensorDataset(cr.arange(10)), batch_size=3, shuffle=True,
                            generator=4, num_workers=2)
    assert [b[0].tolist() for b in in_workers] == [b[0].tolist() for b in ordered]


def test_worker_info_and_worker_init_fn():
    assert get_worker_info() is None
    dataset = Probe(8, delay=0)
    samples = _samples(DataLoader(dataset, batch_size=2, num_workers=2, collate_fn=list,
                                  worker_init_fn=record_init))
    pids = {s[1]: s[2] for s in samples}
    assert len(pids) == 2 and os.getpid() not in pids.values()
    for index, worker, _pid, _draw, _np_draw, seed, init_calls in samples:
        assert init_calls == ((worker, worker, 2),)     # called once, in this worker, with its id
    seeds = {s[1]: s[5] for s in samples}
    assert seeds[1] == seeds[0] + 1                   # base_seed + worker_id
    assert get_worker_info() is None


def test_workers_seed_the_global_generators_from_the_loader_generator():
    def epoch(loader):
        return [(s[1], s[3], s[4], s[5]) for s in _samples(loader)]
    loader = DataLoader(Probe(8, delay=0), batch_size=2, num_workers=2, collate_fn=list,
                        generator=cr.Generator().manual_seed(7))
    first, second = epoch(loader), epoch(loader)
    again = epoch(DataLoader(Probe(8, delay=0), batch_size=2, num_workers=2, collate_fn=list,
                             generator=cr.Generator().manual_seed(7)))
    assert first == again                            # reproducible from the loader's generator
    assert first != second                           # a new base seed each epoch
    worker0 = [s for s in first if s[0] == 0]
    worker1 = [s for s in first if s[0] == 1]
    assert worker0[0][1] != worker1[0][1] and worker0[0][2] != worker1[0][2]   # draw differently
    cr.manual_seed(worker0[0][3])                    # chainrule's generator seeded as torch's
    assert float(cr.rand(1).item()) == worker0[0][1]
    cr.manual_seed(3)
    unseeded = epoch(DataLoader(Probe(8, delay=0), batch_size=2, num_workers=2, collate_fn=list))
    cr.manual_seed(3)                                # no generator: the global one decides
    assert epoch(DataLoader(Probe(8, delay=0), batch_size=2, num_workers=2,
                            collate_fn=list)) == unseeded


def test_persistent_workers_live_across_epochs():
    loader = DataLoader(Pids(), batch_size=8, num_workers=2, persistent_workers=True,
                        prefetch_factor=3, pin_memory=True, timeout=30)
    epochs = [set(_samples(loader)) for _ in range(3)]
    assert epochs[0] == epochs[1] == epochs[2] and len(epochs[0]) == 2
    for batch in loader:       # an epoch left early: the next one starts afresh
        break
    assert len(_samples(loader)) == 64
    pids = epochs[0]
    del loader, batch
    gc.collect()
    assert _gone(pids)
    fresh = DataLoader(Pids(), batch_size=8, num_workers=2)
    first, second = set(_samples(fresh)), set(_samples(fresh))
    assert first.isdisjoint(second)                 # new workers each epoch
    assert _gone(first | second)


def test_workers_stop_on_break_on_errors_and_at_garbage_collection():
    iterator = iter(DataLoader(Pids(), batch_size=2, num_workers=2))
    pids = set(next(iterator).tolist()) | set(next(iterator).tolist())
    del iterator                                    # garbage: its workers stop
    assert _gone(pids)

    seen = set()
    for batch in DataLoader(Pids(), batch_size=2, num_workers=2):
        seen.update(batch.tolist())
        if len(seen) == 2:
            break
    gc.collect()
    assert _gone(seen)

    def fail_in_the_loop_body():
        for batch in DataLoader(Pids(), batch_size=2, num_workers=2):
            seen.update(batch.tolist())
            raise ZeroDivisionError
    seen.clear()
    with pytest.raises(ZeroDivisionError):
        fail_in_the_loop_body()
    assert seen and _gone(seen)


def test_a_worker_exception_is_raised_with_its_traceback_as_torch_does():
    with pytest.raises(ValueError) as theirs:
        list(torch.utils.data.DataLoader(Failing(ValueError("bad sample 3")), batch_size=2,
                                         num_workers=2))
    with pytest.raises(ValueError) as ours:
        list(DataLoader(Failing(ValueError("bad sample 3")), batch_size=2, num_workers=2))
    first_line = "Caught ValueError in DataLoader worker process 1.\nOriginal Traceback"
    assert str(theirs.value).startswith(first_line) and str(ours.value).startswith(first_line)
    assert "raise self.error" in str(ours.value) and "workers_data.py" in str(ours.value)
    assert str(ours.value).rstrip().endswith("ValueError: bad sample 3")


@pytest.mark.parametrize("error, expected", [
    (KeyError("missing"), KeyError),
    (UnicodeDecodeError("utf-8", b"\xff", 0, 1, "bad byte"), RuntimeError),  # needs 5 arguments
])
def test_exception_types_that_cannot_be_rebuilt_become_runtime_errors(error, expected):
    with pytest.raises(expected, match=f"Caught {type(error).__name__} in DataLoader worker"):
        list(DataLoader(Failing(error), batch_size=2, num_workers=2))


def test_an_error_in_one_batch_leaves_the_iterator_usable_as_torch_does():
    iterator = iter(DataLoader(Failing(ValueError("3")), batch_size=2, num_workers=2))
    assert next(iterator).tolist() == [0, 1]
    with pytest.raises(ValueError):
        next(iterator)
    assert [b.tolist() for b in iterator] == [[4, 5], [6, 7]]


def test_worker_init_fn_errors_and_unpicklable_batches_are_named():
    def broken_init(worker_id):
        raise OSError(f"no such shard {worker_id}")
    with pytest.raises(OSError, match="(?s)Caught OSError in DataLoader worker process 0.*"
                                      "no such shard 0"):
        list(DataLoader(Pids(), batch_size=2, num_workers=2, worker_init_fn=broken_init))
    iterator = iter(DataLoader(Pids(), batch_size=2, num_workers=2, worker_init_fn=broken_init))
    for worker in (0, 1, 0):   # each batch names the failed set-up, not a later symptom
        with pytest.raises(OSError, match=f"no such shard {worker}"):
            next(iterator)
    with pytest.raises(Exception, match="(?s)in DataLoader worker process 0.*pickle"):
        list(DataLoader(Pids(), batch_size=2, num_workers=2,
                        collate_fn=lambda batch: lambda: batch))
    with pytest.raises(RuntimeError, match="cannot send a Tensor made by .* detach"):
        list(DataLoader(GraphSample(), batch_size=None, num_workers=2))


def test_tensors_cross_between_processes_as_arrays():
    batches = list(DataLoader(TensorSamples(), batch_size=4, num_workers=2))
    assert [b["y"].tolist() for b in batches] == [[0, 1, 2, 3], [4, 5]]
    assert batches[0]["x"].dtype == cr.float32 and batches[1]["x"].tolist() == [[4, 4], [5, 5]]
    data = TensorDataset(cr.arange(6.0), cr.arange(6))
    assert [b[1].tolist() for b in DataLoader(data, batch_size=4, num_workers=2)] == [
        [0, 1, 2, 3], [4, 5]]


class TorchStream(torch.utils.data.IterableDataset):
    """Stream's twin for torch, splitting by torch's get_worker_info."""

    def __init__(self, start, stop, split):
        self.start, self.stop, self.split = start, stop, split

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        if not self.split or info is None:
            return iter(range(self.start, self.stop))
        per_worker = -(-(self.stop - self.start) // info.num_workers)
        first = self.start + info.id * per_worker
        return iter(range(first, min(first + per_worker, self.stop)))


@pytest.mark.parametrize("split", [False, True])
def test_iterable_datasets_in_workers_match_torch(split):
    for batch_size, drop_last in ((2, False), (2, True), (None, False)):
        ours = DataLoader(Stream(0, 7, split), batch_size=batch_size, drop_last=drop_last,
                          num_workers=2)
        theirs = torch.utils.data.DataLoader(TorchStream(0, 7, split), batch_size=batch_size,
                                             drop_last=drop_last, num_workers=2)
        assert [_plain(b) for b in ours] == [_plain(b) for b in theirs]


def _plain(batch):
    return batch.tolist() if hasattr(batch, "tolist") else batch


def test_a_dead_worker_and_a_timeout_are_errors_not_hangs():
    iterator = iter(DataLoader(Pids(), batch_size=2, num_workers=2, persistent_workers=True))
    pids = set(next(iterator).tolist())
    os.kill(pids.pop(), signal.SIGKILL)
    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid .*killed by signal "
                                           r"SIGKILL.*\) exited unexpectedly"):
        list(iterator)
    start = time.monotonic()
    with pytest.raises(RuntimeError, match="DataLoader timed out after 0.3 seconds"):
        list(DataLoader(Sleepy(5), batch_size=1, num_workers=2, timeout=0.3))
    assert time.monotonic() - start < 4   # the stuck workers are terminated, not waited for


def test_spawn_start_method():
    loader = DataLoader(Probe(6, delay=0), batch_size=2, num_workers=2, collate_fn=list,
                        multiprocessing_context="spawn")
    assert [s[0] for s in _samples(loader)] == list(range(6))
    with pytest.raises(RuntimeError, match="'spawn' start method pickles the dataset"):
        list(DataLoader(Pids(), num_workers=1, multiprocessing_context="spawn",
                        collate_fn=lambda batch: batch))


class FaceLandmarks:
    """As in PyTorch's data-loading tutorial: dict samples of NumPy arrays, transformed."""

    def __init__(self, n, transform=None):
        rng = np.random.default_rng(0)
        self.images = rng.random((n, 3, 8, 8)).astype(np.float32)
        self.landmarks = rng.random((n, 5, 2))
        self.transform = transform

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        sample = {"image": self.images[i], "landmarks": self.landmarks[i], "index": i}
        return self.transform(sample) if self.transform else sample


def flip(sample):
    return dict(sample, image=sample["image"][:, :, ::-1].copy())


def test_the_tutorials_dict_dataset_in_workers_matches_torch():
    options = dict(batch_size=4, shuffle=False, num_workers=2)
    ours = list(DataLoader(FaceLandmarks(10, flip), pin_memory=True, **options))
    theirs = list(torch.utils.data.DataLoader(FaceLandmarks(10, flip), **options))
    assert len(ours) == len(theirs) == 3
    for mine, reference in zip(ours, theirs):
        assert mine.keys() == reference.keys()
        for key in reference:
            np.testing.assert_array_equal(mine[key].numpy(), reference[key].numpy())
            assert mine[key].dtype == reference[key].numpy().dtype
