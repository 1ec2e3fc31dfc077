"""Exports of a study run through the real services: every format's fields and types against
docs/export-format.md, what stays out without the ground truth, which pairs become preference
pairs, files that appear only whole, and flat memory on a large study."""

from __future__ import annotations

import csv
import errno
import json
import re
import tracemalloc
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
from support.bulk_study import bulk_study
from support.export_doc import assert_conforms, documented, fields
from support.scripted_study import NAMES, Scripted, log_request, scripted_study

from evalstudio.core.errors import EvalStudioError
from evalstudio.core.model import Truth, Verdict
from evalstudio.core.model_evaluator import EvaluatorProfile, ModelRole
from evalstudio.core.preference_pairs import TwinVotes, separates
from evalstudio.core.review import JudgmentForm, Stage
from evalstudio.io import export_files, export_records
from evalstudio.services.models.model_evaluator import add_model_evaluator
from evalstudio.services.report.exports import ExportFormat, export_study
from evalstudio.services.review.session import ReviewSession
from evalstudio.services.studies.scores import study_scores
from evalstudio.services.workspace import evaluators
from evalstudio.services.workspace.opening import Workspace
from evalstudio.store import content
from evalstudio.store import studies as study_rows

JUDGMENTS = "## Judgments (`judgments-jsonl`)"
FLAW = "### A flaw (`flaws[]`)"
ENTRY = "### An assistance entry (`assistance[]`)"
MARK = "### A mark (`marks[]`)"
PLANTED = "### A planted flaw (`planted_flaw`)"
JUDGMENTS_CSV = "## Judgments as CSV (`judgments-csv`)"
EVENTS = "## Assistance events (`events-jsonl`, `events-csv`)"
PAIRS = "## Preference pairs (`pairs`)"


@pytest.fixture
def scripted(workspace: Workspace, tmp_path: Path) -> Scripted:
    return scripted_study(workspace, tmp_path)


