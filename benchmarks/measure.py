"""How the benchmarks measure: thread limits, the machine's description, interleaved timing rounds
with busy rounds dropped, and a step's peak resident memory in a fresh process."""
import argparse
import gc
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

import numpy as np  # imported before threadpoolctl looks, so it sees NumPy's BLAS
import threadpoolctl

LIBRARIES = ("chainrule", "torch")
BUSY = 1.5   # a round slower than 1.5x its library's best round ran on a busy machine


def import_library(name):
    if name == "torch":
        import torch
        return torch
    import chainrule
    return chainrule


def limit_threads(threads, torch=None):
    """The same thread count for NumPy's BLAS (threadpoolctl) and torch (set_num_threads). Returns
    the threadpoolctl limiter: keep it alive while measuring."""
    limiter = threadpoolctl.threadpool_limits(limits=threads)
    if torch is not None:
        torch.set_num_threads(threads)
    return limiter


def denormals():
    """Whether this thread's floating point flushes denormals (FTZ/DAZ in the SSE control
    register, as torch.set_flush_denormal(True) or an optimiser that sets them would leave it):
    the batch-1 workload's speed depends on it, for both libraries in this process."""
    tiny = np.finfo(np.float32).tiny
    produced = np.array([tiny], dtype=np.float32) * np.float32(0.5)
    denormal = np.array([0x00200000], dtype=np.uint32).view(np.float32)   # made from its bits
    read = denormal * np.float32(1.0)
    flushed = [name for name, value in (("FTZ", produced), ("DAZ", read)) if value[0] == 0]
    return f"denormals flushed ({'+'.join(flushed)})" if flushed else "denormals kept"


def describe_source(chainrule):
    """Which chainrule is measured: its folder and git commit, and whether files differ from it."""
    folder = os.path.dirname(os.path.abspath(chainrule.__file__))

    def git(*arguments):
        result = subprocess.run(["git", "-C", folder, *arguments], capture_output=True,
                                text=True, timeout=30, check=False)
        return result.stdout.strip() if result.returncode == 0 else None
    commit = git("rev-parse", "--short", "HEAD")
    if commit is None:
        return f"chainrule from {folder} (not a git checkout)"
    dirty = git("status", "--porcelain", "--untracked-files=no", "--", ".")
    return (f"chainrule from {folder} at commit {commit}"
            f"{' with uncommitted changes' if dirty else ''}")


def describe_machine(torch):
    """Header lines: versions, the BLAS and OpenMP libraries with their thread counts, the load."""
    lines = [(f"python {platform.python_version()}, numpy {np.__version__}, "
              f"torch {torch.__version__} ({torch.get_num_threads()} threads), "
              f"{os.cpu_count()} CPUs, {platform.machine()}; {denormals()}")]
    for pool in threadpoolctl.threadpool_info():
        lines.append(f"  {pool['user_api']:7} {pool['internal_api']:9} {pool.get('version') or '':8}"
                     f" {pool['num_threads']} threads  {os.path.basename(pool['filepath'])}")
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    lines.append(f"load average (1, 5, 15 min): {load}")
    return lines


def per_step(step, steps):
    """(wall, CPU) seconds per step over `steps` consecutive calls. CPU is the process's time
    (all its threads): with one thread it is the work done, whatever else the machine runs. The
    garbage of earlier rounds is collected first, outside the timing, so that one library's
    cycles are not charged to the other."""
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(steps):
        step()
    return (time.perf_counter() - wall) / steps, (time.process_time() - cpu) / steps


def calibrate(step, seconds):
    """Steps per round so that a round lasts about `seconds` (after a warm-up of a few steps)."""
    for _ in range(2):
        step()
    estimate = per_step(step, 3)[0]
    if estimate * 3 < 0.02:
        estimate = per_step(step, max(3, int(0.02 / max(estimate, 1e-7))))[0]
    return max(1, round(seconds / max(estimate, 1e-7)))


def interleave(steps, rounds, seconds):
    """Time rounds alternating the libraries (chainrule, torch, torch, chainrule, chainrule ...);
    steps maps a library name to its step. Returns {library: [(wall, CPU) seconds per step, one pair per round]}.

    What exists before the first round (both libraries' modules, the models, the data) is moved
    to the collector's permanent generation (gc.freeze): otherwise every full collection in a
    chainrule step would walk torch's objects too, which a chainrule program does not have, and
    the gc.collect before each round would cost half a second."""
    gc.collect()
    gc.freeze()
    counts = {name: calibrate(step, seconds) for name, step in steps.items()}
    times = {name: [] for name in steps}
    names = list(steps)
    for round_ in range(rounds):
        # ABBA: the library that goes first alternates, so neither always follows the other
        for name in names if round_ % 2 == 0 else names[::-1]:
            times[name].append(per_step(steps[name], counts[name]))
    return times


