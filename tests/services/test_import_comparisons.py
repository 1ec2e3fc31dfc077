"""Importing records of several answers (`candidates`) and pairs shown as compare items: each
becomes one compare or rank item; every hostile `candidates` value is a named bad row and a
refused import leaves the workspace as it was, byte for byte."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.builders import pair, record, write_csv, write_jsonl
from support.comparison_study import ANSWERS, ranked
from support.session_study import digest

from evalstudio.core.comparison import Layout
from evalstudio.core.errors import ImportRejected
from evalstudio.core.task_records import BadRecord, parse_record
from evalstudio.services.studies import studies
from evalstudio.services.studies.importing import import_tasks
from evalstudio.services.workspace.opening import Workspace
from evalstudio.store import content


def _problems(ws: Workspace, path: Path, **kwargs: Any) -> list[tuple[int, str | None, str]]:
    before = digest(ws)
    with pytest.raises(ImportRejected) as info:
        import_tasks(ws, path, "S", **kwargs)
    assert digest(ws) == before, "a refused import wrote something"
    return [(p.line, p.field, p.message) for p in info.value.problems]


def test_two_answers_make_a_compare_item_and_four_a_rank_item_in_the_files_order(
    workspace: Workspace, tmp_path: Path
) -> None:
    path = write_jsonl(
        tmp_path / "t.jsonl", [ranked("two", ANSWERS[:2]), ranked("four"), record("one")]
    )
    report = import_tasks(workspace, path, "S")
    assert (report.items, report.tasks) == (3, 2)  # "two" and "four" share their prompt
    study = studies.study_named(workspace, "S")
    views = content.item_views(workspace.db, study.id)
    assert [v.layout for v in views] == [Layout.COMPARE, Layout.RANK, Layout.SINGLE]
    assert [s.text for s in views[1].sides] == list(ANSWERS)  # slot order = the file's
    names = {c.id: c.external_id for c in content.candidates_of_study(workspace.db, study.id)}
    assert [names[s.candidate_id] for s in views[1].sides] == [f"four-{n}" for n in range(4)]
    assert views[2].sides == ()


def test_nine_answers_are_a_rank_item_and_each_answer_keeps_its_slot(
    workspace: Workspace, tmp_path: Path
) -> None:
    answers = tuple(f"answer number {n}" for n in range(9))
    path = write_jsonl(tmp_path / "t.jsonl", [ranked("nine", answers)])
    import_tasks(workspace, path, "S")
    study = studies.study_named(workspace, "S")
    (view,) = content.item_views(workspace.db, study.id)
    assert tuple(s.text for s in view.sides) == answers
    (item,) = content.multi_items(workspace.db, study.id)
    assert item.slots == tuple(s.candidate_id for s in view.sides)


def test_a_csv_cell_may_hold_the_candidates_as_json(workspace: Workspace, tmp_path: Path) -> None:
    cell = json.dumps([{"id": "a", "text": "Yes."}, {"id": "b", "text": "No."}])
    path = write_csv(
        tmp_path / "t.csv", ["id", "prompt", "kind", "candidates"], [["q", "Is it?", "text", cell]]
    )
    import_tasks(workspace, path, "S")
    (view,) = content.item_views(workspace.db, studies.study_named(workspace, "S").id)
    assert view.layout is Layout.COMPARE and [s.text for s in view.sides] == ["Yes.", "No."]


BAD = [
    ("not a list", "is not JSON (Expecting value at character 0)"),
    ('"a JSON string"', "must be a list of 2 to 9 answers, not str"),
    ({"id": "a", "text": "x"}, "must be a list of 2 to 9 answers, not dict"),
    ([], "must be a list of 2 to 9 answers, not 0 entries"),
    ([{"id": "a", "text": "x"}], "not 1 entries"),
    ([{"id": f"a{n}", "text": "x"} for n in range(10)], "not 10 entries"),
    ([["a", "x"], {"id": "b", "text": "y"}], 'candidates[1] must be {"id": ..., "text": ...}'),
    ([{"id": "a", "text": "x", "truth": "ok"}, {"id": "b", "text": "y"}], "candidates[1] must"),
    ([{"id": "a", "text": 7}, {"id": "b", "text": "y"}], "candidates[1].text must be a string"),
    ([{"id": "a", "text": " "}, {"id": "b", "text": "y"}], "candidates[1].text is empty"),
    ([{"id": "a'); DROP TABLE tasks;--", "text": "x"}, {"id": "b", "text": "y"}],
     "candidates[1].id"),
    ([{"id": "a", "text": "x"}, {"id": "a", "text": "y"}], "candidates[2].id 'a' is given twice"),
    ([{"id": "a", "text": "x\udcff"}, {"id": "b", "text": "y"}], "not valid UTF-8"),
    ([{"id": "a", "text": {"nested": ["deep"]}}, {"id": "b", "text": "y"}], "must be a string"),
]  # fmt: skip


@pytest.mark.parametrize(("value", "expected"), BAD)
def test_every_bad_candidates_value_is_a_named_problem_and_nothing_is_written(
    workspace: Workspace, tmp_path: Path, value: object, expected: str
) -> None:
    import_tasks(workspace, write_jsonl(tmp_path / "first.jsonl", [record("kept")]), "S")
    row = {"id": "q", "prompt": "Which?", "kind": "text", "candidates": value}
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps(row, ensure_ascii=True) + "\n", encoding="utf-8")
    problems = _problems(workspace, path)
    assert [(line, field) for line, field, _ in problems] == [(1, "candidates")], problems
    assert expected in problems[0][2]


def test_a_record_of_several_answers_cannot_carry_one_answers_fields() -> None:
    raw = {**ranked(), "candidate": "x", "truth": "correct", "pair_id": "p", "gold": True}
    found = parse_record(3, raw)
    assert isinstance(found, BadRecord)
    assert sorted(p.field or "" for p in found.problems) == [
        "candidate",
        "gold",
        "pair_id",
        "truth",
    ]
    assert all("several candidates cannot have it" in p.message for p in found.problems)


def test_an_answers_id_is_one_of_the_studys_names(workspace: Workspace, tmp_path: Path) -> None:
    """A candidate's id may not repeat a record id or another candidate's, in the file or in
    the study: exports and the merge name answers by it."""
    import_tasks(workspace, write_jsonl(tmp_path / "a.jsonl", [record("r1"), ranked("cap")]), "S")
    path = write_jsonl(
        tmp_path / "b.jsonl",
        [
            {**ranked("q2"), "candidates": [{"id": "r1", "text": "a"}, {"id": "x", "text": "b"}]},
            {
                **ranked("q3"),
                "candidates": [{"id": "cap-0", "text": "a"}, {"id": "y", "text": "b"}],
            },
            {**ranked("q4"), "candidates": [{"id": "x", "text": "a"}, {"id": "z", "text": "b"}]},
            record("z"),
        ],
    )
    problems = _problems(workspace, path)
    assert [(line, field) for line, field, _ in problems] == [
        (1, "candidates"), (2, "candidates"), (3, "candidates"), (4, "id"),
    ]  # fmt: skip
    assert "'r1' is already in this study" in problems[0][2]
    assert "duplicate id 'x' (first on line 1)" in problems[2][2]


def test_pairs_as_compare_makes_each_pair_one_item_named_by_its_pair_id(
    workspace: Workspace, tmp_path: Path
) -> None:
    path = write_jsonl(tmp_path / "t.jsonl", [*pair("p0"), record("alone"), *pair("p1")])
    report = import_tasks(workspace, path, "S", pairs_as=Layout.COMPARE)
    assert (report.items, report.pairs) == (3, 2)
    study = studies.study_named(workspace, "S")
    items = content.multi_items(workspace.db, study.id)
    pairs = {p.external_id: p for p in content.pairs_of_study(workspace.db, study.id)}
    assert [i.external_id for i in items] == ["p0", "p1"]
    assert [i.position for i in items] == [0, 2]  # where the first twin was
    for item in items:
        assert item.slots == (pairs[item.external_id].correct_id, pairs[item.external_id].flawed_id)


def test_a_pair_id_that_is_also_a_record_id_is_refused_when_pairs_are_compare_items(
    workspace: Workspace, tmp_path: Path
) -> None:
    path = write_jsonl(tmp_path / "t.jsonl", [record("p0"), *pair("p0")])
    problems = _problems(workspace, path, pairs_as=Layout.COMPARE)
    assert (2, "pair_id") in [(line, field) for line, field, _ in problems]
    # Shown as single items, a pair's id names no item: the same file imports.
    import_tasks(workspace, path, "S")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=8),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner),
        max_leaves=12,
    )
)
def test_any_json_value_is_an_item_or_a_named_problem(value: object) -> None:
    found = parse_record(1, {"id": "q", "prompt": "p", "kind": "text", "candidates": value})
    if value in (None, ""):  # no candidates: a record of one answer, which lacks it
        assert isinstance(found, BadRecord) and found.problems[0].field == "candidate"
    elif isinstance(found, BadRecord):
        assert found.problems and all(p.field == "candidates" for p in found.problems)
    else:
        assert 2 <= len(found.sides) <= 9
