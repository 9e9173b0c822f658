"""Data-parallel training on this machine (issue 13): samples per second of issue 12's MNIST-1D CNN
and 784 MLP trained with DistributedDataParallel in 1, 2 and 4 processes (one BLAS thread each),
the communication share of a step, and on paper the expected scaling across machines.

    .venv/bin/python benchmarks/distributed.py [WORKLOAD ...] [--processes 1 2 4] [--rounds R]
        [--seconds S]

For each N the driver launches `python -m chainrule run -n N benchmarks/distributed.py --worker
...`; every rank builds each workload through workloads.py's builder (its model, batch and SGD),
wraps the model in DistributedDataParallel (a world of one for N = 1) and times, in alternating
rounds, the synchronised step and the same step under ddp.no_sync() (the same compute without the
all-reduce). Weak scaling: each process keeps the workload's batch, so the global batch is N times
it. Protocol and results: benchmarks/README.md.
"""
import argparse
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

import measure
import workloads
from workloads import WORKLOADS

DEFAULT_WORKLOADS = ("cnn", "mlp784")
RESULT = "RESULT "          # the prefix of rank 0's JSON line, which the driver reads
THREADS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
NODES = (1, 8, 64)
# (name, bytes per second, assumed latency per message): the latencies are assumptions, typical
# of TCP over Ethernet and of RDMA (InfiniBand, RoCE); the bandwidths are the issue's
NETWORKS = (("10 Gb/s", 10e9 / 8, 25e-6), ("100 Gb/s", 100e9 / 8, 2e-6))


def parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("workloads", nargs="*", metavar="WORKLOAD",
                        help=f"workloads to run (default {' '.join(DEFAULT_WORKLOADS)})")
    parser.add_argument("--processes", type=measure.positive(int), nargs="+", default=[1, 2, 4],
                        help="process counts to launch (default 1 2 4)")
    parser.add_argument("--rounds", type=measure.positive(int), default=15,
                        help="timed rounds per mode (default 15)")
    parser.add_argument("--seconds", type=measure.positive(float), default=0.25,
                        help="seconds per round, about (default 0.25)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.workloads = args.workloads or list(DEFAULT_WORKLOADS)
    unknown = [name for name in args.workloads if name not in WORKLOADS
               or name in workloads.NO_MEMORY]   # the bare ops have no model to wrap
    if unknown:
        parser.error(f"unknown workload(s) {unknown}; choose from "
                     f"{[n for n in WORKLOADS if n not in workloads.NO_MEMORY]}")
    return args


# ---- one rank (under chainrule run -n N) ----------------------------------------------------

def worker(args):
    """Every rank times every workload; rank 0 prints one JSON line with all ranks' figures."""
    import measure
    import threadpoolctl

    import chainrule
    import chainrule.distributed as dist
    limiter = measure.limit_threads(1)  # noqa: F841 (held while measuring)
    dist.init_process_group("mpi")
    results = {name: time_workload(name, args, chainrule, dist) for name in args.workloads}
    if dist.get_rank() == 0:
        pools = [pool["num_threads"] for pool in threadpoolctl.threadpool_info()]
        print(RESULT + json.dumps({"world": dist.get_world_size(), "blas_threads": pools,
                                   "workloads": results}), flush=True)
    dist.destroy_process_group()


def time_workload(name, args, chainrule, dist):
    """{mode: [per-rank figures]} for one workload, the same on every rank, and its layout."""
    from chainrule.nn.parallel import DistributedDataParallel
    case = WORKLOADS[name][0](chainrule)
    ddp = DistributedDataParallel(case.model)
    case.step.model = ddp            # Training's step calls self.model(x): now the wrapper
    batch = len(case.step.batches[0][1])

    def no_sync():
        with ddp.no_sync():
            case.step()
    modes = {"synced": case.step, "no_sync": no_sync}
    if dist.get_world_size() == 1:   # the model without DDP: what the wrapper itself costs
        modes["plain"] = WORKLOADS[name][0](chainrule).step
    mine = interleave(modes, ddp, args, dist)
    everyone = [None] * dist.get_world_size()
    dist.all_gather_object(everyone, mine)
    return {"batch": batch, "parameters": sum(p.numel() for p in case.model.parameters()),
            "buckets": len(ddp.reducer.buckets), "ranks": everyone}


def interleave(modes, ddp, args, dist):
    """This rank's median seconds per step for each mode over the rounds, which alternate the
    modes in ABBA order (each rank the same order and step counts: the synced steps meet in
    collectives); with the synced mode's DDP communication seconds per step and CPU share."""
    gc.collect()
    gc.freeze()   # the build's objects: the collector need not walk them every round
    steps = calibrate(modes["synced"], args.seconds, dist)
    for step in modes.values():   # an untimed round each: warm-up
        run_round(step, steps, dist)
    rounds = {mode: [] for mode in modes}
    names = list(modes)
    for round_ in range(args.rounds):
        for mode in names if round_ % 2 == 0 else names[::-1]:
            comm = ddp.reducer.comm_seconds
            wall, cpu = run_round(modes[mode], steps, dist)
            rounds[mode].append((wall, cpu, (ddp.reducer.comm_seconds - comm) / steps))
    summary = {mode: statistics.median(r[0] for r in rows) for mode, rows in rounds.items()}
    summary["comm"] = statistics.median(r[2] for r in rounds["synced"])
    summary["cpu"] = statistics.median(r[1] / r[0] for r in rounds["synced"])
    summary["steps"] = steps
    return summary


def calibrate(step, seconds, dist):
    """Steps per round so that a synced round lasts about `seconds` on the slowest rank; every
    rank gets the same count."""
    for _ in range(3):
        step()
    estimate = run_round(step, 5, dist)[0]
    estimates = [None] * dist.get_world_size()
    dist.all_gather_object(estimates, estimate)
    return max(2, round(seconds / max(estimates)))


def run_round(step, steps, dist):
    """(wall, CPU) seconds per step over `steps` steps, started together on every rank (a
    barrier) after an untimed garbage collection. Wall time: a rank waiting for the others in the
    all-reduce is part of the step."""
    gc.collect()
    dist.barrier()
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(steps):
        step()
    return (time.perf_counter() - wall) / steps, (time.process_time() - cpu) / steps


# ---- the driver -----------------------------------------------------------------------------

def launch(n, args, data_file):
    """Run the workers as n processes; returns rank 0's JSON result."""
    script = os.path.abspath(__file__)
    command = [sys.executable, "-m", "chainrule", "run", "-n", str(n), script, "--worker",
               *args.workloads, "--rounds", str(args.rounds), "--seconds", str(args.seconds)]
    env = dict(os.environ, **{name: "1" for name in THREADS})
    env[workloads.MNIST1D_FILE] = data_file
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=1800,
                          check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT)]
    if done.returncode != 0 or not lines:
        sys.exit(f"benchmarks/distributed.py: {n} process(es) failed (status "
                 f"{done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-3000:]}")
    return json.loads(lines[-1][len(RESULT):])


def header(chainrule):
    import measure
    import mpi4py

    from chainrule.distributed.launch import find_launcher
    launcher = find_launcher()
    version = subprocess.run([launcher, "--version"], capture_output=True, text=True,
                             timeout=30, check=False).stdout.splitlines()
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    return [(f"python {platform.python_version()}, mpi4py {mpi4py.__version__}, "
             f"{version[0] if version else launcher}, {os.cpu_count()} CPUs, "
             f"{platform.machine()}"),
            measure.describe_source(chainrule),
            f"load average (1, 5, 15 min): {load}"]


def step_times(result, mode):
    """The slowest rank's median step time in this mode: the pace of the job."""
    return max(rank[mode] for rank in result["ranks"])


