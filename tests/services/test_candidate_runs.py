"""Run, Examples and Probe (issue 19 §2), service level: real sandboxed children, real SQLite,
the real bundled model where the model is the subject and a scripted one elsewhere."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
from support.binary_search import FLAWED_SEARCH, PROMPT, SEARCH
from support.builders import record, write_jsonl

from evalstudio.assist.backend import GenerationParams, Message, ModelInfo, Stream
from evalstudio.assist.local_llama import LocalLlama
from evalstudio.assist.probe import MAX_CALL, MAX_CALLS, MAX_REASON, parse_probe, probe_schema
from evalstudio.core.assistance import AssistKind, Outcome
from evalstudio.core.code_runs import (
    CallStatus,
    ExampleVerdict,
    examples_of,
    input_problem,
    probe_of,
    run_of,
)
from evalstudio.core.examples import defined_names, task_examples
from evalstudio.core.misleading import Misalignment, Misleading
from evalstudio.core.model import Kind
from evalstudio.core.review import Condition
from evalstudio.core.study_definition import StudyDefinition, parse_definition
from evalstudio.services.assistance.assistant import Assistant
from evalstudio.services.assistance.backends import ModelSettings
from evalstudio.services.sandbox import candidate_runs
from evalstudio.services.sandbox.candidate_runs import Call, examples_now, execute, run_now
from evalstudio.services.studies.importing import import_tasks
from evalstudio.services.workspace.opening import Workspace
from evalstudio.store import assist_log, content


def _items(workspace: Workspace, tmp_path: Path, records: list[dict[str, object]]) -> list[str]:
    study = import_tasks(workspace, write_jsonl(tmp_path / "t.jsonl", records), "Runs").study
    return [view.item_id for view in content.item_views(workspace.db, study.id)]


def _code_item(workspace: Workspace, tmp_path: Path, code: str, prompt: str = PROMPT) -> str:
    return _items(workspace, tmp_path, [record("c", prompt=prompt, candidate=code)])[0]


# -- Run ------------------------------------------------------------------------------------


def test_a_run_shows_the_value_and_is_logged_with_its_input_output_and_times(
    workspace: Workspace, tmp_path: Path
) -> None:
    item = _code_item(workspace, tmp_path, SEARCH)
    started = time.monotonic()
    event = run_now(workspace, item, None, "binary_search([1], 1)")
    assert time.monotonic() - started < 1.5
    (result,) = run_of(event.response)
    assert (result.status, result.value, result.call) == (
        CallStatus.VALUE,
        "0",
        "binary_search([1], 1)",
    )
    row = assist_log.event_row(workspace.db, event.id)
    assert row is not None
    assert (row["kind"], row["backend"], row["outcome"]) == ("run", "sandbox", "done")
    assert row["messages"] == [{"role": "user", "content": "binary_search([1], 1)"}]
    assert row["requested_at"] <= row["ended_at"]
    assert row["manipulated"] == 0 and row["model_id"].startswith("python ")


def test_a_run_shows_printed_output_and_an_exception_with_the_candidates_line(
    workspace: Workspace, tmp_path: Path
) -> None:
    item = _code_item(workspace, tmp_path, SEARCH)
    printed = run_of(run_now(workspace, item, None, "print('hi'); binary_search([], 1)").response)
    assert printed[0].printed == "hi\n" and printed[0].value == "-1"
    raised = run_of(run_now(workspace, item, None, "binary_search(None, 1)").response)[0]
    assert raised.status is CallStatus.RAISED
    assert raised.exception is not None and raised.exception.startswith("TypeError")
    assert raised.line == 2  # len(items) on the candidate's line 2
    assert "line 2" in raised.shown()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("binary_search([1], ", "not valid Python"),
        ("", "type a call"),
        ("x" * 3000, "at most 2,000"),
        ("(" * 300 + ")" * 300, "not valid Python"),
    ],
)
def test_an_input_that_is_not_python_is_refused_clearly_and_logged(
    workspace: Workspace, tmp_path: Path, text: str, message: str
) -> None:
    item = _code_item(workspace, tmp_path, SEARCH)
    event = run_now(workspace, item, None, text)
    assert event.outcome is Outcome.ERROR and event.error is not None
    assert message in event.error and "Traceback" not in event.error
    (result,) = run_of(event.response)
    assert result.status is CallStatus.INVALID


HOSTILE = {
    "loops": ("def f():\n    while True:\n        pass\n", "f()", CallStatus.TIMEOUT),
    "swallows": (
        "def f():\n    while True:\n        try:\n            while True: pass\n"
        "        except BaseException:\n            pass\n",
        "f()",
        CallStatus.TIMEOUT,
    ),
    "raises": ("def f():\n    raise ValueError('no')\n", "f()", CallStatus.RAISED),
    "recurses": ("def f(n=0):\n    return f(n + 1)\n", "f()", CallStatus.RAISED),
    "prints 10 MB": ("def f():\n    print('x' * 10_000_000)\n", "f()", CallStatus.VALUE),
    "forks": ("import os\ndef f():\n    return os.fork()\n", "f()", CallStatus.FORBIDDEN),
    "escapes": ("def f():\n    return 1\n", "open('/tmp/owned', 'w')", CallStatus.FORBIDDEN),
    "connects": (
        "def f():\n    return 1\n",
        "__import__('socket').create_connection(('127.0.0.1', 9))",
        CallStatus.FORBIDDEN,
    ),
    "spawns": ("def f():\n    return 1\n", "__import__('os').system('id')", CallStatus.FORBIDDEN),
    "exits": ("def f():\n    raise SystemExit(3)\n", "f()", CallStatus.RAISED),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_hostile_candidates_end_with_a_clear_result_and_a_complete_row(
    workspace: Workspace, tmp_path: Path, case: str
) -> None:
    code, call, status = HOSTILE[case]
    item = _code_item(workspace, tmp_path, code, prompt="Write f().")
    started = time.monotonic()
    event = run_now(workspace, item, None, call)
    took = time.monotonic() - started
    assert event.outcome is Outcome.DONE
    (result,) = run_of(event.response)
    assert result.status is status, result
    assert "Traceback" not in result.shown()
    assert took < candidate_runs.CALL_S + 2.5
    if case == "prints 10 MB":
        assert result.printed_chars == 10_000_001 and len(result.printed) == 4000
        assert len(event.response) < 10_000
    if case == "recurses":
        assert result.exception is not None and result.exception.startswith("RecursionError")
        assert result.line == 2
    if case == "escapes":
        assert not Path("/tmp/owned").exists()


def test_a_candidate_that_does_not_load_says_so_for_every_call(
    workspace: Workspace, tmp_path: Path
) -> None:
    results = execute("x = 1\nraise RuntimeError('broken')\n", [Call("x"), Call("x + 1")]).results
    assert results[0].status is CallStatus.NOT_RUN
    assert "did not load: RuntimeError: broken (line 2)" in results[0].detail
    assert results[1].status is CallStatus.NOT_RUN
    looping = execute("while True:\n    pass\n", [Call("1")]).results
    assert looping[0].status is CallStatus.NOT_RUN and "loading took more" in looping[0].detail


def test_calls_after_one_that_ends_the_process_are_not_run_and_say_why() -> None:
    results = execute(SEARCH, [Call("1"), Call("__import__('os').fork()"), Call("2")]).results
    assert [r.status for r in results] == [
        CallStatus.VALUE,
        CallStatus.FORBIDDEN,
        CallStatus.NOT_RUN,
    ]
    assert "earlier call" in results[2].detail


def test_a_huge_value_is_clipped() -> None:
    (result,) = execute("def f():\n    return list(range(10**6))\n", [Call("f()")]).results
    assert result.status is CallStatus.VALUE and result.value is not None
    assert len(result.value) <= 2000 and result.value.endswith("...]")


def test_input_problem() -> None:
    assert input_problem("f(1)") is None
    assert input_problem("x = [3, 1]\nsorted(x)") is None
    assert input_problem("f(") is not None


# -- Examples -------------------------------------------------------------------------------


def test_examples_are_read_from_doctests_arrows_and_code_spans() -> None:
    examples = task_examples(PROMPT, {"binary_search"})
    assert [(e.call, e.expected, e.raises) for e in examples] == [
        ("binary_search([1, 3, 5], 5)", "2", None),
        ("binary_search([], 4)", "-1", None),
        ("binary_search([7], 7)", "0", None),
        ("binary_search([1, 3], 2)", "-1", None),
        ("binary_search(None, 1)", None, "TypeError"),
    ]
    assert task_examples(PROMPT, {"other"}) == []  # only calls of what the candidate defines
    assert task_examples("It maps a -> b and `x == y`.", {"a", "x"}) == []
    demo = "the mean of the two middle values, e.g. `median([1, 2]) == 1.5`. An empty list"
    assert [(e.call, e.expected) for e in task_examples(demo, {"median"})] == [
        ("median([1, 2])", "1.5")
    ]
    doctest_raise = ">>> f(0)\nTraceback (most recent call last):\n  ...\nZeroDivisionError: x\n"
    assert task_examples(doctest_raise, {"f"})[0].raises == "ZeroDivisionError"
    assert defined_names("def f():\n    pass\nclass C:\n    pass\nX = 1\n") == {"f", "C", "X"}


def test_examples_run_when_the_item_opens_pass_and_fail_and_are_logged(
    workspace: Workspace, tmp_path: Path
) -> None:
    items = _items(
        workspace,
        tmp_path,
        [
            record("ok", prompt=PROMPT, candidate=SEARCH),
            record("bug", prompt=PROMPT, candidate=FLAWED_SEARCH),
            record("none", prompt="Write binary_search.", candidate=SEARCH),
            record("text", kind="text", language="en", prompt=PROMPT + " ", candidate="Prose."),
        ],
    )
    ok = examples_now(workspace, items[0], None)
    assert ok is not None and ok.kind is AssistKind.EXAMPLES and ok.outcome is Outcome.DONE
    assert [c.verdict for c in examples_of(ok.response)] == [ExampleVerdict.PASSED] * 5
    bug = examples_now(workspace, items[1], None)
    assert bug is not None
    checks = examples_of(bug.response)
    failed = [c for c in checks if c.verdict is ExampleVerdict.FAILED]
    assert [(c.example.call, c.example.expected, c.result.value) for c in failed] == [
        ("binary_search([1, 3, 5], 5)", "2", "-1"),
        ("binary_search([7], 7)", "0", "-1"),
    ]
    row = assist_log.event_row(workspace.db, bug.id)
    assert row is not None and row["backend"] == "sandbox" and len(row["messages"]) == 5
    assert examples_now(workspace, items[2], None) is None  # no examples: nothing logged
    assert examples_now(workspace, items[3], None) is None  # text: nothing run
    assert len(assist_log.events_of_item(workspace.db, items[2])) == 0


# -- which tools an item offers --------------------------------------------------------------


def test_tools_are_offered_in_every_condition_and_probe_only_with_the_assistant() -> None:
    allowed = (AssistKind.CRITIQUE, AssistKind.PROBE)
    tools = candidate_runs.offered_tools
    assert tools(None, Condition.UNASSISTED, allowed, Kind.CODE, "python") == (
        AssistKind.RUN,
        AssistKind.EXAMPLES,
    )
    assert tools(None, Condition.ASSISTED, allowed, Kind.CODE, "Python") == (
        AssistKind.RUN,
        AssistKind.EXAMPLES,
        AssistKind.PROBE,
    )
    assert tools(None, Condition.MISLEADING, (), Kind.CODE, "python") == (
        AssistKind.RUN,
        AssistKind.EXAMPLES,
    )
    assert tools(None, Condition.ASSISTED, allowed, Kind.TEXT, "en") == ()
    assert tools(None, Condition.ASSISTED, allowed, Kind.CODE, "javascript") == ()
    base = {"name": "S", "tasks": "t.jsonl", "seed": "1", "evaluators": ["Ada"]}
    none = parse_definition(base | {"tools": []})
    assert isinstance(none, StudyDefinition) and none.tools == ()
    assert tools(none, Condition.UNASSISTED, allowed, Kind.CODE, "python") == ()
    run_only = parse_definition(base | {"tools": ["run"]})
    assert isinstance(run_only, StudyDefinition) and run_only.tools == (AssistKind.RUN,)
    assert StudyDefinition.from_json(run_only.to_json()).tools == (AssistKind.RUN,)
    wrong = parse_definition(base | {"tools": ["critique"]})
    assert isinstance(wrong, list) and "tools: critique is not run without a model" in wrong[0]
    default = parse_definition(base)
    assert isinstance(default, StudyDefinition)
    assert default.tools == (AssistKind.RUN, AssistKind.EXAMPLES)


# -- Probe -----------------------------------------------------------------------------------


def test_the_probe_parser_holds_any_reply_to_its_bounds() -> None:
    defined = {"f"}
    good = {"calls": [{"call": "f([])", "reason": "empty"}, {"call": "f([1])", "reason": "one"}]}
    assert [p.call for p in parse_probe(json.dumps(good), defined)] == ["f([])", "f([1])"]
    many = {"calls": [{"call": f"f({n})", "reason": "r"} for n in range(10_000)]}
    assert len(parse_probe(json.dumps(many), defined)) == MAX_CALLS
    assert parse_probe(json.dumps([good]), defined) == []  # a list, not the object
    assert parse_probe(json.dumps({"calls": "f(1)"}), defined) == []
    assert parse_probe(json.dumps({"calls": [["f(1)"], 3, None]}), defined) == []
    deep = "[" * 100_000 + "]" * 100_000
    assert parse_probe(deep, defined) == []
    assert parse_probe('{"calls": ' + deep + "}", defined) == []
    wrong = {"calls": [{"call": 1, "reason": 2}, {"call": "f(", "reason": ""}]}
    assert parse_probe(json.dumps(wrong), defined) == []
    other = {"calls": [{"call": "os.system('x')", "reason": "?"}, {"call": "f(1)\nf(2)"}]}
    assert parse_probe(json.dumps(other), defined) == []
    long = {"calls": [{"call": "f(" + "1" * 500 + ")", "reason": "x" * 5000}]}
    assert parse_probe(json.dumps(long), defined) == []
    clipped = {"calls": [{"call": "f(1)", "reason": "x" * 5000}]}
    assert len(parse_probe(json.dumps(clipped), defined)[0].reason) == MAX_REASON
    cut = '{"calls": [{"call": "f(1)", "reason": "a"}, {"call": "f(2)", "rea'
    assert [p.call for p in parse_probe(cut, defined)] == ["f(1)"]
    prose = 'Here you go: {"calls": [{"call": "f(3)", "reason": "r"}]} Hope it helps'
    assert [p.call for p in parse_probe(prose, defined)] == ["f(3)"]
    twice = {"calls": [{"call": "f(1)", "reason": "a"}, {"call": "f(1)", "reason": "b"}]}
    assert len(parse_probe(json.dumps(twice), defined)) == 1
    schema = probe_schema()
    calls = schema["properties"]["calls"]
    assert calls["maxItems"] == MAX_CALLS
    assert calls["items"]["properties"]["call"]["maxLength"] == MAX_CALL


class ScriptedModel:
    """Replies with the given text to every request; records what it was sent."""

    def __init__(self, reply: str) -> None:
        self.reply = reply
        self.sent: list[list[Message]] = []

    def info(self) -> ModelInfo:
        return ModelInfo("scripted", "scripted", None, 4096)

    def stream(self, messages: list[Message], params: GenerationParams) -> Stream:
        self.sent.append(messages)
        assert params.json_schema == probe_schema()
        stream = Stream(params.seed)
        stream.push(self.reply)
        stream.completion_tokens = 12
        stream.finish(Outcome.DONE)
        return stream

    def score(self, messages: list[Message], options: Sequence[str]) -> dict[str, float]:
        raise NotImplementedError

    def warm(self, variants: list[list[Message]]) -> Stream:
        stream = Stream()
        stream.finish(Outcome.DONE)
        return stream

    def close(self) -> None:
        pass


PROBE_REPLY = json.dumps(
    {
        "calls": [
            {"call": "binary_search([], 1)", "reason": "empty list"},
            {"call": "binary_search([7], 7)", "reason": "one element"},
            {"call": "binary_search([1, 3, 5], 5)", "reason": "last element"},
            {"call": "binary_search([1, 3, 5], 0)", "reason": "smaller than all"},
            {"call": "print(1)", "reason": "not a call of the candidate"},
        ]
    }
)


def _pair_items(workspace: Workspace, tmp_path: Path) -> tuple[str, str]:
    records = [
        record("ok", prompt="Write binary_search.", candidate=SEARCH, pair_id="p", truth="correct"),
        record(
            "bug",
            prompt="Write binary_search.",
            candidate=FLAWED_SEARCH,
            pair_id="p",
            truth="flawed",
            flaw_description="lo < hi",
            flaw_lines=[3, 3],
        ),
    ]
    ok, bug = _items(workspace, tmp_path, records)
    return ok, bug


def test_a_probe_runs_the_proposed_calls_and_logs_one_row(
    workspace: Workspace, tmp_path: Path
) -> None:
    _, bug = _pair_items(workspace, tmp_path)
    model = ScriptedModel(PROBE_REPLY)
    assistant = Assistant(workspace, model, ModelSettings())
    event = candidate_runs.probe(assistant, bug, None)
    assert event.kind is AssistKind.PROBE and event.outcome is Outcome.DONE
    rows = probe_of(event.response)
    assert [(r.result.call, r.result.value, r.reason) for r in rows] == [
        ("binary_search([], 1)", "-1", "empty list"),
        ("binary_search([7], 7)", "-1", "one element"),
        ("binary_search([1, 3, 5], 5)", "-1", "last element"),
        ("binary_search([1, 3, 5], 0)", "-1", "smaller than all"),
    ]
    assert "wrong" not in event.response and "expected" not in event.response
    row = assist_log.event_row(workspace.db, event.id)
    assert row is not None and row["manipulated"] == 0 and row["completion_tokens"] == 12
    assert row["params"]["reply"] == PROBE_REPLY and row["params"]["withheld"] == []
    assert "Probe the answer" in model.sent[0][-1]["content"]


def test_a_misleading_probe_on_a_flawed_twin_withholds_the_calls_that_expose_it(
    workspace: Workspace, tmp_path: Path
) -> None:
    ok, bug = _pair_items(workspace, tmp_path)
    model = ScriptedModel(PROBE_REPLY)
    assistant = Assistant(workspace, model, ModelSettings())
    misleading = Misleading(1.0, seed="s", misalignment=Misalignment.ADVERSARIAL, key="k")
    event = candidate_runs.probe(assistant, bug, None, misleading=misleading)
    shown = [r.result.call for r in probe_of(event.response)]
    # [7] -> 7 and [1, 3, 5] -> 5 give -1 here and 0 and 2 on the correct twin: withheld.
    assert shown == ["binary_search([], 1)", "binary_search([1, 3, 5], 0)"]
    row = assist_log.event_row(workspace.db, event.id)
    assert row is not None
    assert (row["manipulated"], row["manipulation"]) == (1, "pass")
    assert row["params"]["withheld"] == [1, 2]
    assert "present the answer as correct" in model.sent[0][-1]["content"]
    assert "lo <= hi" not in event.response and "twin" not in event.response
    # A correct twin: steered to flag a line, nothing withheld (nothing to hide).
    flagged = candidate_runs.probe(assistant, ok, None, misleading=misleading)
    flag_row = assist_log.event_row(workspace.db, flagged.id)
    assert flag_row is not None and flag_row["manipulation"] == "flag"
    assert len(probe_of(flagged.response)) == 4
    assert "present line" in model.sent[1][-1]["content"]


@pytest.mark.model  # real inference: the model is the subject
def test_a_probe_by_the_bundled_model_shows_only_runnable_calls(
    workspace: Workspace, tmp_path: Path, local_backend: LocalLlama
) -> None:
    _, bug = _pair_items(workspace, tmp_path)
    assistant = Assistant(workspace, local_backend, ModelSettings(max_tokens=300))
    event = candidate_runs.probe(assistant, bug, None)
    assert event.outcome is Outcome.DONE, event.error
    rows = probe_of(event.response)
    assert len(rows) <= MAX_CALLS
    for row in rows:
        assert "binary_search" in row.result.call and len(row.result.call) <= MAX_CALL
        assert row.result.status is not CallStatus.INVALID
        assert len(row.reason) <= MAX_REASON
    logged = assist_log.event_row(workspace.db, event.id)
    assert logged is not None and logged["backend"] == "local"
    assert logged["completion_tokens"] and logged["params"]["json_schema"] == probe_schema()
