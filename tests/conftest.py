"""Settings shared by every test suite."""

from __future__ import annotations

import os

from hypothesis import settings

# "ci" is thorough yet bounded; "dev" keeps the local loop quick. Neither has a
# deadline: SQLite fsyncs make example timings too noisy to police.
settings.register_profile("ci", max_examples=50, deadline=None)
settings.register_profile("dev", max_examples=20, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))