def print_measured(names, results):
    print("\nmeasured: weak scaling (each process trains on the workload's batch; global batch = "
          "N x batch); step: the slowest rank's median\nwall time per synced step; samples/s = "
          "N x batch / step; speed-up: samples/s over 1 process's; no_sync: the same step\nunder "
          "ddp.no_sync() (no all-reduce); comm share = 1 - no_sync / step; DDP comm: the "
          "reducer's own time per step\n(copying gradients into buckets, starting and waiting "
          "for the all-reduces); cpu: a synced round's CPU time / wall time,\nmedian over ranks")
    print(f"{'workload':9} {'N':>2} {'batch':>6} {'step':>9} {'samples/s':>10} {'speed-up':>8} "
          f"{'no_sync':>9} {'comm share':>10} {'DDP comm':>9} {'cpu':>5}")
    for name in names:
        single = results.get(1, {}).get(name)
        for n, result in sorted(results.items()):
            row = result[name]
            step, free = step_times(row, "synced"), step_times(row, "no_sync")
            rate = n * row["batch"] / step
            speedup = (f"{rate / (single['batch'] / step_times(single, 'synced')):7.2f}x"
                       if single else f"{'-':>8}")
            comm = statistics.median(rank["comm"] for rank in row["ranks"])
            cpu = statistics.median(rank["cpu"] for rank in row["ranks"])
            print(f"{name:9} {n:2} {n * row['batch']:6} {step * 1e3:7.3f}ms {rate:10.0f} "
                  f"{speedup} {free * 1e3:7.3f}ms {1 - free / step:10.1%} "
                  f"{comm * 1e3:7.3f}ms {cpu:5.0%}")
        if single:
            plain = step_times(single, "plain")
            print(f"{'':9} 1 process without DDP (the plain model): {plain * 1e3:.3f}ms per step")


def ring_seconds(nodes, nbytes, buckets, bandwidth, latency):
    """A ring all-reduce of nbytes in `buckets` messages over `nodes`: each node sends and
    receives 2(N-1)/N of the bytes, in 2(N-1) steps per bucket, each paying the latency."""
    if nodes == 1:
        return 0.0
    return 2 * (nodes - 1) / nodes * nbytes / bandwidth + buckets * 2 * (nodes - 1) * latency


def print_on_paper(names, single):
    """The expected scaling across machines, from the 1-process figures measured here."""
    print("\non paper: N nodes, one process each, the batch above per node; T_comp: the "
          "1-process no_sync step measured above;\nT_comm: ring all-reduce of the float32 "
          "gradients, 2(N-1)/N x bytes / bandwidth + buckets x 2(N-1) x latency (latency\n"
          "assumed: " + ", ".join(f"{latency * 1e6:g} us on {net}" for net, _, latency in NETWORKS)
          + "); serial: T_comp + T_comm; overlapped: max(T_comp, T_comm) (perfect overlap);\n"
          "speed-up = N x T_comp / step; efficiency = speed-up / N")
    for name in names:
        row = single[name]
        compute = step_times(row, "no_sync")
        nbytes = row["parameters"] * 4
        print(f"{name}: {row['parameters']:,} parameters, {nbytes / 1e6:.3f} MB, "
              f"{row['buckets']} bucket(s), T_comp {compute * 1e3:.3f} ms")
        print(f"  {'network':9} {'N':>3} {'T_comm':>9} {'serial':>9} {'speed-up':>8} "
              f"{'eff':>5} {'overlap':>9} {'speed-up':>8} {'eff':>5}")
        for net, bandwidth, latency in NETWORKS:
            for nodes in NODES:
                comm = ring_seconds(nodes, nbytes, row["buckets"], bandwidth, latency)
                cells = []
                for step in (compute + comm, max(compute, comm)):
                    cells.append(f"{step * 1e3:7.3f}ms {nodes * compute / step:7.1f}x "
                                 f"{compute / step:5.0%}")
                print(f"  {net:9} {nodes:3} {comm * 1e3:7.3f}ms {' '.join(cells)}")


def main(argv=None):
    args = parse(argv if argv is not None else sys.argv[1:])
    if args.worker:
        return worker(args)
    import chainrule
    started = time.perf_counter()
    print("\n".join(header(chainrule)))
    print(f"{args.rounds} rounds of ~{args.seconds:g} s per mode (synced, no_sync), alternating; "
          "1 BLAS thread per process; launched by `python -m chainrule run -n N`; the 1-process "
          "row is DDP in a world of one")
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        data_file = os.path.join(folder, "mnist1d.npz")
        workloads.save_mnist1d(data_file)   # read once here, not once per rank
        for n in args.processes:
            print(f"  {n} process(es) ...", flush=True)
            results[n] = launch(n, args, data_file)["workloads"]
    print_measured(args.workloads, results)
    if 1 in results:
        print_on_paper(args.workloads, results[1])
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"\nload average at the end: {load}; wall time {time.perf_counter() - started:.0f} s")
    for name in args.workloads:
        print(f"  {name:9} {WORKLOADS[name][1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
