"""The lecture's curve-fitting claims on the default data (PRML §1.1, Figures 1.5-1.8), and how
often they hold over other draws."""
import math

import numpy as np
import pytest

from chainrule.experiments import curvefit, curvefit_bayes
from chainrule.train import KFold


@pytest.fixture(scope="module")
def report():
    return curvefit.report(curvefit.generate())


def test_training_error_falls_to_zero_and_test_error_rises_at_nine(report):
    train, test = report.rms["train"], report.rms["test"]
    assert all(b <= a + 1e-12 for a, b in zip(train, train[1:])) and train[9] < 1e-6
    assert 3 <= int(np.argmin(test)) <= 8 and int(np.argmax(test)) == 9


def test_every_way_of_choosing_picks_a_moderate_degree(report):
    data = report.data
    chosen = {name: selection.best["degree"] for name, selection in report.by_degree.items()}
    chosen["5-fold"] = curvefit.select_degree(data, report.degrees, KFold(5)).best["degree"]
    assert all(3 <= m <= 8 for m in chosen.values()), chosen


def test_regularisation_tames_the_degree_nine_fit(report):
    norms = [np.linalg.norm(w) for w in report.regularised.values()]   # ln λ = -∞, -18, 0
    assert norms[0] > 100 * norms[1] > 100 * 100 * norms[2]
    rms = report.rms_lambda
    best = int(np.argmin(rms["test"]))
    assert rms["test"][best] < rms["test"][0] and rms["test"][best] < rms["test"][-1]
    assert all(b >= a - 1e-12 for a, b in zip(rms["train"], rms["train"][1:]))  # Figure 1.8


def test_the_claims_over_twenty_draws():
    """Not every draw of ten points shows Figure 1.5's blow-up at M = 9: between the points the
    interpolant swings wide only for some noise draws. Measured here over seeds 0-19 (and stated
    in curvefit.DEFAULT_SEED's comment): the test error is lowest for 3 <= M <= 8 in all, and
    largest at M = 9 in about half."""
    lowest_in_range = worst_at_nine = cross_in_range = 0
    for seed in range(20):
        data = curvefit.generate(seed=seed)
        test = curvefit.rms_by_degree(data, range(10))["test"]
        lowest_in_range += 3 <= int(np.argmin(test)) <= 8
        worst_at_nine += int(np.argmax(test)) == 9
        cross_in_range += 3 <= curvefit.select_degree(data, range(10)).best["degree"] <= 8
    assert lowest_in_range == 20
    assert 6 <= worst_at_nine <= 14
    assert cross_in_range >= 15


def test_samplers_bands_lie_on_the_closed_form(report):
    """HMC and SGLD at M = 9 (α = 5e-3, β = 11.1, PRML Figure 1.17), fixed seeds. The predictive
    std is ~0.35 here; with ~1000 HMC draws the Monte Carlo error of the band's mean is ~0.01,
    and SGLD's fewer effective draws and O(ε) bias are allowed about three times that."""
    comparison = curvefit_bayes.compare(report.data, 9, seed=0)
    (_, mean, std), *sampled = comparison.bands
    tolerances = {"HMC": 0.02, "SGLD": 0.06}
    for name, sampled_mean, sampled_std in sampled:
        assert np.max(np.abs(sampled_mean - mean)) < tolerances[name], name
        assert np.max(np.abs(sampled_std - std)) < tolerances[name], name
    assert 0.6 < comparison.draws["HMC"].acceptance_rate < 1


def test_own_data_has_no_test_set_but_still_selects():
    data = curvefit.Data(np.linspace(-2, 3, 25), np.sin(np.linspace(-2, 3, 25)))
    report = curvefit.report(data, range(6))
    assert "test" not in report.rms and math.isfinite(report.by_degree["hold-out"].best_score)
