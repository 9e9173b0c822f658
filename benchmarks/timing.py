"""The one way benchmarks time a step: calibrated repeats, the median of them."""
import statistics
import time


def median_time(step, seconds=2.0, repeats=5):
    """Median seconds per call of step(), over `repeats` runs of about seconds/repeats each."""
    step()  # warm up: allocations, caches
    start = time.perf_counter()
    step()
    per_call = max(time.perf_counter() - start, 1e-7)
    number = max(1, int(seconds / repeats / per_call))
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            step()
        samples.append((time.perf_counter() - start) / number)
    return statistics.median(samples)
