"""The child process of candidate_runs: loads a candidate and runs calls of it, one after the
other, under the very guard of pair_tests_child (limits, Landlock, seccomp, audit hook), and
writes one JSON line per call to a result file as it ends.

`python -I -B -u candidate_runs_child.py JOB_DIR` runs it; the app never imports it. JOB_DIR
holds job.json (the limits and the per-call time), candidate.py, calls.json (a list of
{"code": ..., "expected": an expression or null}), and work/, the child's cwd, HOME and TMPDIR.
result.jsonl gets {"load": "ok"} or {"load": "raised", ...} first, then one line per call:
{"index", "status": value|raised|timeout|invalid, "value", "exception", "line", "printed",
"printed_chars", "ms", "equal"}, and, if the guard stops the run, {"forbidden": reason}.

Each call gets its own time (an interval timer raising CallTimeout, which is a BaseException
and raised again every 50 ms should the candidate swallow it); the parent's wall-clock limit
and the CPU limit stand behind it. A watchdog thread ends the process should the app die.
"""

from __future__ import annotations

import ast
import io
import json
import linecache
import os
import reprlib
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any, NoReturn, TextIO

from evalstudio.services.sandbox.pair_tests_child import Guard, apply_limits, confine
from evalstudio.services.sandbox.pair_tests_child import described as _described

MAX_VALUE = 2000
MAX_PRINTED = 4000
CANDIDATE = "<candidate>"


class CallTimeout(BaseException):
    """The call's time is up (a BaseException: `except Exception` in the candidate misses it)."""


class Results:
    """The result file, opened before the guard; each line is flushed as it is written. The
    guard's `finish` (a forbidden attempt) writes its line and ends the process."""

    def __init__(self, result: TextIO) -> None:
        self.result = result

    def line(self, data: dict[str, Any]) -> None:
        self.result.write(json.dumps(data) + "\n")
        self.result.flush()

    def finish(self, status: str, detail: str) -> NoReturn:
        self.line({status: detail})
        self.result.close()
        os._exit(0)


class CappedOutput(io.TextIOBase):
    """Stands in for stdout and stderr during a call: keeps the start, counts the rest."""

    def __init__(self) -> None:
        self.kept: list[str] = []
        self.size = 0
        self.total = 0

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        self.total += len(text)
        room = MAX_PRINTED - self.size
        if room > 0:
            self.kept.append(text[:room])
            self.size += min(room, len(text))
        return len(text)

    def writable(self) -> bool:
        return True

    def text(self) -> str:
        return "".join(self.kept)


def _shortened() -> reprlib.Repr:
    shortened = reprlib.Repr()
    shortened.maxlevel = 6
    shortened.maxlist = shortened.maxtuple = 100
    shortened.maxdict = shortened.maxset = shortened.maxfrozenset = shortened.maxdeque = 50
    shortened.maxstring = shortened.maxother = 1000
    shortened.maxlong = 200
    return shortened


SHORTENED = _shortened()


def described(error: BaseException) -> str:
    """The exception's type and message's first line; its own __str__ may misbehave."""
    try:
        return _described(error)
    except BaseException:
        return type(error).__name__


def candidate_line(tb: TracebackType | None) -> int | None:
    """The line of the candidate nearest to where the exception was raised."""
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == CANDIDATE:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def compiled(code: str) -> tuple[Any, Any]:
    """The statements to run and the last expression whose value is the result (or None)."""
    tree = ast.parse(code, "<input>", "exec")
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = ast.Expression(tree.body[-1].value)
        tree.body.pop()
    body = compile(tree, "<input>", "exec")
    return body, compile(last, "<input>", "eval") if last is not None else None


class Timer:
    def __init__(self) -> None:
        self.armed = False
        signal.signal(signal.SIGALRM, self._ring)

    def _ring(self, _signum: int, _frame: FrameType | None) -> None:
        if self.armed:
            raise CallTimeout

    def start(self, seconds: float) -> None:
        self.armed = True
        signal.setitimer(signal.ITIMER_REAL, seconds, 0.05)  # again every 50 ms if swallowed

    def stop(self) -> None:
        self.armed = False
        signal.setitimer(signal.ITIMER_REAL, 0)


