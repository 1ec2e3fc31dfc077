"""Execution as assistance for code (issue 19 §2): Run, Examples and Probe.

- **Run**: the evaluator's call or expression, run against the candidate.
- **Examples**: the examples the task states (core/examples.py), run against the candidate,
  each passed or failed against the expected value the task gives.
- **Probe**: calls the model proposes (assist/probe.py), run against the candidate, shown with
  the model's reason. Nothing says a result is wrong: the evaluator judges it.

Every call runs in a sandboxed child (candidate_runs_child.py) under the guard of the pair
tests (sandbox/pair_tests.py: limits, Landlock, seccomp, audit hook): a fresh interpreter per
request, which on the 2-core machine of docs/perf.md answers in well under the 1.5 s Run
must (`bench/bench_run.py`), so no child is kept warm and no state leaks between requests.

Each request is a row of the assistance log of its kind, written when it starts and completed
when it ends: backend 'sandbox' for Run and Examples (the call(s) as messages, the limits as
params), the model's backend for Probe. The response is JSON (core/code_runs.py) holding only
what the evaluator is shown.

Under the misleading condition a probe is manipulated like any model response (same draw,
same PASS / FLAG, recorded the same way; a probe has no verdict to flip, so FLIP acts as
ADVERSARIAL). The model is steered as for other kinds (misleading_*.md after the request), and
for a PASS on a flawed twin whose correct twin is known, the proposed calls whose result on
the candidate differs from the correct twin's — the calls that would expose the flaw — are
withheld: only the others are shown. The twin's results are computed here and never leave
this module; the withheld calls are recorded in the row's params, which the evaluator never
sees. Run and Examples are not AI help and are never manipulated.
"""

from __future__ import annotations

import json
import math
import platform
import random
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from evalstudio.assist.backend import AssistError, GenerationParams
from evalstudio.assist.probe import MAX_CALLS, parse_probe, probe_schema
from evalstudio.core.assist_kinds import DEFAULT_TOOLS, EXECUTION_KINDS
from evalstudio.core.assistance import AssistEvent, AssistKind, Manipulation, Outcome
from evalstudio.core.code_runs import (
    CallResult,
    CallStatus,
    Example,
    ProbeRow,
    examples_json,
    input_problem,
    judged,
    probe_json,
    run_json,
)
from evalstudio.core.examples import defined_names, literal, main_function, task_examples
from evalstudio.core.ids import new_id
from evalstudio.core.misleading import (
    NOT_MANIPULATED,
    Misalignment,
    Misleading,
    MisleadingPlan,
    plan_manipulation,
)
from evalstudio.core.model import Candidate, Kind, Task
from evalstudio.core.review import Condition
from evalstudio.core.study_definition import StudyDefinition
from evalstudio.services.assistance.assistant import Assistant
from evalstudio.services.sandbox.pair_tests import (
    FILE_SIZE_LIMIT_BYTES,
    MEMORY_LIMIT_BYTES,
    OPEN_FILES_LIMIT,
    run_child,
)
from evalstudio.services.workspace.opening import Workspace, now
from evalstudio.store import assist_log, candidate_twins, content

_CHILD_SCRIPT = Path(__file__).with_name("candidate_runs_child.py")
# How the one-file binary (packaging/launcher.py) is told to be a run child.
RUN_CHILD_FLAG = "--candidate-run-child"
CALL_S = 2.0  # each call's time
LOAD_S = 2.0  # loading the candidate (its top level)
START_S = 3.0  # the interpreter's start, with room for a machine busy with the model
MAX_RESULT_BYTES = 1 << 20  # what is read of the child's result file
PYTHON_LANGUAGES = {"python", "python3", "py"}
SANDBOX = "sandbox"


# -- which tools an item offers ---------------------------------------------------------------


def runs_code(task_kind: Kind, language: str) -> bool:
    """Whether the candidate is code we can run: Python. Text items show none of this."""
    return task_kind is Kind.CODE and language.strip().lower() in PYTHON_LANGUAGES


