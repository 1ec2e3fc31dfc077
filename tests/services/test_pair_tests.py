"""Pair tests: a candidate's tests run in a sandboxed child (real subprocesses), and a pair is
verified when its test passes on the correct twin and not on the flawed twin."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from evalstudio.core.verification import (
    PairVerdict,
    TestOutcome,
    TestStatus,
    verify_pair,
)
from evalstudio.services.sandbox.pair_tests import run_candidate_tests, verify_pair_tests

ADD = "def add(a, b):\n    return a + b\n"
ADD_TEST = "def test_adds():\n    assert add(2, 3) == 5, 'add(2, 3) should be 5'\n"
TASKS = Path(__file__).resolve().parents[2] / "resources" / "demo" / "tasks.jsonl"


def test_a_correct_candidate_passes() -> None:
    outcome = run_candidate_tests(ADD, ADD_TEST)
    assert outcome.status is TestStatus.PASSED, outcome.output
    assert outcome.detail == "1 test passed"
    assert 0 < outcome.duration_s < 5


def test_a_failing_assertion_fails_with_its_message_and_line_in_the_output() -> None:
    outcome = run_candidate_tests(ADD.replace("a + b", "a - b"), ADD_TEST)
    assert outcome.status is TestStatus.FAILED
    assert "test_adds (AssertionError: add(2, 3) should be 5)" in outcome.detail
    assert "add(2, 3) should be 5" in outcome.output
    assert "assert add(2, 3) == 5" in outcome.output  # the failing line, though <test> is no file


def test_a_syntax_error_names_the_candidate_or_the_test() -> None:
    in_candidate = run_candidate_tests("def add(a, b:\n    return a\n", ADD_TEST)
    in_test = run_candidate_tests(ADD, "def test_adds(:\n    pass\n")
    assert in_candidate.status is in_test.status is TestStatus.ERROR
    assert in_candidate.detail.startswith("SyntaxError in <candidate> line 1")
    assert in_test.detail.startswith("SyntaxError in <test> line 1")


def test_an_exception_while_loading_the_candidate_is_an_error() -> None:
    outcome = run_candidate_tests("raise RuntimeError('no config')\n", ADD_TEST)
    assert outcome.status is TestStatus.ERROR
    assert outcome.detail == "loading <candidate> raised RuntimeError: no config"


def test_a_test_source_without_test_functions_has_no_tests() -> None:
    outcome = run_candidate_tests("def test_bit(n):\n    return n & 1\n", "CASES = [1, 2]\n")
    assert outcome.status is TestStatus.NO_TESTS  # the candidate's own test_bit is no test


def test_an_infinite_loop_is_stopped_at_the_timeout() -> None:
    outcome = run_candidate_tests(
        "", "def test_spins():\n    while True:\n        pass\n", timeout_s=1.5
    )
    assert outcome.status is TestStatus.TIMEOUT
    assert 1.5 <= outcome.duration_s < 3.5


def test_connecting_to_the_network_is_forbidden_and_never_connects() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        test = (
            "import socket\n"
            "def test_calls_home():\n"
            "    try:\n"
            f"        socket.socket().connect(('127.0.0.1', {port}))\n"
            "    except Exception:\n"
            "        pass  # a test swallowing the error does not hide the attempt\n"
        )
        outcome = run_candidate_tests("", test)
        server.setblocking(False)
        with pytest.raises(BlockingIOError):
            server.accept()  # nothing is waiting: no connection was made
    assert outcome.status is TestStatus.FORBIDDEN
    assert outcome.detail.startswith(f"socket.connect ('127.0.0.1', {port})")
    assert "forbidden: socket.connect" in outcome.output


def test_writing_outside_its_directory_is_forbidden_and_nothing_is_written(tmp_path: Path) -> None:
    target = tmp_path / "escaped.txt"
    test = f"def test_saves():\n    open({str(target)!r}, 'w').write('results')\n"
    outcome = run_candidate_tests("", test)
    assert outcome.status is TestStatus.FORBIDDEN
    assert outcome.detail.startswith(f"open for writing {str(target)!r}")
    assert not target.exists()


def test_writing_inside_its_own_directory_is_allowed_and_the_directory_is_deleted() -> None:
    test = (
        "import os, pathlib, shutil, tempfile\n"
        "def test_uses_files():\n"
        "    pathlib.Path('data/sub').mkdir(parents=True)\n"
        "    pathlib.Path('data/sub/out.txt').write_text('x')\n"
        "    with tempfile.NamedTemporaryFile() as scratch:\n"
        "        scratch.write(b'y')\n"
        "    shutil.rmtree('data')\n"
        "    print('cwd=' + os.getcwd())\n"
    )
    outcome = run_candidate_tests("", test)
    assert outcome.status is TestStatus.PASSED, outcome.output
    cwd = Path(outcome.output.partition("cwd=")[2].strip())
    assert cwd.name == "work" and not cwd.parent.exists()


def test_the_environment_holds_no_secret_of_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVALSTUDIO_API_KEY", "secret")
    test = (
        "import os\n"
        "def test_environment():\n"
        "    assert set(os.environ) <= {'PATH', 'HOME', 'TMPDIR', 'LANG', 'LC_ALL'}, os.environ\n"
    )
    assert run_candidate_tests("", test).status is TestStatus.PASSED


def test_a_memory_bomb_is_an_error_not_a_hurt_machine() -> None:
    outcome = run_candidate_tests("", "def test_hoards():\n    bytearray(4 * 2**30)\n")
    assert outcome.status is TestStatus.ERROR
    assert outcome.detail == "test_hoards ran out of memory (the limit is 1024 MiB)"
    assert "MemoryError" in outcome.output


def test_starting_a_subprocess_is_forbidden() -> None:
    test = "import subprocess\ndef test_shells_out():\n    subprocess.run(['true'])\n"
    outcome = run_candidate_tests("", test)
    assert outcome.status is TestStatus.FORBIDDEN
    assert outcome.detail == "subprocess.Popen ['true']: the tests may not start processes"


def test_endless_printing_stops_at_the_output_limit_and_keeps_start_and_end() -> None:
    test = "def test_chatters():\n    print('first')\n    while True:\n        print('x' * 1000)\n"
    outcome = run_candidate_tests("", test)
    assert outcome.status is TestStatus.ERROR
    assert outcome.detail == "stopped after printing 10 MiB, the output limit"
    assert outcome.output.startswith("first\n") and "bytes of output cut" in outcome.output
    assert len(outcome.output) < 5000


def outcome(status: TestStatus, detail: str = "") -> TestOutcome:
    return TestOutcome(status, detail or status.value, "", 0.1)


PASSED = outcome(TestStatus.PASSED, "2 tests passed")
FAILED = outcome(TestStatus.FAILED, "1 of 2 tests failed: test_empty (IndexError)")


def test_a_pair_is_verified_when_the_correct_twin_passes_and_the_flawed_one_fails() -> None:
    verification = verify_pair(PASSED, FAILED)
    assert verification.verdict is PairVerdict.VERIFIED
    assert verification.explanation == (
        "verified: the correct twin passes its tests and the flawed twin does not "
        "(1 of 2 tests failed: test_empty (IndexError))"
    )


def test_a_pair_is_unverified_when_the_flawed_twin_passes_too() -> None:
    verification = verify_pair(PASSED, PASSED)
    assert verification.verdict is PairVerdict.UNVERIFIED
    assert verification.explanation.startswith("unverified: the flawed twin passes the tests too")


@pytest.mark.parametrize("flawed", [PASSED, FAILED], ids=["flawed-passes", "flawed-fails"])
def test_a_pair_is_broken_when_the_correct_twin_does_not_pass(flawed: TestOutcome) -> None:
    verification = verify_pair(FAILED, flawed)
    assert verification.verdict is PairVerdict.BROKEN
    assert verification.explanation == (
        "broken: the correct twin does not pass its tests "
        "(1 of 2 tests failed: test_empty (IndexError))"
    )


def test_a_flawed_twin_that_times_out_still_verifies_the_pair_and_says_so() -> None:
    timeout = outcome(TestStatus.TIMEOUT, "stopped after 10 s, the time limit")
    verification = verify_pair(PASSED, timeout)
    assert verification.verdict is PairVerdict.VERIFIED
    assert verification.explanation.endswith("(stopped after 10 s, the time limit)")


def test_an_outcome_detail_is_one_line() -> None:
    with pytest.raises(ValueError, match="one line"):
        TestOutcome(TestStatus.FAILED, "first\nsecond", "", 0.1)


def test_the_demo_binary_search_pair_is_verified_end_to_end() -> None:
    with TASKS.open(encoding="utf-8") as lines:
        twins = {r["truth"]: r for r in map(json.loads, lines) if r.get("pair_id") == "binsearch"}
    correct, flawed = twins["correct"], twins["flawed"]
    verification = verify_pair_tests(correct["candidate"], flawed["candidate"], correct["test"])
    assert verification.verdict is PairVerdict.VERIFIED, verification.explanation
    assert verification.correct.status is TestStatus.PASSED
    assert verification.flawed.status is TestStatus.FAILED
