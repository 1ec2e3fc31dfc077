"""Compare and rank items in the exports: the judgments (JSONL and CSV) carry each evaluator's
order of the answers as they saw them, `preferences` the pairs those orders state; without
the ground truth nothing tells a pair's correct twin (the owner's slot 0) from the flawed one.

The study (tests/support/comparison_study.py): two perturbation pairs shown as compare items
and one rank item of four answers, judged through the review service by Ada and Bob."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from support.bulk_comparisons import bulk_comparisons
from support.comparison_study import comparison_study, order_form, session_of
from support.export_doc import assert_conforms, documented, fields

from evalstudio.core.comparison import BETTER, MUCH_BETTER, Layout
from evalstudio.core.model import Study, Truth
from evalstudio.core.model_evaluator import EvaluatorProfile, ModelRole
from evalstudio.core.review import Stage
from evalstudio.services.models.model_evaluator import add_model_evaluator
from evalstudio.services.report.exports import ExportFormat, export_study
from evalstudio.services.review.session import ReviewSession
from evalstudio.services.workspace.evaluators import list_evaluators
from evalstudio.services.workspace.opening import Workspace
from evalstudio.store import content, orders

JUDGMENTS = "## Judgments (`judgments-jsonl`)"
CANDIDATE = "### A candidate (`candidates[]`)"
JUDGMENTS_CSV = "## Judgments as CSV (`judgments-csv`)"
PREFERENCES = "## Preferences from comparisons and rankings (`preferences`)"


@dataclass(frozen=True)
class Judged:
    """The study after the judging below: each evaluator's answers as shown (candidate ids,
    A first) on each item, by item id, and which items are which."""

    study: Study
    shown: dict[tuple[str, str], list[str]]  # (evaluator name, item id) → ids as shown
    strict: str  # the compare item both judged: Ada B much better, Bob A better
    tied: str  # the compare item Ada called about the same and Bob skipped
    rank: str  # Ada ranked it in reverse of the order shown, Bob in the order shown
    truths: dict[str, Truth | None]  # candidate id → truth
    records: dict[str, str]  # candidate id → its id in the task file
    texts: dict[str, str]  # candidate id → its text


def judge(workspace: Workspace, tmp_path: Path) -> Judged:
    study = comparison_study(workspace, tmp_path)
    shown: dict[tuple[str, str], list[str]] = {}
    for name in ("Ada", "Bob"):
        for entry in session_of(workspace, study, name).queue:
            shown[name, entry.item.item_id] = [s.candidate_id for s in entry.item.sides]
    items = {item.id: item for item in content.multi_items(workspace.db, study.id)}
    compares = sorted(i for i, item in items.items() if item.layout is Layout.COMPARE)
    strict, tied = compares
    rank = next(i for i, item in items.items() if item.layout is Layout.RANK)

    ada = session_of(workspace, study, "Ada")
    a, b = shown["Ada", strict]
    ada.submit(strict, Stage.FINAL, order_form((b,), (a,), strength=MUCH_BETTER))
    a, b = shown["Ada", tied]
    # Stored B first in the tier: the export puts a tie's answers in the order shown.
    ada.submit(tied, Stage.FINAL, order_form((b, a)))
    ada.submit(rank, Stage.FINAL, order_form(*((c,) for c in reversed(shown["Ada", rank]))))

    bob = session_of(workspace, study, "Bob")
    a, b = shown["Bob", strict]
    bob.submit(strict, Stage.FINAL, order_form((a,), (b,), strength=BETTER))
    bob.skip(tied, "cannot tell", active_ms=1000)
    bob.submit(rank, Stage.FINAL, order_form(*((c,) for c in shown["Bob", rank])))

    candidates = content.candidates_of_study(workspace.db, study.id)
    return Judged(
        study,
        shown,
        strict,
        tied,
        rank,
        {c.id: c.truth for c in candidates},
        {c.id: c.external_id for c in candidates},
        {c.id: c.text for c in candidates},
    )


@pytest.fixture
def judged(workspace: Workspace, tmp_path: Path) -> Judged:
    return judge(workspace, tmp_path)


def export(
    workspace: Workspace,
    tmp_path: Path,
    format: ExportFormat,
    with_truth: bool = False,
    include_ties: bool = False,
) -> Path:
    path = tmp_path / f"{format.value}-{with_truth}-{include_ties}{format.suffix}"
    export_study(
        workspace, "Compare", format, path, with_truth=with_truth, include_ties=include_ties
    )
    return path


def lines_of(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def by_evaluator_and_item(records: list[dict[str, Any]]) -> dict[tuple[str, str], Any]:
    return {(r["evaluator"], r["item_id"]): r for r in records}


# -- judgments ----------------------------------------------------------------------------


@pytest.mark.parametrize("with_truth", [False, True])
def test_judgment_records_have_the_documented_fields_and_types(
    workspace: Workspace, tmp_path: Path, judged: Judged, with_truth: bool
) -> None:
    found = lines_of(export(workspace, tmp_path, ExportFormat.JUDGMENTS_JSONL, with_truth))
    assert len(found) == 6  # Ada and Bob on each of three items, Bob's skip included
    for n, record in enumerate(found):
        assert_conforms(record, fields(JUDGMENTS, with_truth), f"line {n + 1}")
        for side in record["candidates"]:
            assert_conforms(side, fields(CANDIDATE, with_truth), "candidate")
    assert {r["layout"] for r in found} == {"compare", "rank"}
    assert {r["strength"] for r in found} == {MUCH_BETTER, BETTER, None}


def test_judgments_carry_each_order_as_the_evaluator_saw_the_answers(
    workspace: Workspace, tmp_path: Path, judged: Judged
) -> None:
    found = by_evaluator_and_item(
        lines_of(export(workspace, tmp_path, ExportFormat.JUDGMENTS_JSONL))
    )
    shown = judged.shown
    for (name, item), record in found.items():
        assert [s["candidate_id"] for s in record["candidates"]] == shown[name, item]
        assert [s["side"] for s in record["candidates"]] == list("ABCD"[: len(shown[name, item])])
        texts = [judged.texts[c] for c in shown[name, item]]
        assert [s["text"] for s in record["candidates"]] == texts
        assert record["candidate"] is None and record["verdict"] is None
    a, b = shown["Ada", judged.strict]
    assert found["Ada", judged.strict]["order"] == [[b], [a]]
    assert found["Ada", judged.strict]["strength"] == MUCH_BETTER
    a, b = shown["Bob", judged.strict]
    assert found["Bob", judged.strict]["order"] == [[a], [b]]
    assert found["Bob", judged.strict]["strength"] == BETTER
    tie = found["Ada", judged.tied]
    assert tie["order"] == [shown["Ada", judged.tied]] and tie["strength"] is None
    skip = found["Bob", judged.tied]
    assert skip["order"] is None and skip["skipped_reason"] == "cannot tell"
    assert found["Ada", judged.rank]["order"] == [[c] for c in reversed(shown["Ada", judged.rank])]
    assert found["Bob", judged.rank]["order"] == [[c] for c in shown["Bob", judged.rank]]
    assert {r["layout"] for (_, item), r in found.items() if item == judged.rank} == {"rank"}


def test_without_the_truth_nothing_but_what_each_saw_names_the_answers(
    workspace: Workspace, tmp_path: Path, judged: Judged
) -> None:
    """The owner keeps a pair's correct twin in slot 0: its answers appear only in `candidates`
    and `order`, in each evaluator's own order, which differs between the two."""
    records = lines_of(export(workspace, tmp_path, ExportFormat.JUDGMENTS_JSONL))
    found = by_evaluator_and_item(records)
    for item in (judged.strict, judged.tied):
        seen = [[s["candidate_id"] for s in found[n, item]["candidates"]] for n in ("Ada", "Bob")]
        assert seen[0] != seen[1]  # as shown, counterbalanced: not the owner's slots
        twins = judged.shown["Ada", item]
        for name in ("Ada", "Bob"):
            rest = json.dumps(
                {k: v for k, v in found[name, item].items() if k not in ("candidates", "order")}
            )
            assert not any(c in rest or judged.texts[c] in rest for c in twins)
            assert all("record_id" not in side for side in found[name, item]["candidates"])
    truth_fields = {name for name, _ in documented(JUDGMENTS)[1]}
    assert not any(truth_fields & set(r) for r in records)
    # In item-id order, on an item by evaluator name: nothing sorted by the owner's order.
    assert [(r["item_id"], r["evaluator"]) for r in records] == sorted(
        (r["item_id"], r["evaluator"]) for r in records
    )