def offered_tools(
    design: StudyDefinition | None,
    condition: Condition,
    allowed: tuple[AssistKind, ...],
    task_kind: Kind,
    language: str,
) -> tuple[AssistKind, ...]:
    """The execution kinds an item offers: the study's `tools` (Run, Examples) in every
    condition, since they are not AI help; Probe, a model kind, only where the assistant is
    (an assisted or misleading item) and the study allows it. None for text items."""
    if not runs_code(task_kind, language):
        return ()
    tools = design.tools if design is not None else DEFAULT_TOOLS
    offered = [k for k in EXECUTION_KINDS if k in tools]
    if condition.assisted and AssistKind.PROBE in allowed:
        offered.append(AssistKind.PROBE)
    return tuple(offered)


# -- the sandbox ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    code: str
    expected: str | None = None  # an expression the value is compared with (==)


@dataclass(frozen=True)
class Executed:
    """What running calls gave: one result per call, and the child's comparisons."""

    results: list[CallResult]
    equal: list[bool | None]
    seconds: float


def execute(candidate: str, calls: list[Call], *, call_s: float = CALL_S) -> Executed:
    """Run `calls` one after the other against `candidate` in one sandboxed child; every call
    gets a result, whatever the candidate does (loops, raises, prints, forks, dies)."""
    started = time.monotonic()
    wall_s = START_S + LOAD_S + call_s * max(1, len(calls))
    cpu_s = math.ceil(wall_s) + 1
    with tempfile.TemporaryDirectory(prefix="evalstudio-run-") as name:
        job = Path(name)
        (job / "work").mkdir()
        (job / "candidate.py").write_text(candidate, encoding="utf-8")
        (job / "calls.json").write_text(
            json.dumps([{"code": c.code, "expected": c.expected} for c in calls]),
            encoding="utf-8",
        )
        limits = {
            "cpu_s": cpu_s,
            "alarm_s": cpu_s + 1,
            "memory_bytes": MEMORY_LIMIT_BYTES,
            "file_bytes": FILE_SIZE_LIMIT_BYTES,
            "open_files": OPEN_FILES_LIMIT,
            "call_s": call_s,
            "load_s": LOAD_S,
        }
        (job / "job.json").write_text(json.dumps(limits), encoding="utf-8")
        with (job / "output.txt").open("wb") as output:
            returncode = run_child(_CHILD_SCRIPT, RUN_CHILD_FLAG, job, output, wall_s)
        lines = _result_lines(job / "result.jsonl")
        output_size = (job / "output.txt").stat().st_size
    results, equal = _results(calls, lines, returncode, wall_s, output_size)
    return Executed(results, equal, time.monotonic() - started)


def _result_lines(path: Path) -> list[dict[str, Any]]:
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_RESULT_BYTES)
    except OSError:
        return []
    lines = []
    for line in raw.decode("utf-8", "replace").splitlines():
        try:
            data = json.loads(line)
        except (ValueError, RecursionError):
            continue
        if isinstance(data, dict):
            lines.append(data)
    return lines


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str(value: Any, limit: int = 2000) -> str | None:
    return value[:limit] if isinstance(value, str) else None


def _results(
    calls: list[Call],
    lines: list[dict[str, Any]],
    returncode: int | None,
    wall_s: float,
    output_size: int,
) -> tuple[list[CallResult], list[bool | None]]:
    by_index: dict[int, dict[str, Any]] = {}
    load: dict[str, Any] | None = None
    forbidden: str | None = None
    for line in lines:
        if "load" in line and load is None:
            load = line
        elif "forbidden" in line:
            forbidden = _str(line["forbidden"], 500) or "forbidden"
        elif _int(line.get("index")) is not None:
            by_index.setdefault(line["index"], line)
    results: list[CallResult] = []
    equal: list[bool | None] = []
    stopped = False  # an earlier call (or the load) ended the process
    for index, call in enumerate(calls):
        got = by_index.get(index)
        if got is not None and not stopped:
            results.append(_call_result(call.code, got))
            value = got.get("equal")
            equal.append(value if isinstance(value, bool) else None)
            continue
        equal.append(None)
        if stopped:
            results.append(
                CallResult(call.code, CallStatus.NOT_RUN, detail="an earlier call stopped the run")
            )
            continue
        stopped = True
        if load is not None and load.get("load") != "ok":
            what = _str(load.get("exception")) or _str(load.get("detail")) or "it failed"
            where = f" (line {load['line']})" if _int(load.get("line")) else ""
            detail = f"the candidate did not load: {what}{where}"
            results.append(CallResult(call.code, CallStatus.NOT_RUN, detail=detail))
        elif forbidden is not None:
            results.append(CallResult(call.code, CallStatus.FORBIDDEN, detail=forbidden))
        elif returncode is None:
            detail = f"the run took more than {wall_s:g} s in all, the time limit"
            results.append(CallResult(call.code, CallStatus.TIMEOUT, detail=detail))
        else:
            results.append(
                CallResult(call.code, CallStatus.CRASHED, detail=_ended(returncode, output_size))
            )
    return results, equal


