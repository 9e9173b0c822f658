"""benchmarks/bench.py (make bench) runs: two tiny workloads timed against torch, their checks
passed and their rows, ratios and verdicts printed. The figures themselves are make bench's."""
import pathlib
import re
import subprocess
import sys

BENCH = pathlib.Path(__file__).parents[1] / "benchmarks" / "bench.py"


def test_bench_times_workloads_against_torch_and_prints_their_verdicts():
    done = subprocess.run([sys.executable, str(BENCH), "op", "mlp40", "--quick", "--no-memory",
                           "--rounds", "2", "--seconds", "0.02"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "MISMATCH" not in done.stdout
    for name in ("op", "mlp40"):
        row = re.search(rf"^{name} +\S+ms +\S+ms +(\d+\.\d+)x .* (met|MISSED)", done.stdout, re.M)
        assert row and float(row.group(1)) > 0, done.stdout
    assert re.search(r"speed targets met: \d of 2", done.stdout)


def test_bench_refuses_an_unknown_workload_naming_it():
    done = subprocess.run([sys.executable, str(BENCH), "mlp9000"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2 and "mlp9000" in done.stderr


def test_bench_refuses_zero_rounds_or_threads_naming_the_option():
    for option, value in (("--rounds", "0"), ("--threads", "0"), ("--seconds", "nan")):
        done = subprocess.run([sys.executable, str(BENCH), "op", option, value],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 2 and option in done.stderr and "positive" in done.stderr
