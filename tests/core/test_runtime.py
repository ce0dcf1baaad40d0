"""mobileopt.core.runtime: a training job runs with exactly the configured thread count or stops."""
import pytest

from mobileopt.core.runtime import ThreadsError, training_threads


def test_configured_threads_pass():
    assert training_threads(2, 2) == 2


@pytest.mark.parametrize("granted, configured", [(1, 2), (4, 2)])
def test_scaled_threads_stop_with_the_fix(granted, configured):
    with pytest.raises(ThreadsError, match=rf"given {granted} thread.*asks for {configured}.*--cores {configured}"):
        training_threads(granted, configured)
