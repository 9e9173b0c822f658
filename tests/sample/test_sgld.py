"""SGLD with mini-batches draws from the posterior of Bayesian polynomial regression (PRML §3.3)
up to its O(ε) bias; schedules, thinning and seeds behave as documented; bad arguments and a
diverging chain are named."""
import math

import numpy as np
import pytest

import chainrule as cr
from chainrule.data import DataLoader
from chainrule.sample import sgld
from tests.sample import DEGREE, Regression, assert_posterior_mean


@pytest.fixture(scope="module")
def regression():
    return Regression()


def loader(regression, seed=0):
    """Batches of 5 of the 10 points, reshuffled each epoch."""
    return DataLoader(regression.data, batch_size=5, shuffle=True, generator=seed)


# Under `make test-slow` only: `make test` checks the same sampler (preconditioned by the inverse
# curvature, mini-batches of half the points) against the closed form in
# tests/experiments/test_curvefit.py::test_samplers_bands_lie_on_the_closed_form.
@pytest.mark.slow
def test_posterior_mean_and_covariance_match_the_closed_form(regression):
    """10,200 steps (~2.5 s), ε = 0.2, preconditioned by the inverse of the Laplace precision
    (the Hessian of −log posterior at the mode, from the engine; for this Gaussian it is S). Without
    P, κ ≈ 7.6e3 would need ε below 1/κ of the widest direction's scale and ~10^4× more steps.

    In the whitened frame the update is an AR(1) chain z ← (1 − ε/2)z + √ε ξ plus mini-batch
    gradient noise. The mean has no bias (the drift is linear, the noise zero-mean), so it is held
    to the Monte Carlo criterion. The covariance has SGLD's O(ε) bias: 1/(1 − ε/4) − 1 ≈ 5% from
    the Euler step and a similar share from the mini-batch noise (Welling & Teh 2011 §3), plus a
    Monte Carlo error of √(2/ESS) ≈ 0.06; hence S^{-1/2} Ĉ S^{-1/2} = I within 0.3."""
    precondition = np.linalg.solve(regression.laplace_precision(), np.eye(DEGREE + 1))
    result = sgld(regression.log_prior, regression.log_likelihood, np.zeros(DEGREE + 1),
                  loader(regression), n_data=10, step_size=0.2, n_samples=2000, burn_in=200,
                  thin=5, precondition=precondition, seed=0)
    assert result.acceptance_rate is None
    z = regression.whitened(result.samples)
    assert assert_posterior_mean(z) > 300
    assert np.abs(np.cov(z, rowvar=False) - np.eye(DEGREE + 1)).max() < 0.3


def test_the_schedule_is_called_with_each_step_index(regression):
    """The paper's ε_t = a(b + t)^−γ (Welling & Teh 2011 §5.1), once per step, t from 0."""
    steps = []

    def schedule(t):
        steps.append(t)
        return 0.5 * (1 + t) ** -0.55

    precondition = np.diag(np.diag(np.linalg.solve(regression.laplace_precision(),
                                                   np.eye(DEGREE + 1))))
    result = sgld(regression.log_prior, regression.log_likelihood, np.zeros(DEGREE + 1),
                  loader(regression), 10, schedule, n_samples=7, burn_in=3, thin=2,
                  precondition=precondition, seed=0)
    assert steps == list(range(3 + 7 * 2))
    assert result.samples.shape == (7, DEGREE + 1) and np.all(np.isfinite(result.samples))


def test_burn_in_thin_and_log_probs():
    """The draws are the iterates burn_in, burn_in + thin, ...; log_probs the estimate there.
    A full batch of one point (N = 1) makes the estimate exact: log_prob = −w²/2 − (w − 1)²/2."""
    seen = []

    def log_prior(w):
        seen.append(w.array.copy())
        return -0.5 * (w**2).sum()

    batches = [np.ones(1)]
    result = sgld(log_prior, lambda w, x: -0.5 * ((w - cr.tensor(x)) ** 2).sum(), np.zeros(1),
                  batches, 1, 0.1, n_samples=4, burn_in=2, thin=3, seed=0)
    assert len(seen) == 2 + 4 * 3
    np.testing.assert_array_equal(result.samples, np.array(seen)[2::3])
    w = result.samples[:, 0]
    np.testing.assert_allclose(result.log_probs, -0.5 * w**2 - 0.5 * (w - 1) ** 2)


