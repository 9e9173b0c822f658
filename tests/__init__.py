"""chainrule's tests, laid out as the source is (tests/test_layout.py keeps it so).

A test module mirrors a source module: src/chainrule/<path>/<name>.py, or the package <name>/, is
tested in tests/<path>/test_<name>.py (optim/lr_scheduler/decay.py in
tests/optim/lr_scheduler/test_decay.py; what the package optim/ exports, checked across it, in
tests/test_optim.py). The ops come one test module per family: ops/<family>.py in
tests/ops/test_<family>.py (see tests/ops/__init__.py).

A module of a subpackage may be tested with its package's tests, under its own name: a functional
form is tested with its layer (nn/functional/conv.py in tests/nn/test_conv.py, beside nn/conv.py),
a utility with the package it serves (nn/utils/clip_grad.py in tests/nn/test_clip_grad.py,
train/callbacks/logging.py in tests/train/test_logging.py).

The few tests of the library as a whole (the README, the examples, the ported programs, error
messages, idioms, the layer order ...) mirror no module: tests/test_layout.py lists them, each
with what it tests instead.

What several test modules share lives in a helper module, not named test_* and holding no tests
(tests/ops/harness.py, tests/ops/matrices.py, tests/nn/helpers.py, tests/optim/trajectory.py,
tests/optim/lr_scheduler/schedules.py, tests/ports/loading.py ...). A test module imports from
helper modules, never from another test module.
"""
