"""The one settings object of the fuzz tests (marker `fuzz`, docs/reliability.md).

`make test` runs each fuzz test on 1,000 examples, derandomized: the same examples on every
run, so CI fails on a change of the code, not on luck. `make fuzz` (EVALSTUDIO_FUZZ=full) runs
20,000 fresh random ones per test and keeps any failure in .hypothesis/ to replay first.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

CI_EXAMPLES = 1_000
FULL_EXAMPLES = 20_000

settings.register_profile(
    "fuzz-ci",
    max_examples=CI_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,  # an example's time varies with the machine's load, not with its input
    # The fixtures are shared by every example on purpose (one workspace, put back after an
    # example that changed it); inputs are large by design (huge strings, whole packages).
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)
settings.register_profile(
    "fuzz-full",
    settings.get_profile("fuzz-ci"),
    max_examples=FULL_EXAMPLES,
    derandomize=False,
    database=settings.get_profile("default").database,
    print_blob=True,
)

_MODE = os.environ.get("EVALSTUDIO_FUZZ", "ci") or "ci"
if _MODE not in ("ci", "full"):
    raise ValueError(f"EVALSTUDIO_FUZZ={_MODE!r}: use 'ci' (the default) or 'full'")
FUZZ = settings.get_profile(f"fuzz-{_MODE}")
