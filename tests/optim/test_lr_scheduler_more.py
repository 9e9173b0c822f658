"""ConstantLR, PolynomialLR, ChainedScheduler, CyclicLR, CosineAnnealingWarmRestarts and a user's
_LRScheduler subclass set the same rates (and momenta) as torch's at each of 100 steps, also when
saved at step 50 and loaded into fresh objects; errors as torch's."""
import warnings

import pytest
import torch

import chainrule as cr
from tests.optim.schedules import adam, scheduled, sgd, warmup
from tests.optim.trajectory import START, assert_follows_torch, parameters


def sgd_one_group(L, params):
    return L.optim.SGD(params, lr=0.1, momentum=0.9)


def old_style(L):
    """A scheduler written as programs wrote them before torch 2.0: a subclass of _LRScheduler
    with its own get_lr from last_epoch and base_lrs."""
    class WarmupPoly(L.optim.lr_scheduler._LRScheduler):
        def __init__(self, optimizer, warmup_steps, total, power=0.9, last_epoch=-1):
            self.warmup_steps, self.total, self.power = warmup_steps, total, power
            super().__init__(optimizer, last_epoch)

        def get_lr(self):
            if self.last_epoch < self.warmup_steps:
                return [base * (self.last_epoch + 1) / self.warmup_steps
                        for base in self.base_lrs]
            done = (self.last_epoch - self.warmup_steps) / self.total
            return [base * (1 - done) ** self.power for base in self.base_lrs]
    return WarmupPoly


class Countdown:
    """A callable object with state, as programs pass to LambdaLR: its factor depends on how
    often it has been called, so a resumed run matches only if its attributes were restored."""

    def __init__(self, rate):
        self.rate, self.calls = rate, 0

    def __call__(self, step):
        self.calls += 1
        return self.rate ** (self.calls // 3)


CASES = {
    "lambda_callable_objects": scheduled(lambda S, o: S.LambdaLR(o, [Countdown(0.9),
                                                                   lambda t: 0.99 ** t])),
    "multiplicative_callable_object": scheduled(lambda S, o: S.MultiplicativeLR(
        o, Countdown(0.98))),
    "constant": scheduled(lambda S, o: S.ConstantLR(o)),
    "constant_factor": scheduled(lambda S, o: S.ConstantLR(o, factor=0.5, total_iters=40)),
    "polynomial": scheduled(lambda S, o: S.PolynomialLR(o)),
    "polynomial_power": scheduled(lambda S, o: S.PolynomialLR(o, total_iters=80, power=2.0)),
    "chained": scheduled(lambda S, o: S.ChainedScheduler(
        [S.ConstantLR(o, factor=0.1, total_iters=4), S.ExponentialLR(o, gamma=0.95)])),
    "chained_three": scheduled(lambda S, o: S.ChainedScheduler(
        [S.LinearLR(o, 0.2, total_iters=10), S.StepLR(o, 15, 0.5),
         S.LambdaLR(o, [warmup, lambda t: 1 / (1 + t)])], optimizer=o)),
    "cyclic": scheduled(lambda S, o: S.CyclicLR(o, 0.01, 0.1, step_size_up=7)),
    "cyclic_triangular2": scheduled(lambda S, o: S.CyclicLR(
        o, [0.01, 0.02], [0.1, 0.3], step_size_up=5, step_size_down=12, mode="triangular2",
        base_momentum=[0.7, 0.8], max_momentum=0.95)),
    "cyclic_exp_range": scheduled(lambda S, o: S.CyclicLR(
        o, 0.001, 0.05, step_size_up=10, mode="exp_range", gamma=0.98)),
    "cyclic_betas": scheduled(lambda S, o: S.CyclicLR(o, 1e-3, 1e-2, step_size_up=8), adam),
    "cyclic_scale_fn": scheduled(lambda S, o: S.CyclicLR(
        o, 0.01, 0.1, step_size_up=6, scale_fn=lambda x: 1 / (1 + 0.1 * x),
        scale_mode="iterations", cycle_momentum=False)),
    "warm_restarts": scheduled(lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=10)),
    "warm_restarts_mult": scheduled(lambda S, o: S.CosineAnnealingWarmRestarts(
        o, T_0=3, T_mult=2, eta_min=1e-3)),
    "old_style_subclass": scheduled(lambda S, o: old_style_for(S)(o, 10, 200)),
    "lambda_groups": scheduled(lambda S, o: S.LambdaLR(o, [lambda t: 0.9 ** t,
                                                           lambda t: 1 / (1 + 0.5 * t)])),
    "multiplicative_groups": scheduled(lambda S, o: S.MultiplicativeLR(
        o, [lambda t: 0.95, lambda t: 1.01 if t % 2 else 0.9])),
}
TRAINED = ["cyclic_betas", "chained", "warm_restarts"]


