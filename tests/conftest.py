"""Settings shared by every test suite, and a real redis-server for those that need one."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from tests.redis_server import EXECUTABLE, RedisServer, find_redis_server

# "ci" is thorough yet bounded; "dev" keeps the local loop quick. Neither has a
# deadline: SQLite fsyncs make example timings too noisy to police.
settings.register_profile("ci", max_examples=50, deadline=None)
settings.register_profile("dev", max_examples=20, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A fresh redis-server on a free port, killed at teardown.

    Without a redis-server binary the test is skipped locally, but fails in CI
    (the CI variable is set): CI must never silently skip the Redis tests.
    """
    if find_redis_server() is None:
        reason = f"{EXECUTABLE} is not installed (on Debian/Ubuntu: apt-get install redis-server)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must run the Redis tests")
        pytest.skip(reason)
    with RedisServer(tmp_path / "redis") as server:
        yield server