def test_with_the_truth_each_answer_names_its_record_and_a_pair_says_who_picked_right(
    workspace: Workspace, tmp_path: Path, judged: Judged
) -> None:
    found = by_evaluator_and_item(
        lines_of(export(workspace, tmp_path, ExportFormat.JUDGMENTS_JSONL, with_truth=True))
    )
    for (name, item), record in found.items():
        assert [s["record_id"] for s in record["candidates"]] == [
            judged.records[c] for c in judged.shown[name, item]
        ]
        assert record["score"] is None and record["record_id"] is None
        assert record["truth"] is None and record["planted_flaw"] is None
    correct = judged.truths
    a, b = judged.shown["Ada", judged.strict]
    assert found["Ada", judged.strict]["picked_correct"] is (correct[b] is Truth.CORRECT)
    a, b = judged.shown["Bob", judged.strict]
    assert found["Bob", judged.strict]["picked_correct"] is (correct[a] is Truth.CORRECT)
    assert found["Ada", judged.tied]["picked_correct"] is None  # a tie
    assert found["Bob", judged.tied]["picked_correct"] is None  # a skip
    assert found["Ada", judged.rank]["picked_correct"] is None  # not a pair
    assert found["Ada", judged.strict]["pair_id"] in ("p0", "p1")
    assert found["Ada", judged.rank]["pair_id"] is None


