"""Per-op overhead: a small chain of ops, forward + backward, in chainrule and torch in one run.

Run with `make bench` (or `.venv/bin/python benchmarks/op_overhead.py`). Prints the median time
per iteration for each library and the speed ratio torch_time / chainrule_time (above 1: faster).
"""
import sys

import numpy as np
import torch

import chainrule as cr
from timing import median_time

torch.set_num_threads(1)  # compare dispatch, not thread start-up; NumPy's small ops are 1 thread


def chain(L, x, w, b):
    """Ten ops: the shape of one small layer and its loss."""
    h = x * w + b
    h = h.tanh() * 2.0 - x
    h = h.exp() / (h * h + 1.0)
    return h.sum()


def workload(L, shape):
    rng = np.random.default_rng(0)
    make = (lambda a: L.tensor(a, requires_grad=True))
    x, w, b = (make(rng.standard_normal(shape).astype(np.float32)) for _ in range(3))

    def step():
        x.grad = w.grad = b.grad = None
        chain(L, x, w, b).backward()
    return step


def main():
    ops_per_chain = 10  # forward ops in `chain`; backward runs one node per op
    print(f"op chain forward+backward ({ops_per_chain} ops), median of 7 repeats, "
          f"python {sys.version.split()[0]}, numpy {np.__version__}, torch {torch.__version__}")
    print(f"{'shape':>12} {'chainrule':>12} {'torch':>12} {'per op (cr)':>12} {'speed vs torch':>15}")
    for shape in [(1,), (64,), (256, 256)]:
        ours = median_time(workload(cr, shape), repeats=7)
        theirs = median_time(workload(torch, shape), repeats=7)
        print(f"{str(shape):>12} {ours * 1e6:10.1f}us {theirs * 1e6:10.1f}us "
              f"{ours / ops_per_chain * 1e6:10.2f}us {theirs / ours:14.2f}x")


if __name__ == "__main__":
    main()
