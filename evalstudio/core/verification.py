"""Test outcomes of candidates, and the verdict they give on a perturbation pair: does the
pair's test tell the correct twin from its flawed twin?"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class TestStatus(StrEnum):
    """How running one candidate's tests ended."""

    # pytest collects classes named Test* from the test modules that import them.
    __test__ = False

    PASSED = "passed"
    FAILED = "failed"  # a test raised: an assertion or any other exception
    ERROR = "error"  # the tests could not run: a syntax error, loading raised, a limit hit
    NO_TESTS = "no_tests"  # the test source defines no test_ function
    TIMEOUT = "timeout"  # stopped by the wall-clock or CPU-time limit
    FORBIDDEN = "forbidden"  # tried the network, a process, or a write outside its directory


@dataclass(frozen=True)
class TestOutcome:
    """The outcome of running one candidate's tests: `detail` says in one line what happened
    ("1 of 2 tests failed: ..."), `output` is what the run printed (clipped to a few KB)."""

    __test__ = False

    status: TestStatus
    detail: str
    output: str
    duration_s: float

    def __post_init__(self) -> None:
        if "\n" in self.detail:
            raise ValueError(f"a test outcome's detail is one line, not {self.detail!r}")


class PairVerdict(StrEnum):
    """What a pair's test shows about the pair."""

    VERIFIED = "verified"  # the correct twin passes, the flawed twin does not
    UNVERIFIED = "unverified"  # the flawed twin passes too: the test misses the planted flaw
    BROKEN = "broken"  # the correct twin does not pass: the test or the twin is wrong


@dataclass(frozen=True)
class PairVerification:
    """The verdict on a pair, a one-line explanation, and the two outcomes it rests on."""

    verdict: PairVerdict
    explanation: str
    correct: TestOutcome
    flawed: TestOutcome


def verify_pair(correct: TestOutcome, flawed: TestOutcome) -> PairVerification:
    """The verdict on a pair from the outcomes of its test on the correct and the flawed twin.

    Any outcome of the flawed twin other than passing counts as catching the flaw (a planted
    infinite loop shows as a timeout); the explanation names it so a weak catch can be seen.
    """
    if correct.status is not TestStatus.PASSED:
        verdict = PairVerdict.BROKEN
        why = f"the correct twin does not pass its tests ({correct.detail})"
    elif flawed.status is TestStatus.PASSED:
        verdict = PairVerdict.UNVERIFIED
        why = f"the flawed twin passes the tests too ({flawed.detail}), so they miss the flaw"
    else:
        verdict = PairVerdict.VERIFIED
        why = f"the correct twin passes its tests and the flawed twin does not ({flawed.detail})"
    return PairVerification(verdict, f"{verdict}: {why}", correct, flawed)