def run_call(
    code: str, expected: str | None, namespace: dict[str, Any], timer: Timer, seconds: float
) -> dict[str, Any]:
    try:
        body, last = compiled(code)
        want = compile(expected, "<expected>", "eval") if expected is not None else None
    except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
        return {"status": "invalid", "detail": f"not valid Python: {described(error)}"}
    output = CappedOutput()
    saved = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = output
    started = time.perf_counter()
    result: dict[str, Any]
    try:
        timer.start(seconds)
        try:
            exec(body, namespace)  # the evaluator's (or the task's) code, inside the guard
            value = eval(last, namespace) if last is not None else None
            equal = None
            if want is not None:
                equal = bool(eval(want, {}) == value)
            result = {"status": "value", "value": SHORTENED.repr(value)[:MAX_VALUE]}
            if equal is not None:
                result["equal"] = equal
        finally:
            timer.stop()
    except CallTimeout:
        result = {"status": "timeout", "detail": f"stopped after {seconds:g} s, the time limit"}
    except RecursionError as error:
        line = candidate_line(error.__traceback__)
        result = {"status": "raised", "exception": described(error), "line": line}
    except MemoryError:
        result = {"status": "crashed", "detail": "ran out of memory (the limit is 1 GiB)"}
    except BaseException as error:  # SystemExit and KeyboardInterrupt are the candidate's too
        line = candidate_line(error.__traceback__)
        result = {"status": "raised", "exception": described(error), "line": line}
    finally:
        sys.stdout, sys.stderr = saved
    result["ms"] = (time.perf_counter() - started) * 1000
    result["printed"] = output.text()
    result["printed_chars"] = output.total
    return result


def main(job_dir: Path) -> NoReturn:
    job = json.loads((job_dir / "job.json").read_text(encoding="utf-8"))
    apply_limits(job)
    candidate = (job_dir / "candidate.py").read_text(encoding="utf-8")
    calls = json.loads((job_dir / "calls.json").read_text(encoding="utf-8"))
    results = Results((job_dir / "result.jsonl").open("x", encoding="utf-8"))
    # Should the app die mid-run: the interval timer is the calls', so the backstop is a thread.
    watchdog = threading.Thread(target=_watchdog, args=(job["alarm_s"],), daemon=True)
    watchdog.start()
    timer = Timer()
    work = str((job_dir / "work").resolve())
    confine(work)
    sys.addaudithook(Guard(work, results))  # type: ignore[arg-type]
    linecache.cache[CANDIDATE] = (len(candidate), None, candidate.splitlines(True), CANDIDATE)
    namespace: dict[str, Any] = {"__name__": "__candidate__"}
    loaded = _load(candidate, namespace, timer, job["load_s"])
    results.line(loaded)
    if loaded["load"] == "ok":
        for index, call in enumerate(calls):
            line = run_call(call["code"], call.get("expected"), namespace, timer, job["call_s"])
            results.line({"index": index, **line})
    results.result.close()
    os._exit(0)


def _load(
    candidate: str, namespace: dict[str, Any], timer: Timer, seconds: float
) -> dict[str, Any]:
    try:
        code = compile(candidate, CANDIDATE, "exec")
    except (SyntaxError, ValueError) as error:
        line = getattr(error, "lineno", None)
        return {"load": "raised", "exception": described(error), "line": line}
    output = CappedOutput()
    saved = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = output
    try:
        timer.start(seconds)
        try:
            exec(code, namespace)
        finally:
            timer.stop()
    except CallTimeout:
        return {"load": "timeout", "detail": f"loading took more than {seconds:g} s"}
    except BaseException as error:
        line = candidate_line(error.__traceback__)
        return {"load": "raised", "exception": described(error), "line": line}
    finally:
        sys.stdout, sys.stderr = saved
    return {"load": "ok"}


def _watchdog(seconds: float) -> None:
    time.sleep(seconds)
    os._exit(3)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