def test_a_seed_reproduces_the_run(regression):
    def run(seed, loader_seed=0):
        return sgld(regression.log_prior, regression.log_likelihood, np.zeros(DEGREE + 1),
                    loader(regression, loader_seed), 10, 1e-4, 20, seed=seed).samples
    np.testing.assert_array_equal(run(5), run(5))
    assert not np.array_equal(run(5), run(6))
    assert not np.array_equal(run(5), run(5, loader_seed=1))


def test_a_diverging_chain_is_named(regression):
    """ε = 1 without a preconditioner: the stiffest direction (curvature ~7e2) grows ~350× a step
    until it overflows."""
    with pytest.raises(ValueError, match=r"sgld: .* not finite at step \d+ .* reduce step_size"):
        sgld(regression.log_prior, regression.log_likelihood, np.zeros(DEGREE + 1),
             loader(regression), 10, 1.0, 500, seed=0)


def _standard(w):
    return -0.5 * (w**2).sum()


def _likelihood(w, batch):
    return -0.5 * ((w - cr.tensor(batch)) ** 2).sum()


BAD_ARGUMENTS = [
    # (change to the valid call, error, words the message names)
    (dict(log_prior=lambda w: w), ValueError, "log_prior must return a scalar Tensor (one "
     "element), got shape (2,)"),
    (dict(log_likelihood=lambda w, b: 1.0), TypeError, "log_likelihood must return a scalar "
     "Tensor, got float"),
    (dict(log_likelihood=None), TypeError, "log_likelihood must be callable"),
    (dict(init=[math.inf, 0.0]), ValueError, "init of shape (2,) must be finite"),
    (dict(loader=[]), ValueError, "loader yielded no batches"),
    (dict(loader=iter([np.zeros((2, 2))])), TypeError, "loader must be re-iterable"),
    (dict(loader=[np.zeros((4, 2))]), ValueError, "a batch of 4 samples is larger than "
     "n_data = 3"),
    (dict(loader=[1.5]), TypeError, "cannot read the batch size"),
    (dict(loader=7), TypeError, "loader must be an iterable of batches"),
    (dict(n_data=0), ValueError, "n_data must be an int >= 1, got 0"),
    (dict(step_size=-0.1), ValueError, "step_size must be a finite number > 0, got -0.1"),
    (dict(step_size=lambda t: 0.1 if t < 2 else 0.0), ValueError,
     "step_size must be a finite number > 0 (step_size(2)), got 0.0"),
    (dict(thin=0), ValueError, "thin must be an int >= 1"),
    (dict(precondition=np.eye(3)), ValueError, "precondition must be None, a vector of shape "
     "(2,) or a matrix of shape (2, 2) for init of size 2, got shape (3, 3)"),
    (dict(seed=1.5), TypeError, "sgld: generator must be a chainrule.Generator"),
]


@pytest.mark.parametrize("change,error,words", BAD_ARGUMENTS,
                         ids=[next(iter(c)) + f"-{i}" for i, (c, _, _) in
                              enumerate(BAD_ARGUMENTS)])
def test_bad_arguments_are_named(change, error, words):
    arguments = dict(log_prior=_standard, log_likelihood=_likelihood, init=np.zeros(2),
                     loader=[np.zeros((2, 2))], n_data=3, step_size=0.1, n_samples=5)
    arguments.update(change)
    with pytest.raises(error) as caught:
        sgld(**arguments)
    assert str(caught.value).startswith("sgld: ") and words in str(caught.value)
