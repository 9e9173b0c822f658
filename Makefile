# Every target builds its own environment, so a fresh clone needs nothing but Python 3.11+.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test test-slow bench bench-distributed clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,labs,distributed]'
	touch $(STAMP)

# The lecture in one command: curve fitting, the MNIST-1D table, the two claims measured, and
# optimisation against sampling (the other apps, `chainrule train charlm|translate|gan`, take
# minutes each and are run on their own).
demo: $(STAMP)
	$(PY) -m chainrule curvefit --out out/curvefit
	$(PY) -m chainrule experiment mnist1d --out out/mnist1d
	$(PY) -m chainrule experiment features --out out/features
	$(PY) -m chainrule experiment scale --out out/scale
	$(PY) -m chainrule experiment trajectories --out out/trajectories
	$(PY) -m chainrule experiment bnn --out out/bnn
	@echo "The lecture's figures and tables are in out/: curvefit/, mnist1d/, features/, scale/, trajectories/, bnn/"

test: $(STAMP)
	$(PY) -m pytest

test-slow: $(STAMP)
	$(PY) -m pytest -m slow

# Issue 12's workloads against torch in one interleaved run (benchmarks/README.md); QUICK=1 for a
# shorter one (under a minute on an idle machine), WORKLOADS="mlp784 gpt" for some of them.
bench: $(STAMP)
	$(PY) benchmarks/bench.py $(if $(filter 1,$(QUICK)),--quick) $(WORKLOADS)

# Issue 13's data-parallel table: DDP in 1, 2 and 4 processes, and the scaling across machines on
# paper (benchmarks/README.md)
bench-distributed: $(STAMP)
	$(PY) benchmarks/distributed.py

clean:
	rm -rf $(VENV) build out src/*.egg-info .pytest_cache .hypothesis
