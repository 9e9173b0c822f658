"""Where one workload's step spends its time: cProfile over its steps, top functions by own time
and by cumulative time (the tool behind benchmarks/README.md's profiles).

    .venv/bin/python benchmarks/profile_workload.py WORKLOAD [--library torch] [--steps N]

(Not named profile.py: torch's optimizers import cProfile, which imports the standard library's
`profile`, and a profile.py beside bench.py would be found first.)
"""
import argparse
import cProfile
import gc
import io
import pstats
import time

import measure
from workloads import WORKLOADS


def parse(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("workload", choices=list(WORKLOADS))
    parser.add_argument("--library", choices=measure.LIBRARIES, default="chainrule")
    parser.add_argument("--steps", type=int, help="steps profiled (default: about 3 s of them)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--top", type=int, default=25, help="rows per table (default 25)")
    parser.add_argument("--quick", action="store_true", help="batch 1: 2000 warm-up steps")
    return parser.parse_args(argv)


def report(profiler, sort, top):
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    stats.strip_dirs().sort_stats(sort).print_stats(top)
    # drop pstats' preamble up to the column header
    lines = text.getvalue().splitlines()
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls"))
    return "\n".join(lines[start:])


# (file, function) of chainrule's hot spots whose call counts per step say how many graph nodes
# a step makes; matched by name, so a renamed one is simply left out
COUNTED = {("function.py", "apply"): "Function.apply calls (nodes, a backward's own included)",
           ("engine.py", "_call_backward"): "backward calls",
           ("tensor.py", "_make"): "Tensors made"}


def per_step_counts(profiler, steps):
    stats = pstats.Stats(profiler).stats
    counts = []
    for (path, _, function), (_, calls, *_) in stats.items():
        label = COUNTED.get((path.rsplit("/", 1)[-1], function))
        if label:
            counts.append(f"{calls / steps:.0f} {label}")
    return ", ".join(sorted(counts, key=lambda text: text.split(" ", 1)[1]))


def main(argv=None):
    args = parse(argv)
    L = measure.import_library(args.library)
    limiter = measure.limit_threads(args.threads, L if args.library == "torch" else None)  # noqa: F841
    case = WORKLOADS[args.workload][0](L, quick=args.quick)
    steps_before = 2000 if args.quick and case.warmup_steps else case.warmup_steps
    for _ in range(steps_before):
        case.step()
    for _ in range(3):
        case.step()
    gc.collect()
    gc.freeze()
    _, plain = measure.per_step(case.step, measure.calibrate(case.step, 0.3))
    steps = args.steps or max(5, round(3.0 / plain))
    profiler = cProfile.Profile(time.process_time)   # CPU time: a busy machine does not add
    start = time.process_time()
    profiler.enable()
    for _ in range(steps):
        case.step()
    profiler.disable()
    profiled = (time.process_time() - start) / steps
    print(f"{args.workload} ({WORKLOADS[args.workload][1]}) in {args.library}, {args.threads} "
          f"thread(s), {steps} steps after {steps_before + 3}: {plain * 1e3:.3f} ms/step "
          f"unprofiled, {profiled * 1e3:.3f} ms/step under cProfile (process CPU time)")
    counts = per_step_counts(profiler, steps)
    if counts:
        print(f"per step: {counts}")
    print(f"\nby own time (tottime), top {args.top}:")
    print(report(profiler, "tottime", args.top))
    print(f"\nby cumulative time, top {args.top}:")
    print(report(profiler, "cumulative", args.top))


if __name__ == "__main__":
    main()