def lines_of(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def exported(
    workspace: Workspace, tmp_path: Path, format: ExportFormat, with_truth: bool = False
) -> Path:
    path = tmp_path / f"out-{format.value}-{with_truth}{format.suffix}"
    export_study(workspace, "S", format, path, with_truth=with_truth)
    return path


# -- judgments --------------------------------------------------------------------------------


@pytest.mark.parametrize("with_truth", [False, True])
def test_every_judgment_record_has_the_documented_fields_and_types(
    workspace: Workspace, tmp_path: Path, scripted: Scripted, with_truth: bool
) -> None:
    found = lines_of(exported(workspace, tmp_path, ExportFormat.JUDGMENTS_JSONL, with_truth))
    assert found
    for n, rec in enumerate(found):
        assert_conforms(rec, fields(JUDGMENTS, with_truth), f"line {n + 1}")
        for flaw in rec["flaws"]:
            assert_conforms(flaw, fields(FLAW, with_truth), "flaw")
        for entry in rec["assistance"]:
            assert_conforms(entry, fields(ENTRY, with_truth), "assistance")
            for mark in entry["marks"]:
                assert_conforms(mark, fields(MARK), "mark")
        if with_truth and rec["planted_flaw"] is not None:
            assert_conforms(rec["planted_flaw"], fields(PLANTED), "planted_flaw")
    # Both values and nulls show up in the main fields, so both were checked against the doc.
    assert {r["verdict"] for r in found} == {"flawed", "acceptable", None}
    assert {r["verdict_first"] for r in found} == {"acceptable", None}
    assert {e["source"] for r in found for e in r["assistance"]} == {"requested", "pregenerated"}


def test_judgments_are_the_current_ones_the_report_scores(
    workspace: Workspace, tmp_path: Path, scripted: Scripted
) -> None:
    found = lines_of(exported(workspace, tmp_path, ExportFormat.JUDGMENTS_JSONL, True))
    keys = [(r["evaluator_id"], r["item_id"]) for r in found]
    assert len(keys) == len(set(keys))  # one record per evaluator and item
    assert scripted.undone not in keys
    scored = {s.judgment.id: s for s in study_scores(workspace, scripted.study_id)}
    judged = {r["judgment_id"]: r for r in found if r["verdict"] is not None}
    assert set(judged) == set(scored)  # the same current judgments as the report
    for judgment_id, s in scored.items():
        assert judged[judgment_id]["score"] == s.scored.score.value
        assert judged[judgment_id]["verdict"] == s.judgment.form.verdict
    by_key = {(r["evaluator_id"], r["item_id"]): r for r in found}
    revised, redone = by_key[scripted.revised], by_key[scripted.redone]
    assert (revised["revision"], revised["quality"]) == (2, 6)
    assert revised["supersedes_id"] is not None
    assert redone["revision"] == 2  # the undone version counts
    assert {r["revision"] for r in found} == {1, 2}
    skips = [r for r in found if r["verdict"] is None]
    assert skips and all(
        r["skipped_reason"] == "not sure" and r["score"] == "unscored" and r["quality"] is None
        for r in skips
    )
    items = [r["item_id"] for r in found]
    assert items == sorted(items)  # not the study's order, which follows the task file


def test_judgment_records_carry_the_form_the_flaws_and_the_assistance_used(
    workspace: Workspace, tmp_path: Path, scripted: Scripted
) -> None:
    found = lines_of(exported(workspace, tmp_path, ExportFormat.JUDGMENTS_JSONL, True))
    catches = [r for r in found if r["score"] == "catch"]
    assert catches and all(r["truth"] == "flawed" and r["verdict"] == "flawed" for r in catches)
    ada = next(r for r in catches if r["evaluator"] == "Ada")
    assert [(f["lines"], f["at_plant"]) for f in ada["flaws"]] == [([2, 2], True), ([1, 1], False)]
    assert ada["flaws"][0] | {"at_plant": None} == {
        "severity": "major",
        "description": "minus instead of plus",
        "lines": [2, 2],
        "span": None,
        "source": "own",
        "assist_event_id": None,
        "point_index": None,
        "at_plant": None,
    }
    assert ada["planted_flaw"] == {
        "description": "subtracts",
        "severity": "major",
        "lines": [2, 2],
        "span": None,
    }
    assert any(r["score"] == "false_alarm" and r["pair_id"] == "p1" for r in found)
    essay = [r for r in found if r["kind"] == "text"]
    assert essay and all(
        r["candidate"] == "It is ünïcode: ✓." and r["truth"] is None and r["pair_id"] is None
        for r in essay
    )
    assisted = [r for r in found if r["condition"] in ("assisted", "misleading")]
    assert assisted
    for r in assisted:
        own = [e for e in r["assistance"] if e["source"] == "requested"]
        assert len(own) == 1 and own[0]["marks"] == [{"point": 0, "mark": "valid"}]
        assert own[0]["manipulated"] is (r["condition"] == "misleading")
        assert r["verdict_first"] == "acceptable" and r["confidence_first"] == 2
        shown = [e for e in r["assistance"] if e["source"] == "pregenerated"]
        assert len(shown) == (1 if r["evaluator"] == "Bob" else 0)
        assert all(e["shown_at"] is not None and e["requested_at"] for e in shown)
        assert r["assist_kinds"] == ["critique"]
    unassisted = [r for r in found if r["condition"] == "unassisted"]
    assert unassisted and all(r["assistance"] == [] and r["first_at"] is None for r in unassisted)


def test_without_the_truth_nothing_tells_the_twins_apart(
    workspace: Workspace, tmp_path: Path, scripted: Scripted
) -> None:
    for format in (ExportFormat.JUDGMENTS_JSONL, ExportFormat.JUDGMENTS_CSV):
        text = exported(workspace, tmp_path, format).read_text(encoding="utf-8")
        secrets = ("subtracts", "-bug", "-ok", "manipulat", "at_plant", "truth", "gold")
        for secret in (*secrets, "item_number"):
            assert secret not in text, (format, secret)
    events = exported(workspace, tmp_path, ExportFormat.EVENTS_JSONL).read_text(encoding="utf-8")
    for secret in ("manipulat", "json_schema", "messages", "Critique the answer", "item_number"):
        assert secret not in events, secret


# -- CSV ----------------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


@pytest.mark.parametrize("with_truth", [False, True])
def test_the_judgments_csv_is_the_jsonl_flat_with_the_documented_columns(
    workspace: Workspace, tmp_path: Path, scripted: Scripted, with_truth: bool
) -> None:
    records = lines_of(exported(workspace, tmp_path, ExportFormat.JUDGMENTS_JSONL, with_truth))
    path = exported(workspace, tmp_path, ExportFormat.JUDGMENTS_CSV, with_truth)
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    summary = documented(JUDGMENTS_CSV)
    base = [name for name, _ in fields(JUDGMENTS) if name not in ("assistance", "answers")]
    expected = base + [name for name, _ in summary[0]]
    if with_truth:
        expected += [name for name, _ in documented(JUDGMENTS)[1]]
        expected += [name for name, _ in summary[1]]
    assert list(rows[0]) == expected
    assert len(rows) == len(records)
    for row, rec in zip(rows, records, strict=True):
        for name in base + ([n for n, _ in documented(JUDGMENTS)[1]] if with_truth else []):
            assert row[name] == _cell(rec[name]), name
        used = rec["assistance"]
        assert json.loads(row["assist_event_ids"]) == [e["assist_event_id"] for e in used]
        valid = sum(m["mark"] == "valid" for e in used for m in e["marks"])
        assert int(row["points_marked_valid"]) == valid
        if with_truth:
            assert int(row["manipulated_responses"]) == sum(e["manipulated"] for e in used)


# -- assistance events --------------------------------------------------------------------------


@pytest.mark.parametrize("with_truth", [False, True])
def test_every_event_record_has_the_documented_fields_and_types(
    workspace: Workspace, tmp_path: Path, scripted: Scripted, with_truth: bool
) -> None:
    asker = evaluators.list_evaluators(workspace)[0].id
    question = [{"role": "user", "content": "Why?"}]
    log_request(workspace, "chat-1", scripted.items[0], asker, kind="chat", chat=question)
    found = lines_of(exported(workspace, tmp_path, ExportFormat.EVENTS_JSONL, with_truth))
    logged = workspace.db.execute("SELECT count(*) FROM assist_events").fetchone()[0]
    assert len(found) == logged
    for n, rec in enumerate(found):
        assert_conforms(rec, fields(EVENTS, with_truth), f"line {n + 1}")
        assert (rec["first_token_ms"], rec["duration_ms"]) == (250, 2000)
        assert "json_schema" not in rec["params"]
        assert rec["params"] == {"max_tokens": 40, "temperature": 0.7}
    assert {r["pregenerated"] for r in found} == {True, False}
    assert {r["evaluator"] for r in found} == {None, *NAMES}
    assert any(r["chat"] == [{"role": "user", "content": "Why?"}] for r in found)
    items = [r["item_id"] for r in found]
    assert items == sorted(items)  # by item: not the study's order
    # Pre-generation ran in the study's order: its times are ground truth, its durations not.
    hidden = [r for r in found if r["pregenerated"]]
    assert hidden and all((r["requested_at"] is None) is not with_truth for r in hidden)
    assert all(r["ended_at"] is not None for r in found if not r["pregenerated"])
    if with_truth:
        order = [(r["item_id"], r["requested_at"]) for r in found]
        assert order == sorted(order)  # then by time
        assert {r["manipulation"] for r in found} == {"pass", None}
        assert all(r["json_schema"] == {"type": "object"} for r in found)
        assert all(r["messages"][0]["content"] == "Critique the answer." for r in found)


def test_the_events_csv_has_the_jsonl_columns(
    workspace: Workspace, tmp_path: Path, scripted: Scripted
) -> None:
    records = lines_of(exported(workspace, tmp_path, ExportFormat.EVENTS_JSONL, True))
    with exported(workspace, tmp_path, ExportFormat.EVENTS_CSV, True).open(
        encoding="utf-8", newline=""
    ) as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == [name for name, _ in fields(EVENTS, True)]
    for row, rec in zip(rows, records, strict=True):
        assert row == {name: _cell(value) for name, value in rec.items()}


# -- preference pairs -----------------------------------------------------------------------------


def test_twins_are_separated_by_a_strict_majority_on_each() -> None:
    assert separates(TwinVotes(flawed=2, acceptable=1), TwinVotes(flawed=0, acceptable=1))
    assert not separates(TwinVotes(1, 1), TwinVotes(0, 3))  # a tie on the flawed twin
    assert not separates(TwinVotes(3, 0), TwinVotes(1, 1))  # a tie on the correct twin
    assert not separates(TwinVotes(3, 0), TwinVotes(0, 0))  # nobody judged the correct twin
    assert not separates(TwinVotes(0, 2), TwinVotes(2, 0))  # both the wrong way round


def test_pairs_are_the_separated_ones_as_strict_json_lines(
    workspace: Workspace, tmp_path: Path, scripted: Scripted
) -> None:
    path = exported(workspace, tmp_path, ExportFormat.PAIRS, with_truth=True)
    text = path.read_text(encoding="utf-8")
    assert text.endswith("\n")
    found = [json.loads(line) for line in text.split("\n")[:-1]]  # every line is one object
    # The votes, counted from the judgments export: each twin's current verdicts.
    votes: dict[tuple[str, str], Counter[str]] = {}
    for r in lines_of(exported(workspace, tmp_path, ExportFormat.JUDGMENTS_JSONL, True)):
        if r["pair_id"] is not None and r["verdict"] is not None:
            votes.setdefault((r["pair_id"], r["truth"]), Counter())[r["verdict"]] += 1

    def twin(pair_id: str, truth: str) -> TwinVotes:
        tally = votes.get((pair_id, truth), Counter())
        return TwinVotes(tally["flawed"], tally["acceptable"])

    expected = [
        p for p in ("p0", "p1", "p2", "p3") if separates(twin(p, "flawed"), twin(p, "correct"))
    ]
    assert [r["pair_id"] for r in found] == expected
    assert found, "the script judges both twins of p0 or p2 right"
    assert not {"p1", "p3"} & set(expected)  # a correct twin called flawed; skips only
    for n, rec in enumerate(found):
        assert_conforms(rec, fields(PAIRS), f"line {n + 1}")
        assert rec["chosen"].endswith("a + b\n") and rec["rejected"].endswith("a - b\n")
        pair_id = rec["pair_id"]
        assert (rec["chosen_record_id"], rec["rejected_record_id"]) == (
            f"{pair_id}-ok",
            f"{pair_id}-bug",
        )
        assert rec["votes"] == {
            "flawed_twin": asdict(twin(pair_id, "flawed")),
            "correct_twin": asdict(twin(pair_id, "correct")),
        }
    # What the datasets JSON loader needs: the same keys, each with one type, on every line.
    assert all(list(rec) == list(found[0]) for rec in found)
    for key in found[0]:
        assert len({type(rec[key]) for rec in found}) == 1, key


def test_pairs_need_the_truth(workspace: Workspace, tmp_path: Path, scripted: Scripted) -> None:
    with pytest.raises(EvalStudioError, match="ground truth"):
        export_study(workspace, "S", ExportFormat.PAIRS, tmp_path / "pairs.jsonl")
    assert not (tmp_path / "pairs.jsonl").exists()


# -- files that appear only whole ---------------------------------------------------------------


def _parts(folder: Path) -> list[Path]:
    return list(folder.glob(".*.part"))


def test_a_failure_midway_leaves_the_target_as_it_was(
    workspace: Workspace, tmp_path: Path, scripted: Scripted, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "judgments.jsonl"
    target.write_text("the previous export\n", encoding="utf-8")
    shaped = export_records.judgment_record
    calls = iter(range(1000))

    def failing(row: Any, study: str, with_truth: bool, questions: Any) -> dict[str, Any]:
        if next(calls) == 3:
            raise RuntimeError("power cut")
        return shaped(row, study, with_truth, questions)

    monkeypatch.setattr(export_records, "judgment_record", failing)
    with pytest.raises(RuntimeError, match="power cut"):
        export_study(workspace, "S", ExportFormat.JUDGMENTS_JSONL, target)
    assert target.read_text(encoding="utf-8") == "the previous export\n"
    assert _parts(tmp_path) == []


def test_a_full_disk_is_a_clear_message_and_no_partial_file(
    workspace: Workspace, tmp_path: Path, scripted: Scripted, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(out: Any) -> export_files.Write:
        def write(record: dict[str, Any]) -> None:
            raise OSError(errno.ENOSPC, "No space left on device")

        return write

    monkeypatch.setattr(export_files, "jsonl_writer", full)
    target = tmp_path / "events.jsonl"
    with pytest.raises(EvalStudioError, match="No space left on device") as raised:
        export_study(workspace, "S", ExportFormat.EVENTS_JSONL, target)
    assert raised.value.where == str(target)
    assert not target.exists() and _parts(tmp_path) == []


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("missing/out.jsonl", "does not exist"),
        (".", "is a folder"),
    ],
)
def test_a_target_that_cannot_be_written_is_named(
    workspace: Workspace, tmp_path: Path, scripted: Scripted, target: str, message: str
) -> None:
    with pytest.raises(EvalStudioError, match=message):
        export_study(workspace, "S", ExportFormat.JUDGMENTS_JSONL, tmp_path / target)
    assert _parts(tmp_path) == [] and not (tmp_path / "missing").exists()


@pytest.mark.parametrize("suffix", ["", "-wal"])
def test_the_workspace_itself_is_never_a_target(
    workspace: Workspace, workspace_path: Path, scripted: Scripted, suffix: str
) -> None:
    target = workspace_path.with_name(workspace_path.name + suffix)
    with pytest.raises(EvalStudioError, match="is the workspace itself"):
        export_study(workspace, "S", ExportFormat.JUDGMENTS_JSONL, target)
    assert study_scores(workspace, scripted.study_id)  # the study is still there


def test_an_unknown_study_writes_nothing(workspace: Workspace, tmp_path: Path) -> None:
    with pytest.raises(EvalStudioError, match="no study named 'Nope'"):
        export_study(workspace, "Nope", ExportFormat.JUDGMENTS_JSONL, tmp_path / "x.jsonl")
    assert not (tmp_path / "x.jsonl").exists() and _parts(tmp_path) == []


def test_progress_counts_up_to_the_total(
    workspace: Workspace, tmp_path: Path, scripted: Scripted
) -> None:
    seen: list[tuple[int, int]] = []
    report = export_study(
        workspace,
        "S",
        ExportFormat.JUDGMENTS_JSONL,
        tmp_path / "j.jsonl",
        progress=lambda done, total: seen.append((done, total)),
    )
    assert seen[0] == (0, report.rows) and seen[-1] == (report.rows, report.rows)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert report.records == report.rows == len(lines_of(tmp_path / "j.jsonl"))


# -- memory on a large study ----------------------------------------------------------------------


def test_a_large_export_streams_in_flat_memory(workspace: Workspace, tmp_path: Path) -> None:
    study = bulk_study(workspace, tmp_path, evaluators=20, pairs=1000)  # 20,000 judgments
    target = tmp_path / "big.jsonl"
    tracemalloc.start()
    try:
        report = export_study(workspace, study.name, ExportFormat.JUDGMENTS_JSONL, target)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    size = target.stat().st_size
    assert report.records == 20_000
    # Holding the records would take more than the file (Python objects are larger than
    # their JSON); a streaming export holds one chunk of 500.
    assert peak < size / 5, f"peak {peak / 1e6:.1f} MB for a {size / 1e6:.1f} MB file"


def _each_line(path: Path) -> Iterator[str]:
    with path.open(encoding="utf-8") as f:
        yield from f


def test_large_exports_have_one_record_per_judgment_in_item_order(
    workspace: Workspace, tmp_path: Path
) -> None:
    study = bulk_study(workspace, tmp_path, evaluators=3, pairs=700)  # more than one chunk
    target = tmp_path / "big.jsonl"
    export_study(workspace, study.name, ExportFormat.JUDGMENTS_JSONL, target, with_truth=True)
    found = [json.loads(line) for line in _each_line(target)]
    assert len(found) == 3 * 700
    assert len({(r["evaluator_id"], r["item_id"]) for r in found}) == len(found)
    assert [r["item_id"] for r in found] == sorted(r["item_id"] for r in found)
    numbers = [r["item_number"] for r in found]
    assert numbers != sorted(numbers)  # the study's order does not show through
    assert all(re.fullmatch(r"E\d{3}", r["evaluator"]) for r in found)


def test_model_evaluators_are_marked_and_do_not_vote_in_pairs(
    workspace: Workspace, tmp_path: Path, scripted: Scripted
) -> None:
    """Three model evaluators (judging through the review service, as `evalstudio judge`
    does) call every correct twin flawed and every flawed twin acceptable: enough to turn every
    majority if they voted. The pairs stay the people's; their judgments say `model`."""
    before = exported(workspace, tmp_path, ExportFormat.PAIRS, with_truth=True).read_bytes()
    judge = ModelRole("bundled", "local", "m", None, 0.7, 256)
    study = study_rows.study_by_id(workspace.db, scripted.study_id)
    assert study is not None
    item_of = content.item_ids_by_candidate(workspace.db, study.id)
    truths = {item_of[c.id]: c.truth for c in content.candidates_of_study(workspace.db, study.id)}
    for n in range(3):
        profile = EvaluatorProfile(judge, None, {}, seed=str(n))
        model = add_model_evaluator(workspace, f"model {n}", profile)
        session = ReviewSession(workspace, study, model)
        for entry in session.queue:
            wrong = (
                Verdict.FLAWED
                if truths[entry.item.item_id] is Truth.CORRECT
                else (Verdict.ACCEPTABLE)
            )
            form = JudgmentForm(wrong, quality=4, confidence=3)
            session.submit(entry.item.item_id, Stage.FINAL, form)
    after = exported(workspace, tmp_path, ExportFormat.PAIRS, with_truth=True).read_bytes()
    assert after == before
    kinds = Counter(
        r["evaluator_kind"]
        for r in lines_of(exported(workspace, tmp_path, ExportFormat.JUDGMENTS_JSONL, True))
    )
    assert kinds["model"] == 3 * len(scripted.items) and kinds["human"] > 0
