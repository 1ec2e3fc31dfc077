"""Importing task files: good files land whole; every bad row is named; refusals write nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.builders import CODE, pair, record, write_csv, write_jsonl

from evalstudio.core.errors import EvalStudioError, ImportRejected
from evalstudio.core.model import Truth
from evalstudio.io.task_files import MAX_RECORD_BYTES
from evalstudio.services.studies import studies
from evalstudio.services.studies.importing import import_tasks
from evalstudio.services.workspace.opening import Workspace
from evalstudio.store import content


def _counts(ws: Workspace) -> dict[str, int]:
    return {
        t: ws.db.table(t).count for t in ("studies", "tasks", "candidates", "pairs", "study_items")
    }


def _rejected(ws: Workspace, path: Path, **kwargs: object) -> ImportRejected:
    before = _counts(ws)
    with pytest.raises(ImportRejected) as info:
        import_tasks(ws, path, "S", **kwargs)  # type: ignore[arg-type]
    assert _counts(ws) == before, "a refused import wrote something"
    return info.value


def test_a_jsonl_file_with_pairs_imports_tasks_candidates_pairs_and_items(
    workspace: Workspace, tmp_path: Path
) -> None:
    path = write_jsonl(tmp_path / "t.jsonl", [*pair("add"), record("solo", prompt="Other")])
    report = import_tasks(workspace, path, "S")
    assert (report.items, report.tasks, report.pairs) == (3, 2, 1)
    study = studies.study_named(workspace, "S")
    candidates = content.candidates_of_study(workspace.db, study.id)
    assert [c.external_id for c in candidates] == ["add-ok", "add-bug", "solo"]
    flawed = candidates[1]
    assert flawed.truth is Truth.FLAWED and flawed.flaw is not None
    assert (flawed.flaw.lines.start, flawed.flaw.lines.end) == (2, 2)  # type: ignore[union-attr]
    (stored_pair,) = content.pairs_of_study(workspace.db, study.id)
    assert (stored_pair.correct_id, stored_pair.flawed_id) == (candidates[0].id, flawed.id)


def test_the_same_csv_imports_like_the_jsonl(workspace: Workspace, tmp_path: Path) -> None:
    header = [
        "id",
        "prompt",
        "candidate",
        "kind",
        "truth",
        "pair_id",
        "flaw_description",
        "flaw_lines",
        "gold",
    ]
    path = write_csv(
        tmp_path / "t.csv",
        header,
        [
            ["a", "Write add", CODE, "code", "correct", "p", "", "", "no"],
            ["b", "Write add", CODE.replace("+", "-"), "code", "flawed", "p", "subtracts", "2", ""],
        ],
    )
    report = import_tasks(workspace, path, "S")
    assert (report.items, report.tasks, report.pairs) == (2, 1, 1)


def test_import_reports_every_bad_row_with_its_line_and_field(
    workspace: Workspace, tmp_path: Path
) -> None:
    path = write_jsonl(
        tmp_path / "t.jsonl",
        [
            record("ok"),
            record("empty", candidate="   "),
            record("kind", kind="spreadsheet"),
            "{not json",
            record("ok"),
            record("lines", truth="flawed", flaw_description="x", flaw_lines=[5, 9]),
            record("typo", flaw_line=3),
        ],
    )
    problems = _rejected(workspace, path).problems
    found = {(p.line, p.field) for p in problems}
    assert found == {
        (2, "candidate"),
        (3, "kind"),
        (4, None),
        (5, "id"),
        (6, "flaw_lines"),
        (7, "flaw_line"),
    }
    text = str(_rejected(workspace, path))
    assert f"{path}:5: field 'id': duplicate id 'ok' (first on line 1)" in text
    assert "unknown value 'spreadsheet' (expected one of: code, text)" in text
    assert "past the end of the candidate (2 lines)" in text


def test_skip_invalid_imports_the_good_rows_and_lists_the_rest(
    workspace: Workspace, tmp_path: Path
) -> None:
    path = write_jsonl(tmp_path / "t.jsonl", [record("a"), record("b", kind="?"), record("c")])
    report = import_tasks(workspace, path, "S", skip_invalid=True)
    assert report.items == 2 and report.skipped_rows == 1
    assert [p.line for p in report.problems] == [2]


def test_a_pair_with_a_bad_twin_is_left_out_whole(workspace: Workspace, tmp_path: Path) -> None:
    ok, bug = pair("p")
    bug["flaw_lines"] = [40, 41]
    path = write_jsonl(tmp_path / "t.jsonl", [ok, bug, record("solo", prompt="Other")])
    report = import_tasks(workspace, path, "S", skip_invalid=True)
    assert report.items == 1 and report.pairs == 0
    assert any(p.line == 1 and "its twin on line 2 is bad" in p.message for p in report.problems)


@pytest.mark.parametrize(
    ("records", "message"),
    [
        (pair("p")[:1], "has 1 record (lines"),
        ([*pair("p"), record("x", pair_id="p", truth="correct")], "has 3 records (lines"),
        (
            [record("a", pair_id="p", truth="correct"), record("b", pair_id="p", truth="correct")],
            "one truth=correct and one truth=flawed",
        ),
        ([pair("p")[0], pair("p", prompt="Something else")[1]], "different tasks"),
    ],
)
def test_broken_pairs_are_named(
    workspace: Workspace, tmp_path: Path, records: list[dict[str, object]], message: str
) -> None:
    problems = _rejected(workspace, write_jsonl(tmp_path / "t.jsonl", records)).problems
    assert any(p.field == "pair_id" and message in p.message for p in problems)


def test_ids_already_in_the_study_are_duplicates(workspace: Workspace, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "t.jsonl", pair("p"))
    import_tasks(workspace, path, "S")
    problems = _rejected(workspace, path).problems
    assert {p.message for p in problems} >= {"'p-ok' is already in this study"}
    # Another study is another namespace: the same file imports there.
    assert import_tasks(workspace, path, "Other").items == 2


def test_invalid_utf8_is_reported_on_its_line_and_field(
    workspace: Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "t.jsonl"
    good = json.dumps(record("a")).encode()
    bad = json.dumps(record("b", candidate="caf_")).encode().replace(b"caf_", b"caf\xff")
    path.write_bytes(good + b"\n" + bad + b"\n")
    (problem,) = _rejected(workspace, path).problems
    assert (problem.line, problem.field) == (2, "candidate")
    assert "not valid UTF-8 (byte 0xff)" in problem.message


def test_a_50_mb_single_line_gets_a_size_message_not_a_crash(
    workspace: Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "t.jsonl"
    huge = json.dumps(record("big", candidate="x" * 50_000_000))
    write_jsonl(path, [record("a"), huge])
    (problem,) = _rejected(workspace, path).problems
    assert problem.line == 2
    assert "record is 50.0 MB; a record may be at most" in problem.message
    assert len(str(problem.message)) < 200
    assert MAX_RECORD_BYTES < 50_000_000


def test_a_csv_missing_a_required_column_names_it(workspace: Workspace, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "t.csv", ["id", "prompt", "kind"], [["a", "p", "code"]])
    (problem,) = _rejected(workspace, path).problems
    assert (problem.line, problem.field) == (1, "candidate")
    assert "required column is missing" in problem.message


def test_a_csv_row_with_the_wrong_number_of_cells_is_named(
    workspace: Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "t.csv"
    path.write_text('id,prompt,candidate,kind\na,p,"multi\nline",code\nb,p,x\n', encoding="utf-8")
    (problem,) = _rejected(workspace, path).problems
    assert problem.line == 4  # the multi-line cell of row "a" spans lines 2-3
    assert "row has 3 cells, the header has 4" in problem.message


def test_csv_empty_required_cell_and_bad_boolean(workspace: Workspace, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "t.csv",
        ["id", "prompt", "candidate", "kind", "gold"],
        [["a", "p", "", "code", "maybe"]],
    )
    messages = {(p.field, p.message) for p in _rejected(workspace, path).problems}
    assert ("candidate", "is empty") in messages
    assert ("gold", "'maybe' is not true or false") in messages


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("t.txt", b"", "unknown file type '.txt'"),
        ("t.jsonl", b"", "holds no records"),
        ("t.jsonl", b"\n \n", "holds no records"),
    ],
)
def test_unusable_files_get_a_message(
    workspace: Workspace, tmp_path: Path, name: str, data: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(EvalStudioError, match=message):
        import_tasks(workspace, path, "S")
    assert workspace.db.table("studies").count == 0


def test_records_must_be_objects(workspace: Workspace, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "t.jsonl", ["[1, 2]", '"text"'])
    assert {p.message for p in _rejected(workspace, path).problems} == {
        "a record must be a JSON object, not list",
        "a record must be a JSON object, not str",
    }


def test_a_second_import_appends_after_the_first(workspace: Workspace, tmp_path: Path) -> None:
    import_tasks(workspace, write_jsonl(tmp_path / "a.jsonl", [record("a")]), "S")
    import_tasks(workspace, write_jsonl(tmp_path / "b.jsonl", [record("b")]), "S")
    study = studies.study_named(workspace, "S")
    items = studies.study_items(workspace, study.id)
    assert [i.position for i in items] == [0, 1]
    assert workspace.db.table("tasks").count == 1  # same prompt, same task


def test_a_task_that_contradicts_the_stored_one_is_refused(
    workspace: Workspace, tmp_path: Path
) -> None:
    import_tasks(workspace, write_jsonl(tmp_path / "a.jsonl", [record("a", task_id="t")]), "S")
    path = write_jsonl(tmp_path / "b.jsonl", [record("b", task_id="t", prompt="Changed")])
    (problem,) = _rejected(workspace, path).problems
    assert problem.field == "prompt" and "already in the study" in problem.message


# --- found by test_import_fuzz.py -----------------------------------------------------------------


def test_line_separators_inside_a_json_string_do_not_split_the_record(
    workspace: Workspace, tmp_path: Path
) -> None:
    """U+2028 and U+0085 are valid in a JSON string (json.dumps(ensure_ascii=False) writes
    them raw); str.splitlines broke the record there and misnumbered every line after it."""
    path = tmp_path / "t.jsonl"
    records = [record("a", prompt="one\u2028two"), record("b", candidate="x\x85y", kind="poem")]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    (problem,) = _rejected(workspace, path).problems
    assert (problem.line, problem.field) == (2, "kind")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"id": ' + "9" * 5000 + "}", "holds a number of more than 4,300 digits"),
        ('{"id": ' + "[" * 5000, "is nested too deeply to read"),
    ],
)
def test_json_past_python_s_limits_is_a_bad_row_not_a_crash(
    workspace: Workspace, tmp_path: Path, line: str, message: str
) -> None:
    path = write_jsonl(tmp_path / "t.jsonl", [record("a"), line])
    (problem,) = _rejected(workspace, path).problems
    assert (problem.line, problem.message) == (2, message)


def test_a_csv_range_of_thousands_of_digits_is_not_a_range(
    workspace: Workspace, tmp_path: Path
) -> None:
    header = ["id", "prompt", "candidate", "kind", "truth", "flaw_description", "flaw_lines"]
    row = ["a", "p", CODE, "code", "flawed", "off", "9" * 5000]
    path = write_csv(tmp_path / "t.csv", header, [row])
    first = _rejected(workspace, path).problems[0]
    assert (first.field, first.message[:4]) == ("flaw_lines", "'999")
    assert "is not a range" in first.message and len(first.message) < 200


def test_a_study_name_with_a_control_character_is_refused(
    workspace: Workspace, tmp_path: Path
) -> None:
    """SQLite's length() ends a text at a NUL: "\\x00" passed the name check and then failed
    the table's CHECK as an IntegrityError."""
    path = write_jsonl(tmp_path / "t.jsonl", [record("a")])
    with pytest.raises(EvalStudioError, match="may not hold a control character"):
        import_tasks(workspace, path, "\x00")
    assert workspace.db.table("studies").count == 0
