"""Helpers the scheduler tests share (no tests here): optimisers with two parameter groups
(different learning rates, so a scheduler must treat each group apart), `scheduled`, which
makes a build function for tests/optim/trajectory.py's runs out of a scheduler's constructor, and
the schedules the tests run, by name: one table per module of chainrule.optim.lr_scheduler, the
module that defines the scheduler (test_<module>.py follows torch over its table), and CASES,
all of them (test_base.py's tests of what every scheduler shares pick from it)."""
import torch

import chainrule as cr


def sgd(L, params):
    return L.optim.SGD([{"params": params[:2]}, {"params": params[2:], "lr": 0.05}], lr=0.1,
                       momentum=0.9)


def adam(L, params):
    return L.optim.Adam([{"params": params[:2]}, {"params": params[2:], "lr": 0.05}], lr=0.01)


def scheduled(make_scheduler, make_optimizer=sgd):
    """A build function for trajectory.run: the optimiser and a scheduler on it."""
    def build(L, params):
        optimizer = make_optimizer(L, params)
        return optimizer, make_scheduler(L.optim.lr_scheduler, optimizer)
    return build


def warmup(step):
    return min(1.0, (step + 1) / 10) * 0.95 ** max(0, step - 10)


class Countdown:
    """A callable object with state, as programs pass to LambdaLR: its factor depends on how
    often it has been called, so a resumed run matches only if its attributes were restored."""

    def __init__(self, rate):
        self.rate, self.calls = rate, 0

    def __call__(self, step):
        self.calls += 1
        return self.rate ** (self.calls // 3)


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


def old_style_for(S):
    return old_style(torch if S is torch.optim.lr_scheduler else cr)


# ----- the schedules, by the module that defines the scheduler ------------------------------------
BASE = {   # a user's own subclass of base.py's _LRScheduler
    "old_style_subclass": scheduled(lambda S, o: old_style_for(S)(o, 10, 200)),
}
DECAY = {
    "lambda_warmup": scheduled(lambda S, o: S.LambdaLR(o, warmup)),
    "lambda_per_group": scheduled(lambda S, o: S.LambdaLR(o, [warmup, lambda t: 1 / (1 + t)])),
    "lambda_callable_objects": scheduled(lambda S, o: S.LambdaLR(o, [Countdown(0.9),
                                                                   lambda t: 0.99 ** t])),
    "lambda_groups": scheduled(lambda S, o: S.LambdaLR(o, [lambda t: 0.9 ** t,
                                                           lambda t: 1 / (1 + 0.5 * t)])),
    "multiplicative": scheduled(lambda S, o: S.MultiplicativeLR(o, lambda t: 0.97)),
    "multiplicative_callable_object": scheduled(lambda S, o: S.MultiplicativeLR(
        o, Countdown(0.98))),
    "multiplicative_groups": scheduled(lambda S, o: S.MultiplicativeLR(
        o, [lambda t: 0.95, lambda t: 1.01 if t % 2 else 0.9])),
    "step": scheduled(lambda S, o: S.StepLR(o, step_size=7, gamma=0.5)),
    "multistep": scheduled(lambda S, o: S.MultiStepLR(o, milestones=[10, 30, 30, 60], gamma=0.3)),
    "exponential": scheduled(lambda S, o: S.ExponentialLR(o, gamma=0.97)),
    "cosine": scheduled(lambda S, o: S.CosineAnnealingLR(o, T_max=100)),
    "cosine_past_t_max": scheduled(lambda S, o: S.CosineAnnealingLR(o, T_max=30, eta_min=1e-3)),
    "linear_warmup": scheduled(lambda S, o: S.LinearLR(o, start_factor=0.1, total_iters=20)),
    "linear_decay": scheduled(lambda S, o: S.LinearLR(o, start_factor=1.0, end_factor=0.2,
                                                      total_iters=40)),
}
POLYNOMIAL = {
    "constant": scheduled(lambda S, o: S.ConstantLR(o)),
    "constant_factor": scheduled(lambda S, o: S.ConstantLR(o, factor=0.5, total_iters=40)),
    "polynomial": scheduled(lambda S, o: S.PolynomialLR(o)),
    "polynomial_power": scheduled(lambda S, o: S.PolynomialLR(o, total_iters=80, power=2.0)),
}
ONE_CYCLE = {
    "one_cycle": scheduled(lambda S, o: S.OneCycleLR(o, max_lr=[0.5, 0.2], total_steps=100)),
    "one_cycle_linear_three_phase": scheduled(lambda S, o: S.OneCycleLR(
        o, max_lr=0.4, epochs=10, steps_per_epoch=10, pct_start=0.25, anneal_strategy="linear",
        three_phase=True)),
    "one_cycle_betas": scheduled(lambda S, o: S.OneCycleLR(
        o, max_lr=0.3, total_steps=120, base_momentum=0.8, max_momentum=[0.9, 0.95]), adam),
    "one_cycle_without_momentum": scheduled(lambda S, o: S.OneCycleLR(
        o, max_lr=0.3, total_steps=100, cycle_momentum=False, div_factor=10.0,
        final_div_factor=100.0)),
}
CYCLIC = {
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
}
WARM_RESTARTS = {
    "warm_restarts": scheduled(lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=10)),
    "warm_restarts_mult": scheduled(lambda S, o: S.CosineAnnealingWarmRestarts(
        o, T_0=3, T_mult=2, eta_min=1e-3)),
}
PLATEAU = {
    "plateau": scheduled(lambda S, o: S.ReduceLROnPlateau(o, patience=2, factor=0.5)),
    "plateau_max_abs_cooldown": scheduled(lambda S, o: S.ReduceLROnPlateau(
        o, mode="max", factor=0.7, threshold_mode="abs", threshold=1e-6, patience=1, cooldown=3,
        min_lr=[1e-3, 2e-3])),
    "plateau_min_lr_eps": scheduled(lambda S, o: S.ReduceLROnPlateau(
        o, patience=0, factor=0.5, threshold_mode="abs", min_lr=1e-3, eps=1e-3)),
}
SEQUENTIAL = {
    "sequential_warmup_cosine": scheduled(lambda S, o: S.SequentialLR(
        o, [S.LinearLR(o, 0.1, total_iters=10), S.CosineAnnealingLR(o, T_max=90)], [10])),
    "sequential_three": scheduled(lambda S, o: S.SequentialLR(
        o, [S.LinearLR(o, 0.2, total_iters=5), S.StepLR(o, 10, 0.5), S.ExponentialLR(o, 0.95)],
        [10, 40])),
    "sequential_nested": scheduled(lambda S, o: S.SequentialLR(
        o, [S.SequentialLR(o, [S.LinearLR(o, 0.5, total_iters=4), S.MultiStepLR(o, [3, 8])], [5]),
            S.CosineAnnealingLR(o, T_max=50, eta_min=0.01)], [30])),
    "chained": scheduled(lambda S, o: S.ChainedScheduler(
        [S.ConstantLR(o, factor=0.1, total_iters=4), S.ExponentialLR(o, gamma=0.95)])),
    "chained_three": scheduled(lambda S, o: S.ChainedScheduler(
        [S.LinearLR(o, 0.2, total_iters=10), S.StepLR(o, 15, 0.5),
         S.LambdaLR(o, [warmup, lambda t: 1 / (1 + t)])], optimizer=o)),
}
CASES = {**BASE, **DECAY, **POLYNOMIAL, **ONE_CYCLE, **CYCLIC, **WARM_RESTARTS, **PLATEAU,
         **SEQUENTIAL}
# The schedules whose runs also train: the scheduler then drives the parameters (elsewhere only
# the rates and momenta are compared, which needs no gradients).
TRAINED = ["one_cycle_betas", "sequential_warmup_cosine", "plateau", "cyclic_betas", "chained",
           "warm_restarts"]