def _ended(returncode: int, output_size: int) -> str:
    import signal

    if returncode == -signal.SIGSYS:
        return "a system call that reaches beyond the process (a new process, another's signal)"
    if returncode == -signal.SIGXCPU or returncode == -signal.SIGKILL:
        return "the CPU-time limit"
    if output_size >= FILE_SIZE_LIMIT_BYTES:
        return f"it wrote {FILE_SIZE_LIMIT_BYTES >> 20} MiB, the output limit"
    if returncode < 0:
        return f"the process was killed by {signal.Signals(-returncode).name}"
    return f"the process exited with code {returncode}"


def _call_result(code: str, line: dict[str, Any]) -> CallResult:
    try:
        status = CallStatus(str(line.get("status")))
    except ValueError:
        status = CallStatus.CRASHED
    ms = line.get("ms")
    return CallResult(
        call=code,
        status=status,
        value=_str(line.get("value")),
        exception=_str(line.get("exception")),
        line=_int(line.get("line")),
        printed=_str(line.get("printed"), 4000) or "",
        printed_chars=_int(line.get("printed_chars")) or 0,
        ms=float(ms) if isinstance(ms, int | float) and not isinstance(ms, bool) else 0.0,
        detail=_str(line.get("detail"), 500) or "",
    )


# -- logged requests --------------------------------------------------------------------------


@dataclass
class Pending:
    """A Run or Examples request whose log row is written ('running'), to execute next."""

    event_id: str
    kind: AssistKind
    candidate: str
    calls: list[Call]
    examples: list[Example] = field(default_factory=list)
    problem: str | None = None  # an input that is not run: the row ends as an error
    executed: Executed | None = None


def _sandbox_row(
    item_id: str, evaluator_id: str | None, kind: AssistKind, calls: list[str]
) -> dict[str, Any]:
    return {
        "id": new_id(),
        "study_item_id": item_id,
        "evaluator_id": evaluator_id,
        "kind": kind.value,
        "chat": None,
        "messages": [{"role": "user", "content": c} for c in calls],
        "backend": SANDBOX,
        "model_id": f"python {platform.python_version()}",
        "params": {
            "call_s": CALL_S,
            "load_s": LOAD_S,
            "memory_bytes": MEMORY_LIMIT_BYTES,
            "file_bytes": FILE_SIZE_LIMIT_BYTES,
        },
        "requested_at": now(),
    }


def _insert(workspace: Workspace, row: dict[str, Any]) -> None:
    db = workspace.db
    with db.atomic():
        assist_log.start_event(db, row)


def _complete(
    workspace: Workspace, event_id: str, outcome: Outcome, response: str, error: str | None
) -> AssistEvent:
    db = workspace.db
    fields = {"outcome": outcome.value, "response": response, "error": error, "ended_at": now()}
    with db.atomic():
        assist_log.update_running(db, event_id, fields)
    found = assist_log.event(db, event_id)
    assert found is not None
    return found


def _item(workspace: Workspace, item_id: str) -> tuple[Task, Candidate]:
    found = content.task_and_candidate(workspace.db, item_id)
    if found is None:
        raise AssistError(f"no study item with id '{item_id}'")
    return found


def begin_run(workspace: Workspace, item_id: str, evaluator_id: str | None, text: str) -> Pending:
    """Log the evaluator's Run request (before anything runs); an input that is not Python is
    logged too, and its row ends as an error at `complete`."""
    task, candidate = _item(workspace, item_id)
    if not runs_code(task.kind, task.language):
        raise AssistError("only Python code can be run")
    text = text.strip("\n")
    problem = input_problem(text)
    row = _sandbox_row(item_id, evaluator_id, AssistKind.RUN, [text[:4000]])
    _insert(workspace, row)
    return Pending(row["id"], AssistKind.RUN, candidate.text, [Call(text)], problem=problem)


