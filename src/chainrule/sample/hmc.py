"""Hamiltonian Monte Carlo (Neal 2011, "MCMC using Hamiltonian dynamics"): leapfrog trajectories
driven by the gradient of log_prob that the engine computes, each corrected by a Metropolis test."""
import math

from chainrule.backend import xp
from chainrule.sample._common import (
    Metric, Samples, check_callable, check_count, check_init, check_step_size, evaluate,
    random_state, scalar)


def hmc(log_prob, init, n_samples=1000, step_size=0.1, n_steps=10, burn_in=0, mass=None,
        seed=None):
    """Draw from the density ∝ exp(log_prob(w)) by Hamiltonian Monte Carlo (Neal 2011, §3.2).

    With potential U(w) = −log_prob(w) and momentum p ~ N(0, M), each transition follows the
    Hamiltonian H(w, p) = U(w) + ½ pᵀM⁻¹p for n_steps leapfrog steps of size ε (§2.3, eqs.
    2.28-2.30) and accepts the end point with probability min(1, exp(H_start − H_end)) (§3.2).
    A trajectory whose H is not finite (a divergence: ε too large for the curvature) is
    rejected and the chain stays where it was.

    step_size and n_steps are fixed (no jitter): for a Gaussian target, ε·n_steps near a multiple
    of the period gives periodic, poorly mixing trajectories (Neal §5.4.2 randomises ε against
    this); pick ε·n_steps away from one.

    Args:
        log_prob: w ↦ a scalar Tensor, log of the target up to a constant. w is a float64 leaf
            Tensor of init's shape that requires grad; the gradient comes from the engine.
        init: the starting point (Tensor or array, finite).
        n_samples: draws kept, after burn_in transitions that are discarded (default 1000).
        step_size: ε > 0 (default 0.1). n_steps: leapfrog steps L per transition (default 10).
        mass: M; None (identity), a vector of D positive numbers (diagonal M) or a (D, D)
            positive-definite matrix, D = init's size (Neal §4.1, §5.4.1). A good M is the
            posterior precision (e.g. the Hessian of −log_prob at its mode): the dynamics then
            see a round target.
        seed: an int, a chainrule.Generator, or None for chainrule's global generator.

    Returns Samples: samples (n_samples, *init.shape), the acceptance rate over the kept
    transitions, and log_prob at each draw.
    """
    start = check_init(init, "hmc")
    check_callable(log_prob, "hmc", "log_prob")
    check_count(n_samples, "hmc", "n_samples", 1)
    check_count(n_steps, "hmc", "n_steps", 1)
    check_count(burn_in, "hmc", "burn_in", 0)
    step_size = check_step_size(step_size, "hmc")
    metric = Metric(mass, start.size, "hmc", "mass")
    rng = random_state(seed, "hmc")

    def target(position):
        return evaluate(lambda w: scalar(log_prob(w), "hmc", "log_prob"), position, start.shape)

    position = start.reshape(-1)
    current = target(position)
    if not _finite(current):
        raise ValueError(f"hmc: log_prob or its gradient is not finite at init (log_prob = "
                         f"{current[0]!r}); start where the density is positive")
    samples = xp.empty((n_samples, start.size))
    log_probs = xp.empty(n_samples)
    accepted = 0
    for index in range(burn_in + n_samples):
        position, current, accept = _transition(target, position, current, metric, step_size,
                                                n_steps, rng)
        if index >= burn_in:
            samples[index - burn_in], log_probs[index - burn_in] = position, current[0]
            accepted += accept
    return Samples(samples.reshape((n_samples,) + start.shape), accepted / n_samples, log_probs)


def _transition(target, position, current, metric, step_size, n_steps, rng):
    """One HMC transition from (position, current = (log_prob, gradient) there): returns the
    next position, its (log_prob, gradient), and whether the proposal was accepted."""
    momentum = metric.sample(rng)   # a fresh p ~ N(0, M): Neal §3.2, the first step
    energy = _hamiltonian(current[0], momentum, metric)
    proposal = _leapfrog(target, position, momentum, current[1], metric, step_size, n_steps)
    if proposal is None:
        return position, current, False
    new_position, new_momentum, new_current = proposal
    new_energy = _hamiltonian(new_current[0], new_momentum, metric)
    if not math.isfinite(new_energy):
        return position, current, False
    # min(0, ·) keeps exp from overflowing when the trajectory gained probability.
    if rng.uniform() < math.exp(min(0.0, energy - new_energy)):
        return new_position, new_current, True
    return position, current, False


def _leapfrog(target, position, momentum, gradient, metric, step_size, n_steps):
    """Neal's eqs. 2.28-2.30 (§2.3) with U = −log_prob, so −∂U/∂w is log_prob's gradient: a
    half step of p, then n_steps full steps of w, each followed by a full step of p, the last a
    half.
    The half steps in between merge, so each step costs one gradient. None on a divergence."""
    momentum = momentum + 0.5 * step_size * gradient
    for step in range(n_steps):
        position = position + step_size * metric.solve(momentum)   # dw/dt = M⁻¹p
        current = target(position)
        if not _finite(current):
            return None   # stop at once: the rest of a diverged trajectory is wasted work
        scale = step_size if step < n_steps - 1 else 0.5 * step_size
        momentum = momentum + scale * current[1]
    return position, momentum, current


def _hamiltonian(log_prob, momentum, metric):
    """H = −log_prob(w) + ½ pᵀM⁻¹p (Neal §2.2, §3.1), M⁻¹p by a solve."""
    return -log_prob + 0.5 * float(momentum @ metric.solve(momentum))


def _finite(current):
    value, gradient = current
    return math.isfinite(value) and bool(xp.all(xp.isfinite(gradient)))