def old_style_for(S):
    return old_style(torch if S is torch.optim.lr_scheduler else cr)


@pytest.mark.filterwarnings("ignore:Detected call")
@pytest.mark.parametrize("name", CASES)
def test_learning_rates_follow_torch(name):
    # the same float operations in the same order as torch's: equal bit for bit
    assert_follows_torch(CASES[name], train=name in TRAINED, lr_rtol=0.0)


def test_old_style_subclass_reads_last_epoch_base_lrs_and_last_lr():
    rates = {}
    for L in (torch, cr):
        optimizer = sgd(L, parameters(L, START))
        scheduler = old_style(L)(optimizer, 4, 20)
        seen = []
        for _ in range(8):
            optimizer.step()
            scheduler.step()
            seen.append((scheduler.last_epoch, list(scheduler.base_lrs),
                         scheduler.get_last_lr()))
        rates[L.__name__] = seen
        assert isinstance(scheduler, L.optim.lr_scheduler.LRScheduler)
    assert rates["chainrule"] == rates["torch"]


@pytest.mark.parametrize("T_mult", [1, 2, 3])
def test_warm_restarts_with_fractional_epochs(T_mult):
    """step(epoch + i / iters) after each batch, as torch's documentation shows, and jumps."""
    rates = {}
    for L in (torch, cr):
        optimizer = sgd(L, parameters(L, START))
        scheduler = L.optim.lr_scheduler.CosineAnnealingWarmRestarts(optimizer, T_0=2,
                                                                     T_mult=T_mult, eta_min=0.01)
        seen = []
        for epoch in range(12):
            for i in range(5):
                optimizer.step()
                scheduler.step(epoch + i / 5)
                seen.append((scheduler.get_last_lr(), scheduler.last_epoch, scheduler.T_i,
                             scheduler.T_cur))
        for epoch in (30, 7.5, 0, 1.25, 64):
            scheduler.step(epoch)
            seen.append((scheduler.get_last_lr(), scheduler.last_epoch, scheduler.T_i,
                         scheduler.T_cur))
        rates[L.__name__] = seen
    assert rates["chainrule"] == rates["torch"]


@pytest.mark.parametrize("name", ["cyclic_triangular2", "chained", "warm_restarts_mult",
                                  "constant", "polynomial"])
def test_state_dict_holds_torchs_entries(name):
    ours = CASES[name](cr, parameters(cr, START))[1].state_dict()
    theirs = CASES[name](torch, parameters(torch, START))[1].state_dict()
    assert ours.keys() <= theirs.keys()   # torch adds _get_lr_called_within_step
    for key in ours.keys() - {"_schedulers"}:
        assert ours[key] == theirs[key], key


@pytest.mark.parametrize("name", ["polynomial", "constant_factor"])
@pytest.mark.parametrize("epoch", [0, 3, 39, 40, 79, 80, 120])
def test_step_with_an_epoch_uses_the_closed_form_as_torch(name, epoch):
    rates = []
    for L in (torch, cr):
        optimizer, scheduler = CASES[name](L, parameters(L, START))
        optimizer.step()
        with pytest.warns(UserWarning, match="epoch"):
            scheduler.step(epoch)
        rates.append(scheduler.get_last_lr())
    assert rates[0] == rates[1]


S = cr.optim.lr_scheduler


