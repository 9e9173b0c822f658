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


DISTRIBUTED = BENCH.with_name("distributed.py")


def test_distributed_times_ddp_in_one_and_two_processes_and_scales_it_on_paper():
    done = subprocess.run([sys.executable, str(DISTRIBUTED), "cnn", "--processes", "1", "2",
                           "--rounds", "2", "--seconds", "0.02"],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    for n, batch in ((1, 128), (2, 256)):
        row = re.search(rf"^cnn +{n} +{batch} +(\S+)ms +(\d+) .* (-?\d+\.\d)% ", done.stdout,
                        re.MULTILINE)
        assert row and float(row.group(1)) > 0 and int(row.group(2)) > 0, done.stdout
    # the on-paper ring all-reduce: 2(N-1)/N x 4 bytes a parameter / 1.25 GB/s + 2(N-1) x 25 us
    layout = re.search(r"^cnn: ([\d,]+) parameters, .* (\d+) bucket", done.stdout, re.MULTILINE)
    nbytes, buckets = int(layout.group(1).replace(",", "")) * 4, int(layout.group(2))
    comm = re.search(r"^  10 Gb/s +64 +(\S+)ms", done.stdout, re.MULTILINE)
    expected = 2 * 63 / 64 * nbytes / 1.25e9 + buckets * 2 * 63 * 25e-6
    assert abs(float(comm.group(1)) * 1e-3 - expected) < 1e-6, done.stdout
