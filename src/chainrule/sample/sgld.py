"""Stochastic-gradient Langevin dynamics (Welling & Teh 2011): SGD on the log posterior with
mini-batch gradients, plus Gaussian noise of the step's size, so the iterates become samples."""
import math

from chainrule.backend import xp
from chainrule.sample._common import (
    Metric, Samples, check_callable, check_count, check_init, check_step_size, evaluate,
    random_state, scalar)
from chainrule.tensor import Tensor


def sgld(log_prior, log_likelihood, init, loader, n_data, step_size, n_samples, burn_in=0,
         thin=1, precondition=None, seed=None):
    """Draw from p(w | data) ∝ p(w) Π_i p(x_i | w) by SGLD (Welling & Teh 2011, eq. 4):

        Δw_t = (ε_t/2) P (∇log p(w_t) + (N/n) Σ_{i∈batch_t} ∇log p(x_i | w_t)) + η_t,
        η_t ~ N(0, ε_t P)

    with P = I unless `precondition` is given (a fixed preconditioner, as in Girolami &
    Calderhead 2011 with a constant metric and Li et al. 2016: it keeps N(0, ε P)-noise and the
    P-scaled drift in step, so the same posterior is targeted). There is no Metropolis test: the
    draws carry an O(ε) bias (the Euler discretisation and the mini-batch noise) that vanishes as
    ε_t → 0; a decaying schedule such as the paper's ε_t = a(b + t)^−γ, γ ∈ (0.5, 1], removes it
    in the limit, at the price of slower mixing.

    Args:
        log_prior: w ↦ scalar Tensor, log p(w) up to a constant.
        log_likelihood: (w, batch) ↦ scalar Tensor, the batch's *summed* log p(x_i | w).
        init: the starting point (Tensor or array, finite). w, given to both functions, is a
            float64 leaf Tensor of init's shape; the gradients come from the engine.
        loader: a DataLoader (or any re-iterable of batches); it is cycled through as many epochs
            as needed. The batch size n is read from the batch's first tensor or array.
        n_data: N, the number of data points the likelihood sums over.
        step_size: ε > 0, or a callable t ↦ ε_t of the step index t = 0, 1, 2, ...
        n_samples: draws kept; thin: keep every thin-th iterate; burn_in: iterates discarded
            first. The chain runs burn_in + n_samples·thin steps, one batch each.
        precondition: P; None (identity), a vector of D positive numbers (diagonal) or a (D, D)
            positive-definite matrix, D = init's size. A good P is the posterior covariance,
            e.g. the inverse Hessian of the negative log posterior at its mode.
        seed: an int, a chainrule.Generator, or None for chainrule's global generator (the
            loader's shuffling has its own generator).

    Returns Samples: samples (n_samples, *init.shape), each the iterate w_t a gradient was taken
    at; acceptance_rate None (nothing is rejected); log_probs, the mini-batch estimate of
    log p(w_t) + log p(data | w_t) at each draw.
    """
    start = check_init(init, "sgld")
    check_callable(log_prior, "sgld", "log_prior")
    check_callable(log_likelihood, "sgld", "log_likelihood")
    check_count(n_data, "sgld", "n_data", 1)
    check_count(n_samples, "sgld", "n_samples", 1)
    check_count(burn_in, "sgld", "burn_in", 0)
    check_count(thin, "sgld", "thin", 1)
    schedule = _schedule(step_size)
    metric = Metric(precondition, start.size, "sgld", "precondition")
    rng = random_state(seed, "sgld")

    def log_posterior(w, batch, scale):
        prior = scalar(log_prior(w), "sgld", "log_prior")
        return prior + scale * scalar(log_likelihood(w, batch), "sgld", "log_likelihood")

    samples, log_probs = xp.empty((n_samples, start.size)), xp.empty(n_samples)
    position, batches = start.reshape(-1), _cycle(loader)
    for step in range(burn_in + n_samples * thin):
        batch = next(batches)
        scale = n_data / _batch_size(batch, n_data)   # N/n: the batch stands for all N points
        value, gradient = evaluate(log_posterior, position, start.shape, batch, scale)
        _check_finite(value, gradient, step)
        kept, offset = divmod(step - burn_in, thin)
        if step >= burn_in and offset == 0:
            samples[kept], log_probs[kept] = position, value
        epsilon = schedule(step)
        position = (position + 0.5 * epsilon * metric.times(gradient)
                    + math.sqrt(epsilon) * metric.sample(rng))
    return Samples(samples.reshape((n_samples,) + start.shape), None, log_probs)


def _schedule(step_size):
    """step_size as a function of the step index, each value checked when it is used."""
    if callable(step_size):
        return lambda step: check_step_size(step_size(step), "sgld", f" (step_size({step}))")
    constant = check_step_size(step_size, "sgld")
    return lambda step: constant


def _cycle(loader):
    """The loader's batches, epoch after epoch."""
    try:
        one_pass = iter(loader) is loader   # an iterator would be empty from the second epoch
    except TypeError:
        raise TypeError("sgld: loader must be an iterable of batches (a DataLoader or a list), "
                        f"got {type(loader).__name__}") from None
    if one_pass:
        raise TypeError("sgld: loader must be re-iterable (a DataLoader or a list of batches), "
                        f"got a one-pass iterator {type(loader).__name__}")
    while True:
        empty = True
        for batch in loader:
            empty = False
            yield batch
        if empty:
            raise ValueError("sgld: loader yielded no batches")


def _batch_size(batch, n_data):
    """n, the leading dimension of the batch's first tensor or array (nested in a tuple, list or
    dict, as a DataLoader's batches are)."""
    first = batch
    while isinstance(first, (tuple, list, dict)) and len(first) > 0:
        first = next(iter(first.values())) if isinstance(first, dict) else first[0]
    shape = getattr(first.array if isinstance(first, Tensor) else first, "shape", None)
    if not shape:
        raise TypeError(f"sgld: cannot read the batch size from a batch of type "
                        f"{type(batch).__name__} (its first element has shape {shape}); a batch "
                        "must hold tensors or arrays with the samples along the first dimension")
    if shape[0] > n_data:
        raise ValueError(f"sgld: a batch of {shape[0]} samples is larger than n_data = {n_data}")
    return shape[0]


def _check_finite(value, gradient, step):
    if not (math.isfinite(value) and xp.all(xp.isfinite(gradient))):
        raise ValueError(f"sgld: the log posterior or its gradient is not finite at step {step} "
                         f"(log posterior = {value!r}); the chain diverged: reduce step_size")