def begin_examples(workspace: Workspace, item_id: str, evaluator_id: str | None) -> Pending | None:
    """Log the run of the task's examples; None (nothing logged) when the task states none."""
    task, candidate = _item(workspace, item_id)
    if not runs_code(task.kind, task.language):
        return None
    examples = task_examples(task.prompt, defined_names(candidate.text))
    if not examples:
        return None
    calls = [
        Call(e.call, e.expected if not e.doctest or literal(e.expected) else None) for e in examples
    ]
    row = _sandbox_row(item_id, evaluator_id, AssistKind.EXAMPLES, [e.call for e in examples])
    _insert(workspace, row)
    return Pending(row["id"], AssistKind.EXAMPLES, candidate.text, calls, examples=examples)


def execute_pending(pending: Pending) -> Pending:
    """Run the request's calls (no database: any thread)."""
    if pending.problem is None:
        pending.executed = execute(pending.candidate, pending.calls)
    return pending


def complete(workspace: Workspace, pending: Pending) -> AssistEvent:
    """End the request's log row with what the evaluator is shown."""
    if pending.problem is not None or pending.executed is None:
        problem = pending.problem or "nothing was run"
        result = CallResult(pending.calls[0].code, CallStatus.INVALID, detail=problem)
        return _complete(workspace, pending.event_id, Outcome.ERROR, run_json([result]), problem)
    executed = pending.executed
    if pending.kind is AssistKind.RUN:
        response = run_json(executed.results)
    else:
        checks = [
            judged(example, result, same)
            for example, result, same in zip(
                pending.examples, executed.results, executed.equal, strict=True
            )
        ]
        response = examples_json(checks)
    return _complete(workspace, pending.event_id, Outcome.DONE, response, None)


def run_now(workspace: Workspace, item_id: str, evaluator_id: str | None, text: str) -> AssistEvent:
    """Run the evaluator's input against the item's candidate, logged (one thread)."""
    return complete(workspace, execute_pending(begin_run(workspace, item_id, evaluator_id, text)))


def examples_now(
    workspace: Workspace, item_id: str, evaluator_id: str | None
) -> AssistEvent | None:
    """Run the task's examples against the item's candidate, logged; None: it states none."""
    pending = begin_examples(workspace, item_id, evaluator_id)
    return None if pending is None else complete(workspace, execute_pending(pending))


# -- Probe ------------------------------------------------------------------------------------


class ProbeCancelled(Exception):
    pass


