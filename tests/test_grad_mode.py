"""Grad modes against torch: per thread, as context managers and decorators (with and without
parentheses, on functions and generators), set_grad_enabled's immediate effect, inference_mode."""
import threading

import pytest
import torch

import chainrule as cr


@pytest.mark.parametrize("lib", [cr, torch], ids=["chainrule", "torch"])
def test_a_new_thread_starts_with_recording_on_and_its_changes_stay_there(lib):
    seen = {}

    def worker():
        seen["start"] = lib.is_grad_enabled()
        lib.set_grad_enabled(False)
        seen["after"] = lib.is_grad_enabled()

    with lib.no_grad():
        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
        seen["main inside no_grad"] = lib.is_grad_enabled()
    assert seen == {"start": True, "after": False, "main inside no_grad": False}
    assert lib.is_grad_enabled()


def test_two_threads_train_their_own_models_at_once():
    """One thread's no_grad and backward (which turns recording off while it runs) must not stop
    the other's recording: each thread's loss falls as it would alone."""
    barrier, results, errors = threading.Barrier(2), {}, []

    def train(name, seed):
        try:
            cr.manual_seed(seed)
            w = cr.randn(8, 1, dtype=cr.float64).requires_grad_()
            x = cr.linspace(-1, 1, 32, dtype=cr.float64).reshape(32, 1).repeat(1, 8)
            target = x.sum(dim=1, keepdim=True)
            barrier.wait()
            for _ in range(300):
                loss = ((x @ w - target) ** 2).mean()
                w.grad = None
                loss.backward()
                with cr.no_grad():
                    w -= 0.01 * w.grad
            results[name] = loss.item()
        except Exception as error:   # noqa: BLE001 - reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=train, args=(n, s)) for n, s in (("a", 0), ("b", 1))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert results["a"] < 1e-3 and results["b"] < 1e-3


@pytest.mark.parametrize("lib", [cr, torch], ids=["chainrule", "torch"])
def test_decorators_with_and_without_parentheses(lib):
    x = lib.ones(2, requires_grad=True)

    @lib.no_grad
    def bare(t):
        return t * 2

    @lib.no_grad()
    def called(t):
        return t * 2

    @lib.inference_mode
    def inferred(t):
        return t * 2, lib.is_inference_mode_enabled()

    @lib.enable_grad()
    def enabled(t):
        return t * 2

    assert not bare(x).requires_grad and not called(x).requires_grad
    out, inside = inferred(x)
    assert not out.requires_grad and inside
    assert not lib.is_inference_mode_enabled()
    with lib.no_grad():
        assert enabled(x).requires_grad
    assert bare.__name__ == "bare"


@pytest.mark.parametrize("lib", [cr, torch], ids=["chainrule", "torch"])
def test_set_grad_enabled_takes_effect_when_called_and_restores_as_a_context(lib):
    lib.set_grad_enabled(False)
    assert not lib.is_grad_enabled()
    lib.set_grad_enabled(True)
    with lib.set_grad_enabled(False):
        assert not lib.is_grad_enabled()
    assert lib.is_grad_enabled()

    @lib.set_grad_enabled(False)
    def off():
        return lib.is_grad_enabled()

    assert lib.is_grad_enabled(), "decorating must not leave recording off"
    assert off() is False and lib.is_grad_enabled()


@pytest.mark.parametrize("lib", [cr, torch], ids=["chainrule", "torch"])
def test_inference_mode_as_context_and_with_mode_false(lib):
    x = lib.ones(2, requires_grad=True)
    with lib.inference_mode():
        assert not lib.is_grad_enabled() and lib.is_inference_mode_enabled()
        assert not (x * 2).requires_grad
    with lib.inference_mode(mode=False):
        assert lib.is_grad_enabled() and not lib.is_inference_mode_enabled()
        assert (x * 2).requires_grad
    assert lib.is_grad_enabled() and not lib.is_inference_mode_enabled()


@pytest.mark.parametrize("lib", [cr, torch], ids=["chainrule", "torch"])
def test_a_decorated_generator_runs_in_the_mode_and_its_caller_does_not(lib):
    @lib.no_grad()
    def steps():
        for _ in range(2):
            sent = yield lib.is_grad_enabled()
            assert sent == "go"
        return "done"

    generator = steps()
    assert next(generator) is False
    assert lib.is_grad_enabled(), "between resumptions the caller keeps its own mode"
    assert generator.send("go") is False
    with pytest.raises(StopIteration) as stop:
        generator.send("go")
    assert stop.value.value == "done"


def test_an_exception_restores_the_mode():
    with pytest.raises(ValueError):
        with cr.no_grad():
            raise ValueError
    assert cr.is_grad_enabled()
    with pytest.raises(ValueError):
        with cr.inference_mode():
            raise ValueError
    assert cr.is_grad_enabled() and not cr.is_inference_mode_enabled()


def test_anomaly_detection_is_one_switch_for_every_thread():
    seen = []
    with cr.autograd.detect_anomaly():
        thread = threading.Thread(target=lambda: seen.append(cr.grad_mode.state.anomaly))
        thread.start()
        thread.join()
    assert seen == [True] and not cr.grad_mode.state.anomaly


def test_torchs_grad_mode_modules_are_chainrules_one_grad_mode_module():
    from chainrule.porting import resolve
    for name in ("torch.autograd.grad_mode", "torch.autograd.anomaly_mode"):
        module = resolve(name)
        assert module is cr.grad_mode
        names = {"grad_mode": ["no_grad", "enable_grad", "set_grad_enabled", "inference_mode"],
                 "anomaly_mode": ["detect_anomaly", "set_detect_anomaly"]}[name.rpartition(".")[2]]
        for public in names:
            assert hasattr(getattr(torch.autograd, name.rpartition(".")[2]), public)
            assert getattr(module, public) is getattr(cr, public, getattr(cr.autograd, public))


@pytest.mark.filterwarnings("ignore:Error detected in SqrtBackward0")   # torch's traceback
@pytest.mark.filterwarnings("ignore:Anomaly Detection has been enabled")
def test_set_detect_anomaly_takes_effect_at_once_and_restores_as_a_context_manager():
    for L in (torch, cr):
        x = L.tensor([0.0], requires_grad=True)
        with L.autograd.set_detect_anomaly(True):
            with pytest.raises(RuntimeError, match="(?i)nan"):
                (x.sqrt() * 0).backward()    # 0 * inf: a NaN gradient in SqrtBackward
        L.autograd.set_detect_anomaly(True)   # a call alone stays in effect
        with pytest.raises(RuntimeError, match="(?i)nan"):
            (x.sqrt() * 0).backward()
        L.autograd.set_detect_anomaly(False)
        (x.sqrt() * 0).backward()
    assert not cr.grad_mode.state.anomaly
