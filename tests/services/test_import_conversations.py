"""Importing conversation records (`messages`): the evaluated turn becomes the candidate, the
turns before it the task's conversation; every hostile transcript is a named bad row and a
refused import writes nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.builders import MESSAGES, chat, record, write_csv, write_jsonl

from evalstudio.core.conversation import MAX_TURNS, Role, Turn
from evalstudio.core.errors import EvalStudioError, ImportRejected
from evalstudio.core.model import Severity
from evalstudio.core.task_records import BadRecord, parse_record
from evalstudio.services.studies import studies
from evalstudio.services.studies.importing import import_tasks
from evalstudio.services.studies.pair_authoring import save_pair
from evalstudio.services.workspace.opening import Workspace
from evalstudio.store import content

CONTEXT = tuple(Turn(Role(m["role"]), m["content"]) for m in MESSAGES[:-1])


def _counts(ws: Workspace) -> dict[str, int]:
    return {t: ws.db.table(t).count for t in ("studies", "tasks", "candidates", "study_items")}


def _problems(ws: Workspace, path: Path) -> list[tuple[int, str | None, str]]:
    before = _counts(ws)
    with pytest.raises(ImportRejected) as info:
        import_tasks(ws, path, "S")
    assert _counts(ws) == before, "a refused import wrote something"
    return [(p.line, p.field, p.message) for p in info.value.problems]


def test_a_conversation_imports_its_last_turn_as_the_candidate_and_the_rest_with_its_task(
    workspace: Workspace, tmp_path: Path
) -> None:
    path = write_jsonl(tmp_path / "t.jsonl", [chat("c1"), record("plain")])
    report = import_tasks(workspace, path, "S")
    assert (report.items, report.tasks) == (2, 2)
    study = studies.study_named(workspace, "S")
    first, second = content.item_views(workspace.db, study.id)
    assert first.candidate == MESSAGES[-1]["content"]
    assert first.task_prompt == "How long does a battery check take?"  # the last user turn
    assert first.conversation == CONTEXT
    assert second.conversation is None and second.task_prompt == "Write add(a, b)."


def test_a_conversation_pair_shares_its_task_and_the_flaw_is_placed_in_the_evaluated_turn(
    workspace: Workspace, tmp_path: Path
) -> None:
    wrong = "A battery check takes about **3 days**.\nNo booking needed."
    flawed = [*MESSAGES[:-1], {"role": "assistant", "content": wrong}]
    path = write_jsonl(
        tmp_path / "t.jsonl",
        [
            chat("bat-a", pair_id="bat", truth="correct"),
            chat(
                "bat-b",
                pair_id="bat",
                truth="flawed",
                messages=flawed,
                flaw_description="a check takes 30 minutes",
                flaw_span=[28, 38],
            ),
        ],
    )
    report = import_tasks(workspace, path, "S")
    assert (report.items, report.tasks, report.pairs) == (2, 1, 1)
    study = studies.study_named(workspace, "S")
    _, bad = content.candidates_of_study(workspace.db, study.id)
    assert bad.flaw is not None and bad.flaw.span is not None
    assert wrong[bad.flaw.span.start : bad.flaw.span.end] == "**3 days**"


def test_a_csv_of_conversations_needs_no_prompt_or_candidate_column(
    workspace: Workspace, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "t.csv",
        ["id", "kind", "messages"],
        [["c1", "text", json.dumps(MESSAGES)], ["c2", "text", "[{"]],
    )
    problems = _problems(workspace, path)
    assert problems == [
        (3, "messages", "is not a JSON list of turns: Expecting property name enclosed in "
         "double quotes (column 3)")
    ]  # fmt: skip
    path = write_csv(
        tmp_path / "ok.csv", ["id", "kind", "messages"], [["c1", "text", json.dumps(MESSAGES)]]
    )
    assert import_tasks(workspace, path, "S").items == 1


def _turns(*roles: str) -> list[dict[str, Any]]:
    return [{"role": r, "content": f"turn {n}"} for n, r in enumerate(roles, start=1)]


HOSTILE: list[tuple[object, str]] = [
    ("not a list", "is not a JSON list of turns: Expecting value (column 1)"),
    ('"a string"', "must be a list of turns, not str"),  # a string holding a JSON string
    ({"role": "user"}, "must be a list of turns, not dict"),
    (42, "must be a list of turns, not int"),
    ([], "is empty (a conversation needs at least a user and an assistant turn)"),
    (["hi", "there"], "turn 1, messages[0] must be an object with role and content, not str"),
    ([[{"role": "user"}]], "turn 1, messages[0] must be an object with role and content, not list"),
    (
        [{"role": "user", "content": "q"}, {"role": "tool", "content": "42"}],
        "turn 2, messages[1]: role 'tool' is not one of: user, assistant, system",
    ),
    ([{"role": None, "content": "q"}], "turn 1, messages[0]: role must be a string, not null"),
    (
        [{"role": "user", "content": "q"}, {"role": "assistant", "content": ["a", "b"]}],
        "turn 2, messages[1]: content must be a string, not list",
    ),
    (
        [{"role": "user", "content": "q"}, {"role": "assistant", "content": {"text": "a"}}],
        "turn 2, messages[1]: content must be a string, not dict",
    ),
    (
        [{"role": "user", "content": "q"}, {"role": "assistant", "content": "  "}],
        "turn 2, messages[1]: content is empty",
    ),
    (
        [{"role": "user", "content": "q", "name": "x"}, {"role": "assistant", "content": "a"}],
        "turn 1, messages[0] has unknown key 'name' (a turn has role and content)",
    ),
    (
        _turns("user", "assistant", "user"),
        "the last turn (turn 3, messages[2]) is a user turn: a conversation ends with the "
        "assistant turn under review (cut it there)",
    ),
    (_turns("system", "assistant"), "has no user turn before the assistant turn under review"),
    (
        _turns(*["user", "assistant"] * (MAX_TURNS // 2 + 1)),
        f"has {MAX_TURNS + 2:,} turns; a conversation may have at most {MAX_TURNS:,}",
    ),
]


@pytest.mark.parametrize(("messages", "message"), HOSTILE)
def test_every_hostile_transcript_is_a_named_bad_row_and_nothing_is_written(
    workspace: Workspace, tmp_path: Path, messages: object, message: str
) -> None:
    path = write_jsonl(tmp_path / "t.jsonl", [record("ok"), chat("c", messages=messages)])
    assert _problems(workspace, path) == [(2, "messages", message)]


def test_a_transcript_nested_past_python_s_limit_is_a_bad_row_not_a_crash(
    workspace: Workspace, tmp_path: Path
) -> None:
    deep = '{"id": "c", "kind": "text", "messages": ' + "[" * 100_000 + "]" * 100_000 + "}"
    path = write_jsonl(tmp_path / "t.jsonl", [record("ok"), deep])
    (problem,) = _problems(workspace, path)
    assert problem[0] == 2 and "nested too deeply" in problem[2]
    # In a CSV cell the transcript is decoded by the record's checks: the same message.
    cell = "[" * 100_000 + "]" * 100_000
    csv_path = write_csv(tmp_path / "t.csv", ["id", "kind", "messages"], [["c", "text", cell]])
    assert _problems(workspace, csv_path) == [(2, "messages", "is nested too deeply to read")]


def test_prompt_or_candidate_beside_messages_is_named(workspace: Workspace, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "t.jsonl", [chat("c", prompt="Other", candidate="Other")])
    message = "is given by 'messages' (leave it out of a conversation record)"
    assert _problems(workspace, path) == [(1, "prompt", message), (1, "candidate", message)]


def test_a_bad_transcript_reports_only_itself_not_a_missing_prompt(
    workspace: Workspace, tmp_path: Path
) -> None:
    path = write_jsonl(tmp_path / "t.jsonl", [chat("c", messages=_turns("user"), kind="poem")])
    fields = [p[1] for p in _problems(workspace, path)]
    assert fields == ["messages", "kind"]


def test_a_planted_span_past_the_evaluated_turn_is_named(
    workspace: Workspace, tmp_path: Path
) -> None:
    flawed = chat("c", truth="flawed", flaw_description="x", flaw_span=[0, 500])
    (problem,) = _problems(workspace, write_jsonl(tmp_path / "t.jsonl", [flawed]))
    assert problem[:2] == (1, "flaw_span") and "past the end of the candidate" in problem[2]


def test_records_of_one_task_must_share_the_conversation(
    workspace: Workspace, tmp_path: Path
) -> None:
    other = [{"role": "user", "content": "Something else?"}, MESSAGES[-1]]
    path = write_jsonl(
        tmp_path / "t.jsonl", [chat("a", task_id="t"), chat("b", task_id="t", messages=other)]
    )
    problems = _problems(workspace, path)
    assert (2, "messages", "differs from line 1, which has the same task") in problems


def test_two_chats_ending_in_the_same_question_are_two_tasks(
    workspace: Workspace, tmp_path: Path
) -> None:
    other = [{"role": "user", "content": MESSAGES[-2]["content"]}, MESSAGES[-1]]
    path = write_jsonl(tmp_path / "t.jsonl", [chat("a"), chat("b", messages=other)])
    assert import_tasks(workspace, path, "S").tasks == 2


def test_html_in_a_turn_is_stored_as_text(workspace: Workspace, tmp_path: Path) -> None:
    script = [{"role": "user", "content": "<script>alert(1)</script>"}, MESSAGES[-1]]
    import_tasks(workspace, write_jsonl(tmp_path / "t.jsonl", [chat("c", messages=script)]), "S")
    (item,) = content.item_views(workspace.db, studies.study_named(workspace, "S").id)
    assert item.conversation == (Turn(Role.USER, "<script>alert(1)</script>"),)


def test_the_example_in_docs_task_format_imports_as_a_conversation_pair(
    workspace: Workspace, tmp_path: Path
) -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "task-format.md").read_text()
    section = doc[doc.index("## Conversations") :]
    block = section[section.index("```json\n") + 8 : section.index("\n```\n")]
    decoder, records, at = json.JSONDecoder(), [], 0
    while at < len(block):  # the doc folds each record over lines for reading
        found, at = decoder.raw_decode(block, at)
        records.append(found)
        at = len(block) - len(block[at:].lstrip())
    report = import_tasks(workspace, write_jsonl(tmp_path / "t.jsonl", records), "S")
    assert (report.items, report.tasks, report.pairs) == (2, 1, 1)
    study = studies.study_named(workspace, "S")
    _, flawed = content.candidates_of_study(workspace.db, study.id)
    assert flawed.flaw is not None and flawed.flaw.span is not None
    assert flawed.text[flawed.flaw.span.start : flawed.flaw.span.end] == "**3 days**"


def test_the_pair_tools_refuse_a_conversation_record_with_a_message(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "t.jsonl", [chat("c1")])
    with pytest.raises(EvalStudioError, match="record 'c1' is a conversation: write its flawed"):
        save_pair(path, "c1", "It takes 3 days.", "3 days", Severity.MAJOR, None, None, None)
    assert path.read_text() == json.dumps(chat("c1")) + "\n"


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(["role", "content", "name", ""]), inner, max_size=3)
    ),
    max_leaves=30,
)
_TURN = st.fixed_dictionaries(
    {"role": st.sampled_from(["user", "assistant", "system", "tool", " User "]), "content": _JSON}
)


@settings(max_examples=300, deadline=None)
@given(messages=_JSON | st.lists(_TURN | _JSON, max_size=6))
def test_any_json_as_messages_is_a_record_or_named_problems_never_an_exception(
    messages: object,
) -> None:
    parsed = parse_record(1, chat("c", messages=messages))
    if isinstance(parsed, BadRecord):
        assert parsed.problems and all(p.line == 1 and p.message for p in parsed.problems)
    else:
        assert parsed.candidate.strip() and parsed.conversation is not None