def probe(
    assistant: Assistant,
    item_id: str,
    evaluator_id: str | None,
    *,
    misleading: Misleading | None = None,
    cancel: threading.Event | None = None,
    max_calls: int = MAX_CALLS,
) -> AssistEvent:
    """Ask the model (the `Assistant`'s backend) for calls that could expose a bug, run them,
    and log one row of kind 'probe' holding the table the evaluator is shown."""
    workspace = assistant.workspace
    task, candidate = _item(workspace, item_id)
    if not runs_code(task.kind, task.language):
        raise AssistError("only Python code can be probed")
    _, item = assistant.item_context(item_id)
    plan = _probe_plan(misleading, evaluator_id, item_id, candidate)
    messages = assistant.prompts.messages(item, AssistKind.PROBE, misleading=plan)
    function = main_function(candidate.text)
    if function is not None:  # a small model otherwise writes the bare name, or `f(...)`
        hint = f"\n\nThe answer's function is `{function}`: each call is `{function}(...)`."
        messages[-1] = {"role": "user", "content": messages[-1]["content"] + hint}
    settings = assistant.settings
    params = GenerationParams(
        max_tokens=max(settings.max_tokens, 700),
        temperature=settings.temperature,
        seed=random.SystemRandom().getrandbits(31),
        json_schema=probe_schema(max_calls),
    )
    info = assistant.backend.info()
    row: dict[str, Any] = {
        "id": new_id(),
        "study_item_id": item_id,
        "evaluator_id": evaluator_id,
        "kind": AssistKind.PROBE.value,
        "chat": None,
        "messages": messages,
        "params": asdict(params) | {"n_ctx": info.n_ctx, "call_s": CALL_S},
        "backend": info.backend,
        "model_id": info.model_id,
        "model_sha256": assistant.model_file_sha256,
        "seed": params.seed,
        "manipulated": int(plan.manipulation is not None),
        "manipulation": plan.manipulation.value if plan.manipulation else None,
        "misalignment": plan.misalignment.value if plan.misalignment else None,
        "requested_at": now(),
    }
    _insert(workspace, row)
    try:
        stream = assistant.backend.stream(messages, params)
        if cancel is not None and cancel.is_set():
            stream.cancel()
        chunks = []
        for chunk in stream:
            chunks.append(chunk)
            if cancel is not None and cancel.is_set():
                stream.cancel()
        stream.wait()
        reply = "".join(chunks)
        tokens = {
            "prompt_tokens": stream.prompt_tokens,
            "completion_tokens": stream.completion_tokens,
        }
        if stream.outcome is Outcome.CANCELLED or (cancel is not None and cancel.is_set()):
            return _end_probe(workspace, row["id"], Outcome.CANCELLED, "", None, tokens)
        if stream.outcome is Outcome.ERROR:
            error = stream.error or "the model failed"
            return _end_probe(workspace, row["id"], Outcome.ERROR, "", error, tokens)
        proposed = parse_probe(reply, defined_names(candidate.text), max_calls)
        calls = [Call(p.call) for p in proposed]
        executed = execute(candidate.text, calls) if calls else Executed([], [], 0.0)
        shown = [ProbeRow(r, p.reason) for r, p in zip(executed.results, proposed, strict=True)]
        withheld: list[int] = []
        if plan.manipulation is Manipulation.PASS and calls:
            twin = candidate_twins.correct_twin_text(workspace.db, candidate.id)
            if twin is not None:
                on_twin = execute(twin, calls).results
                withheld = [
                    i
                    for i, (mine, theirs) in enumerate(zip(executed.results, on_twin, strict=True))
                    if _observed(mine) != _observed(theirs)
                ]
                shown = [r for i, r in enumerate(shown) if i not in withheld]
        extra = {"reply": reply, "withheld": withheld}
        return _end_probe(
            workspace, row["id"], Outcome.DONE, probe_json(shown), None, tokens, extra
        )
    except BaseException as error:
        db = workspace.db
        with db.atomic():
            assist_log.update_running(
                db,
                row["id"],
                {
                    "outcome": Outcome.ERROR.value,
                    "error": f"the probe failed: {error}",
                    "ended_at": now(),
                },
            )
        raise


def _observed(result: CallResult) -> tuple[str, str | None]:
    """What an evaluator would see of a call's result, for comparing with the twin's."""
    if result.status is CallStatus.RAISED:
        return "raised", (result.exception or "").split(":", 1)[0]
    return result.status.value, result.value


def _end_probe(
    workspace: Workspace,
    event_id: str,
    outcome: Outcome,
    response: str,
    error: str | None,
    tokens: dict[str, Any],
    extra: dict[str, Any] | None = None,
) -> AssistEvent:
    db = workspace.db
    fields: dict[str, Any] = {
        "outcome": outcome.value,
        "response": response,
        "error": error,
        "ended_at": now(),
        **tokens,
    }
    with db.atomic():
        if extra is not None:
            # The model's reply and the calls withheld under a misleading PASS go with the
            # request's parameters: the log keeps them, the evaluator is shown neither.
            row = assist_log.event_row(db, event_id)
            assert row is not None
            fields["params"] = json.dumps(row["params"] | extra)
        assist_log.update_running(db, event_id, fields)
    found = assist_log.event(db, event_id)
    assert found is not None
    return found


def _probe_plan(
    misleading: Misleading | None, evaluator_id: str | None, item_id: str, candidate: Candidate
) -> MisleadingPlan:
    if misleading is None:
        return NOT_MANIPULATED
    misalignment = misleading.misalignment
    if misalignment is Misalignment.FLIP:
        misalignment = Misalignment.ADVERSARIAL  # a probe has no verdict of its own to flip
    return plan_manipulation(
        p=misleading.p,
        seed=misleading.seed,
        evaluator_id=misleading.key or evaluator_id or "",
        item_id=item_id,
        kind=AssistKind.PROBE,
        truth=candidate.truth,
        candidate=candidate.text,
        misalignment=misalignment,
    )