@pytest.mark.parametrize("with_truth", [False, True])
def test_the_csv_spells_each_order_in_the_letters_shown(
    workspace: Workspace, tmp_path: Path, judged: Judged, with_truth: bool
) -> None:
    records = lines_of(export(workspace, tmp_path, ExportFormat.JUDGMENTS_JSONL, with_truth))
    path = export(workspace, tmp_path, ExportFormat.JUDGMENTS_CSV, with_truth)
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    summary = [name for name, _ in documented(JUDGMENTS_CSV)[0]]
    assert summary[-2:] == ["order_sides", "first_order_sides"] and set(summary) <= set(rows[0])
    letters = {(r["evaluator"], r["item_id"]): r["order_sides"] for r in rows}
    assert letters == {
        ("Ada", judged.strict): "B>A",
        ("Ada", judged.tied): "A=B",
        ("Ada", judged.rank): "D>C>B>A",
        ("Bob", judged.strict): "A>B",
        ("Bob", judged.tied): "",
        ("Bob", judged.rank): "A>B>C>D",
    }
    for row, record in zip(rows, records, strict=True):
        assert json.loads(row["candidates"]) == record["candidates"]
        assert row["order"] == ("" if record["order"] is None else json.dumps(record["order"]))
        assert row["candidate"] == "" and row["layout"] == record["layout"]
        if with_truth:
            assert row["score"] == ""
            assert (
                row["picked_correct"]
                == {None: "", True: "true", False: "false"}[record["picked_correct"]]
            )


def test_pairs_shown_as_compare_items_are_not_pairs(
    workspace: Workspace, tmp_path: Path, judged: Judged
) -> None:
    path = tmp_path / "pairs.jsonl"
    report = export_study(workspace, "Compare", ExportFormat.PAIRS, path, with_truth=True)
    assert (report.records, report.rows) == (0, 0)
    assert path.read_text(encoding="utf-8") == ""


# -- preferences --------------------------------------------------------------------------


