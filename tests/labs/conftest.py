"""The lab tests' shared fixture: every lab graded by the kit once a session, not once in
test_labs and again in test_nbgrader (that cost over a minute of `make test`)."""
import functools

import pytest

from tests.labs.helpers import GradedLab


@pytest.fixture(scope="session")
def graded_lab(tmp_path_factory):
    """graded_lab(lab): the lab's quick source and release, written once, graded once (helpers)."""
    @functools.cache
    def graded(lab):
        return GradedLab(lab, tmp_path_factory.mktemp(f"kit_{lab.name}"))
    return graded
