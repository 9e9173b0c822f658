"""What importing chainrule does to the process: NumPy's error state stays the user's, the
allocator tuning can be turned off; and the ops that give inf or nan as torch does say nothing."""
import os
import subprocess
import sys
import warnings

import pytest
import torch

import chainrule
from chainrule.backend import xp


def run_fresh(code, **environment):
    """The last line `code` prints, in a fresh interpreter (nothing imported before it). The
    allocator opt-out is passed on only when the test sets it, not from the caller's shell."""
    env = {name: value for name, value in os.environ.items()
           if name != "CHAINRULE_KEEP_FREED_MEMORY"}
    env.update(environment)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          check=True)
    return done.stdout.strip().splitlines()[-1]


def test_importing_chainrule_leaves_numpy_error_state_as_it_was():
    code = ("import numpy; before = numpy.geterr(); import chainrule; "
            "print(before == numpy.geterr(), numpy.geterr()['divide'])")
    assert run_fresh(code) == "True warn"


def test_the_allocator_tuning_is_applied_by_default_on_linux_with_glibc():
    code = "import chainrule.backend as b; print(b.keeps_freed_memory)"
    expected = sys.platform.startswith("linux") and os.confstr("CS_GNU_LIBC_VERSION") is not None
    assert run_fresh(code) == str(expected)


def test_the_shells_opt_out_does_not_reach_the_default_test(monkeypatch):
    monkeypatch.setenv("CHAINRULE_KEEP_FREED_MEMORY", "0")
    code = "import os; print(os.environ.get('CHAINRULE_KEEP_FREED_MEMORY'))"
    assert run_fresh(code) == "None"
    assert run_fresh(code, CHAINRULE_KEEP_FREED_MEMORY="off") == "off"


@pytest.mark.parametrize("value", ["0", "false", "off"])
def test_chainrule_keep_freed_memory_0_leaves_malloc_alone(value):
    code = ("import ctypes, ctypes.util\n"
            "calls = []\n"
            "libc = ctypes.CDLL(ctypes.util.find_library('c'))\n"
            "ctypes.CDLL = lambda *a, **k: calls.append(a) or libc   # mallopt is reached here\n"
            "import chainrule.backend as b\n"
            "print(b.keeps_freed_memory, calls)")
    assert run_fresh(code, CHAINRULE_KEEP_FREED_MEMORY=value) == "False []"


def silent(fn):
    """fn() with every RuntimeWarning (NumPy's floating-point warnings) turned into an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        return fn()


def value_and_grad(lib, fn, values):
    x = lib.tensor(values, requires_grad=True)
    y = fn(lib, x)
    y.sum().backward()
    return y.detach().numpy(), x.grad.numpy()


INF = float("inf")
EDGES = {   # where torch gives inf or nan, silently, in the value or its gradient
    "log(0)": (lambda lib, x: lib.log(x), [0.0]),
    "log1p(-1)": (lambda lib, x: lib.log1p(x), [-1.0]),
    "1 / 0": (lambda lib, x: 1 / x, [0.0]),
    "0 / 0": (lambda lib, x: x / x.detach(), [0.0]),
    "sqrt(-1)": (lambda lib, x: lib.sqrt(x), [-1.0]),
    "sqrt(0)": (lambda lib, x: lib.sqrt(x), [0.0]),
    "rsqrt(0)": (lambda lib, x: lib.rsqrt(x), [0.0]),
    "0 ** -1": (lambda lib, x: x ** -1.0, [0.0]),
    "exp(1000)": (lambda lib, x: lib.exp(x), [1000.0]),
    "sinh(1000)": (lambda lib, x: lib.sinh(x), [1000.0]),
    "atanh(1)": (lambda lib, x: lib.atanh(x), [1.0]),
    "acos(2)": (lambda lib, x: lib.acos(x), [2.0]),
    "remainder(1, 0)": (lambda lib, x: lib.remainder(x, 0.0), [1.0]),
    "softmax of a -inf row": (lambda lib, x: lib.softmax(x, 0), [-INF, -INF]),
    "log_softmax of a -inf row": (lambda lib, x: lib.log_softmax(x, 0), [-INF, -INF]),
    "logsumexp of a -inf row": (lambda lib, x: lib.logsumexp(x, 0), [-INF, -INF]),
    "mean of nothing": (lambda lib, x: x[:0].mean(), [1.0]),
    "prod beyond float32": (lambda lib, x: lib.prod(x), [1e30, 1e30]),
    "norm beyond float32": (lambda lib, x: lib.linalg.vector_norm(x), [1e30, 1e30]),
    "hypot at the origin": (lambda lib, x: lib.hypot(x, x), [0.0]),
    "log(x * 0): inf * 0 in mul's backward": (lambda lib, x: lib.log(x * 0.0), [1.0]),
    "a cast to float16 beyond its range": (lambda lib, x: x.half(), [1e6]),
}


@pytest.mark.parametrize("name", EDGES)
def test_edge_values_are_values_not_warnings_forward_and_backward(name):
    fn, values = EDGES[name]
    out, grad = silent(lambda: value_and_grad(chainrule, fn, values))
    expected, expected_grad = value_and_grad(torch, fn, values)
    xp.testing.assert_array_equal(out, expected)
    xp.testing.assert_array_equal(grad, expected_grad)


# Arithmetic on values already inf, and overflow in mul and sum: the hot path, where a local
# errstate would cost 5-10 % of every training step, so NumPy warns (the README says so); the
# values are still torch's.
WARNS = {
    "inf * 0 in mul's forward (a loss masked by 0)": (lambda lib, x: x * 0.0, [INF]),
    "a product beyond float32 in mul": (lambda lib, x: x * 1e30, [1e30]),
    "sum of inf and -inf": (lambda lib, x: x.sum(), [INF, -INF]),
}


@pytest.mark.parametrize("name", WARNS)
def test_arithmetic_on_inf_warns_as_numpy_and_gives_torchs_values(name):
    fn, values = WARNS[name]
    with pytest.warns(RuntimeWarning):
        out, grad = value_and_grad(chainrule, fn, values)
    expected, expected_grad = value_and_grad(torch, fn, values)
    xp.testing.assert_array_equal(out, expected)
    xp.testing.assert_array_equal(grad, expected_grad)


def test_a_float32_overflow_on_creation_is_inf_without_warning():
    assert silent(lambda: chainrule.tensor([1e40]).item()) == torch.tensor([1e40]).item() == INF


def test_a_warning_raised_in_chainrule_code_fails_the_suite():
    """pyproject's filterwarnings turns a RuntimeWarning raised in chainrule's modules into an
    error (the guard for the table above), while a test's own NumPy warning stays a warning.
    NumPy attributes a floating-point warning to the module calling the ufunc: here a function
    whose module is named chainrule.something."""
    module = {"__name__": "chainrule.something", "xp": xp}
    exec("def log_of_zero():\n    return xp.log(xp.zeros(1))", module)
    with warnings.catch_warnings(record=True) as caught:   # keeps the suite's filters
        with pytest.raises(RuntimeWarning, match="divide by zero"):
            module["log_of_zero"]()
        xp.log(xp.zeros(1))   # this test module's own call
    assert [warning.category for warning in caught] == [RuntimeWarning]