def pairs_of(records: list[dict[str, Any]]) -> list[tuple[str, str, str, bool]]:
    """(evaluator, chosen id, rejected id, tie) of each line, in file order."""
    return [(r["evaluator"], r["chosen_id"], r["rejected_id"], r["tie"]) for r in records]


@pytest.mark.parametrize("with_truth", [False, True])
def test_preferences_have_the_documented_fields_and_types(
    workspace: Workspace, tmp_path: Path, judged: Judged, with_truth: bool
) -> None:
    found = lines_of(export(workspace, tmp_path, ExportFormat.PREFERENCES, with_truth, True))
    assert found
    for n, record in enumerate(found):
        assert_conforms(record, fields(PREFERENCES, with_truth), f"line {n + 1}")
    assert list(found[0])[:3] == ["prompt", "chosen", "rejected"]
    assert {r["tie"] for r in found} == {True, False}
    assert {r["strength"] for r in found} == {MUCH_BETTER, BETTER, None}


def test_each_comparison_and_ranking_states_its_pairs_and_ties_stay_out(
    workspace: Workspace, tmp_path: Path, judged: Judged
) -> None:
    """Ada: B much better than A, a tie (left out), a ranking D>C>B>A (six pairs); Bob: A
    better than B, a skip (nothing), a ranking A>B>C>D (six pairs)."""
    path = export(workspace, tmp_path, ExportFormat.PREFERENCES)
    found = lines_of(path)
    assert len(found) == 14
    by_item: dict[str, list[dict[str, Any]]] = {}
    for record in found:
        by_item.setdefault(record["item_id"], []).append(record)
    assert judged.tied not in by_item
    shown = judged.shown
    a, b = shown["Ada", judged.strict]
    bob_a, bob_b = shown["Bob", judged.strict]
    assert pairs_of(by_item[judged.strict]) == [
        ("Ada", b, a, False),
        ("Bob", bob_a, bob_b, False),
    ]
    ada_strict = by_item[judged.strict][0]
    assert ada_strict["strength"] == MUCH_BETTER and ada_strict["layout"] == "compare"
    assert (ada_strict["chosen"], ada_strict["rejected"]) == (judged.texts[b], judged.texts[a])
    assert (ada_strict["chosen_rank"], ada_strict["rejected_rank"]) == (1, 2)
    assert ada_strict["order"] == [[b], [a]]
    assert ada_strict["prompt"].startswith("Write add")

    ada_d, ada_c, ada_b, ada_a = reversed(shown["Ada", judged.rank])
    bob_order = shown["Bob", judged.rank]
    ranked = by_item[judged.rank]
    assert pairs_of(ranked[:6]) == [
        ("Ada", ada_d, ada_c, False),
        ("Ada", ada_d, ada_b, False),
        ("Ada", ada_d, ada_a, False),
        ("Ada", ada_c, ada_b, False),
        ("Ada", ada_c, ada_a, False),
        ("Ada", ada_b, ada_a, False),
    ]
    assert [(r["chosen_rank"], r["rejected_rank"]) for r in ranked[:6]] == [
        (1, 2),
        (1, 3),
        (1, 4),
        (2, 3),
        (2, 4),
        (3, 4),
    ]
    assert pairs_of(ranked[6:]) == [
        ("Bob", bob_order[i], bob_order[j], False) for i in range(4) for j in range(i + 1, 4)
    ]
    assert all(r["strength"] is None and r["layout"] == "rank" for r in ranked)
    assert all(r["prompt"] == "What is the capital of France?" for r in ranked)
    assert {r["judgment_id"] for r in ranked[:6]} != {r["judgment_id"] for r in ranked[6:]}
    assert not any("chosen_record_id" in r for r in found)


