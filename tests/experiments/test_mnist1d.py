"""The MNIST-1D table's setup, and (slow, `make test-slow`) the paper's ranges at its full setup."""
import pytest

from chainrule.experiments import mnist1d

# The ranges around the paper's numbers (REFERENCES.md: paper and reference notebooks).
RANGES = {("logistic", False): (0.30, 0.34), ("mlp", False): (0.62, 0.70),
          ("cnn", False): (0.90, 0.95), ("gru", False): (0.88, 0.93),
          ("cnn", True): (0.50, 0.62)}


def test_a_short_run_uses_the_papers_batches_and_evaluations():
    result, model = mnist1d.train("logistic", steps=500, progress=False)
    assert [record["step"] for record in result.history] == [250, 500]
    assert result.parameters == 410 and 0.2 < result.test_accuracy < 0.4


def test_an_unknown_model_is_named():
    with pytest.raises(ValueError, match="unknown model 'resnet'"):
        mnist1d.train("resnet")


@pytest.mark.slow
@pytest.mark.parametrize("name, shuffled", sorted(RANGES))
def test_the_papers_setup_lands_in_its_range(name, shuffled):
    result, _ = mnist1d.train(name, shuffled, progress=False)
    low, high = RANGES[name, shuffled]
    assert low <= result.test_accuracy <= high, result.test_accuracy


@pytest.mark.slow
def test_shuffling_leaves_logistic_and_mlp_alone():
    for name in ("logistic", "mlp"):
        plain, _ = mnist1d.train(name, progress=False)
        shuffled, _ = mnist1d.train(name, True, progress=False)
        assert abs(plain.test_accuracy - shuffled.test_accuracy) < 0.04, name