def summarize(times, clock):
    """Median per-step times on `clock` ("cpu" or "wall"), the ratio torch/chainrule (above 1:
    chainrule faster) over the kept rounds, with its min and max. A round pair is dropped as busy
    when either library's round took over BUSY times that library's best round (symmetric, so it
    favours neither; the least busy pair is kept if none passes). share: the median CPU share of
    the rounds' wall time (under 100 %: the process waited for a core)."""
    index = 1 if clock == "cpu" else 0
    ours = [t[index] for t in times["chainrule"]]
    theirs = [t[index] for t in times["torch"]]
    best_ours, best_theirs = min(ours), min(theirs)
    scores = [max(o / best_ours, t / best_theirs) for o, t in zip(ours, theirs)]
    kept = [(o, t) for o, t, s in zip(ours, theirs, scores) if s <= BUSY]
    if not kept:
        kept = [min(zip(ours, theirs, scores), key=lambda row: row[2])[:2]]
    ratios = sorted(t / o for o, t in kept)
    shares = [cpu / wall for rounds in times.values() for wall, cpu in rounds]
    return {"chainrule": statistics.median(o for o, _ in kept),
            "torch": statistics.median(t for _, t in kept),
            "ratio": statistics.median(ratios), "low": ratios[0], "high": ratios[-1],
            "kept": len(kept), "rounds": len(ours), "share": statistics.median(shares)}


# ---- peak resident memory, in a fresh process per (library, workload) -------------------------

def resident_bytes():
    with open("/proc/self/statm") as file:
        return int(file.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def reset_peak():
    """Reset the kernel's high-water mark (Linux >= 4.0: write 5 to clear_refs). False where it
    cannot: then the peak since the process began is used, which may include the imports."""
    try:
        with open("/proc/self/clear_refs", "w") as file:
            file.write("5")
        return True
    except OSError:
        return False


def peak_bytes():
    try:
        with open("/proc/self/status") as file:
            for line in file:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def peak_growth(case, steps=5):
    """(growth, peak) bytes: how much the peak resident set grew over `steps` steps from the RSS
    after imports and the build of the model, data and optimizer; and the process's peak."""
    gc.collect()
    baseline = resident_bytes()
    reset_peak()
    for _ in range(steps):
        case.step()
    peak = peak_bytes()
    return max(0, peak - baseline), peak


def measure_in_child(script, library, workloads, threads):
    """{workload: (growth, peak) bytes}: `script --memory-of library workloads...` in a fresh interpreter,
    which imports the library once and forks a fresh child per workload (memory_children)."""
    command = [sys.executable, script, "--memory-of", library, *workloads,
               "--threads", str(threads)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    if result.returncode != 0:
        raise RuntimeError(result.stderr.strip()[-500:] or "failed")
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    return {row["workload"]: (row["growth"], row["peak"]) for row in rows if "growth" in row}


def memory_children(L, workloads, build, threads):
    """For each workload, a child forked from this process (which has imported L and built
    nothing) builds it and measures its peak growth; prints one JSON line per workload. Forking
    saves the imports; the child starts with no workload's memory in its allocator."""
    gc.collect()
    gc.freeze()   # the imports' objects: the children share them and the collector skips them
    for name in workloads:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read)
            try:
                growth, peak = peak_growth(build(name, L))
                row = {"growth": growth, "peak": peak}
            except Exception as error:  # noqa: BLE001 (any failure: reported, shown as n/a)
                row = {"error": f"{type(error).__name__}: {error}"}
            os.write(write, json.dumps(row).encode())
            os._exit(0)
        os.close(write)
        with os.fdopen(read) as pipe:
            row = json.loads(pipe.read() or '{"error": "the child died"}')
        os.waitpid(pid, 0)
        print(json.dumps({"workload": name, **row}), flush=True)


def positive(kind):
    """An argparse type: a number of this kind above 0 (0 rounds or threads would time nothing)."""
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or not value > 0:
            raise argparse.ArgumentTypeError(f"expected a positive {kind.__name__}, got {text!r}")
        return value
    return parse