@pytest.mark.parametrize("make, error, message", [
    (lambda S, o: S.ConstantLR(o, factor=1.5), ValueError,
     "Constant multiplicative factor expected to be between 0 and 1"),
    (lambda S, o: S.ChainedScheduler([]), ValueError, "at least one scheduler"),
    (lambda S, o: S.ChainedScheduler([S.StepLR(o, 2), S.ReduceLROnPlateau(o)]), ValueError,
     "does not support `ReduceLROnPlateau`"),
    (lambda S, o: S.CyclicLR(o, 0.01, 0.1, mode="sawtooth"), ValueError,
     "mode is invalid and scale_fn is None"),
    (lambda S, o: S.CyclicLR(o, [0.01], 0.1), ValueError, "base_lr must have the same length"),
    (lambda S, o: S.CyclicLR(o, 0.01, 0.1, base_momentum=[0.1, 0.2, 0.3]), ValueError,
     "base_momentum must have the same length"),
    (lambda S, o: S.CyclicLR([], 0.01, 0.1), TypeError, "list is not an Optimizer"),
    (lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=0), ValueError,
     "Expected positive integer T_0, but got 0"),
    (lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=2.5), ValueError,
     "Expected positive integer T_0"),
    (lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=0), ValueError,
     "Expected integer T_mult >= 1, but got 0"),
    (lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=5, eta_min="0"), ValueError,
     "Expected float or int eta_min"),
    (lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=5).step(-1), ValueError,
     "Expected non-negative epoch, but got -1"),
])
def test_bad_options_raise_as_torch(make, error, message):
    for L in (torch, cr):
        with pytest.raises(error, match=message):
            make(L.optim.lr_scheduler, sgd(L, parameters(L, START)))


def test_chained_needs_one_optimizer():
    for L in (torch, cr):
        first, second = sgd(L, parameters(L, START)), sgd(L, parameters(L, START))
        S = L.optim.lr_scheduler
        with pytest.raises(ValueError, match="same optimizer"):
            S.ChainedScheduler([S.StepLR(first, 2), S.StepLR(second, 2)])


def test_cyclic_momentum_needs_an_optimizer_with_momentum():
    for L in (torch, cr):
        adagrad = L.optim.Adagrad(parameters(L, START))
        with pytest.raises(ValueError, match="must support momentum or beta1"):
            L.optim.lr_scheduler.CyclicLR(adagrad, 0.01, 0.1)
        L.optim.lr_scheduler.CyclicLR(adagrad, 0.01, 0.1, cycle_momentum=False)


def test_lambda_state_saves_a_callable_objects_attributes_as_torch():
    states = []
    for L in (torch, cr):
        optimizer = sgd(L, parameters(L, START))
        scheduler = L.optim.lr_scheduler.LambdaLR(optimizer, [Countdown(0.5), warmup])
        states.append(scheduler.state_dict()["lr_lambdas"])
    assert states[0] == states[1] == [{"rate": 0.5, "calls": 1}, None]


def test_cyclic_saves_a_callable_objects_attributes_as_torch():
    class Scale:
        def __init__(self):
            self.rate = 0.5

        def __call__(self, x):
            return self.rate ** x

    optimizer = sgd_one_group(cr, parameters(cr, START))
    fn = Scale()
    scheduler = S.CyclicLR(optimizer, 0.01, 0.1, scale_fn=fn)
    state = scheduler.state_dict()
    assert state["_scale_fn_custom"] == {"rate": 0.5}
    fn.rate = 0.9
    scheduler.load_state_dict(state)
    assert fn.rate == 0.5
    lambda_state = S.CyclicLR(optimizer, 0.01, 0.1, scale_fn=lambda x: 1.0).state_dict()
    assert lambda_state["_scale_fn_custom"] is None


@pytest.mark.parametrize("name", ["constant", "cyclic", "warm_restarts", "old_style_subclass"])
def test_get_lr_called_by_a_program_warns_as_torch(name):
    """Old programs read the rate with get_lr(): torch's schedulers warn (it is the next step's
    rate in the chainable form); a user's own subclass does not."""
    for L in (torch, cr):
        optimizer, scheduler = CASES[name](L, parameters(L, START))
        optimizer.step()
        scheduler.step()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            scheduler.get_lr()
        said = [str(w.message) for w in caught if "get_last_lr()" in str(w.message)]
        assert len(said) == (name != "old_style_subclass"), (L.__name__, said)