def test_ties_are_written_when_asked_in_the_order_shown(
    workspace: Workspace, tmp_path: Path, judged: Judged
) -> None:
    without = lines_of(export(workspace, tmp_path, ExportFormat.PREFERENCES))
    found = lines_of(export(workspace, tmp_path, ExportFormat.PREFERENCES, include_ties=True))
    ties = [r for r in found if r["tie"]]
    assert [r for r in found if not r["tie"]] == without
    a, b = judged.shown["Ada", judged.tied]
    assert pairs_of(ties) == [("Ada", a, b, True)]  # stored B first, written as shown
    (tie,) = ties
    assert tie["strength"] is None and (tie["chosen_rank"], tie["rejected_rank"]) == (1, 1)
    assert tie["order"] == [[a, b]]


def test_with_the_truth_preferences_name_the_records(
    workspace: Workspace, tmp_path: Path, judged: Judged
) -> None:
    plain = lines_of(export(workspace, tmp_path, ExportFormat.PREFERENCES))
    found = lines_of(export(workspace, tmp_path, ExportFormat.PREFERENCES, with_truth=True))
    for record, bare in zip(found, plain, strict=True):
        assert record["chosen_record_id"] == judged.records[record["chosen_id"]]
        assert record["rejected_record_id"] == judged.records[record["rejected_id"]]
        assert {k: v for k, v in record.items() if not k.endswith("_record_id")} == bare


def test_preferences_are_people_s_only(
    workspace: Workspace, tmp_path: Path, judged: Judged
) -> None:
    """A model evaluator's orderings are in the judgments, marked `model`, never in the
    preferences."""
    before = export(workspace, tmp_path, ExportFormat.PREFERENCES).read_bytes()
    profile = EvaluatorProfile(
        ModelRole("bundled", "local", "m", None, 0.7, 256), None, {}, seed="0"
    )
    model = add_model_evaluator(workspace, "model 0", profile)
    session = ReviewSession(workspace, judged.study, model)
    for entry in session.queue:
        ids = tuple((s.candidate_id,) for s in entry.item.sides)
        strength = BETTER if entry.item.layout is Layout.COMPARE else None
        session.submit(entry.item.item_id, Stage.FINAL, order_form(*ids, strength=strength))
    after = export(workspace, tmp_path, ExportFormat.PREFERENCES)
    assert after.read_bytes() == before
    judgments = lines_of(export(workspace, tmp_path, ExportFormat.JUDGMENTS_JSONL))
    assert sum(r["evaluator_kind"] == "model" for r in judgments) == 3


def test_a_preferences_file_reads_as_a_dataset_loader_reads_it(
    workspace: Workspace, tmp_path: Path, judged: Judged
) -> None:
    """One JSON object per line, the same keys on every line, each key of one type (or
    null)."""
    found = lines_of(export(workspace, tmp_path, ExportFormat.PREFERENCES, include_ties=True))
    assert {tuple(r) for r in found} == {tuple(found[0])}
    for key in found[0]:
        kinds = {type(r[key]) for r in found if r[key] is not None}
        assert len(kinds) == 1, key


@pytest.mark.parametrize("answers", [2, 4])
def test_a_bulk_study_exports_what_the_store_says_each_evaluator_saw(
    workspace: Workspace, tmp_path: Path, answers: int
) -> None:
    """The bench's study (written in bulk): the export's order shown is the one the store's
    comparison rows draw, and the preferences are as many as the orders state."""
    study = bulk_comparisons(workspace, tmp_path, evaluators=3, items=7, answers=answers)
    path = tmp_path / "j.jsonl"
    export_study(workspace, study.name, ExportFormat.JUDGMENTS_JSONL, path)
    found = by_evaluator_and_item(lines_of(path))
    names = {e.id: e.name for e in list_evaluators(workspace)}
    stored = orders.order_judgments(workspace.db, study.id)
    assert len(found) == len(stored) == 21
    for judgment in stored:
        record = found[names[judgment.evaluator_id], judgment.item_id]
        assert [s["candidate_id"] for s in record["candidates"]] == list(judgment.shown)
        assert [set(t) for t in record["order"]] == [set(t) for t in judgment.ordering.tiers]
    path = tmp_path / "p.jsonl"
    report = export_study(workspace, study.name, ExportFormat.PREFERENCES, path)
    assert report.records == sum(len(j.ordering.implied_pairs()) for j in stored) > 0
