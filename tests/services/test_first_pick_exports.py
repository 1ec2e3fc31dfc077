"""A compare or rank item's first pick in the judgments export: `first_order` and
`first_strength` as `order` and `strength` spell a final one, the CSV's `first_order_sides` in
the letters shown, null where no pick came before the assistance. Ada's queue (seed 11):
compare unassisted, compare assisted, rank assisted."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from support.comparison_study import comparison_study, order_form, session_of
from support.export_doc import assert_conforms, fields

from evalstudio.core.comparison import BETTER, MUCH_BETTER
from evalstudio.core.review import Condition, Stage
from evalstudio.services.report.exports import ExportFormat, export_study
from evalstudio.services.workspace.opening import Workspace

JUDGMENTS = "## Judgments (`judgments-jsonl`)"


@pytest.fixture
def items(workspace: Workspace, tmp_path: Path) -> list[str]:
    """Ada's items judged: the unassisted compare item straight away (A better), the assisted
    one A much better first and B better after, the rank item as shown first and reversed
    after; their ids in her queue's order."""
    study = comparison_study(workspace, tmp_path, options="commit_before_reveal = true\n")
    ada = session_of(workspace, study, "Ada")
    assert [e.condition for e in ada.queue] == [
        Condition.UNASSISTED,
        Condition.ASSISTED,
        Condition.ASSISTED,
    ]
    plain, picked, ranked = (e.item for e in ada.queue)
    a, b = (s.candidate_id for s in plain.sides)
    ada.submit(plain.item_id, Stage.FINAL, order_form((a,), (b,), strength=BETTER))
    a, b = (s.candidate_id for s in picked.sides)
    ada.submit(picked.item_id, Stage.FIRST, order_form((a,), (b,), strength=MUCH_BETTER))
    ada.submit(picked.item_id, Stage.FINAL, order_form((b,), (a,), strength=BETTER))
    ids = [s.candidate_id for s in ranked.sides]
    ada.submit(ranked.item_id, Stage.FIRST, order_form(*((c,) for c in ids)))
    ada.submit(ranked.item_id, Stage.FINAL, order_form(*((c,) for c in reversed(ids))))
    return [plain.item_id, picked.item_id, ranked.item_id]


def _export(workspace: Workspace, tmp_path: Path, format: ExportFormat, truth: bool) -> Path:
    path = tmp_path / f"out-{truth}{format.suffix}"
    export_study(workspace, "Compare", format, path, with_truth=truth)
    return path


@pytest.mark.parametrize("with_truth", [False, True])
def test_the_first_pick_is_exported_beside_the_final_order(
    workspace: Workspace, tmp_path: Path, items: list[str], with_truth: bool
) -> None:
    path = _export(workspace, tmp_path, ExportFormat.JUDGMENTS_JSONL, with_truth)
    lines = path.read_text(encoding="utf-8").splitlines()
    records: dict[str, dict[str, Any]] = {}
    for n, line in enumerate(lines):
        record = json.loads(line)
        assert_conforms(record, fields(JUDGMENTS, with_truth), f"line {n + 1}")
        records[record["item_id"]] = record
    plain, picked, ranked = (records[i] for i in items)
    ids = [[c["candidate_id"]] for c in picked["candidates"]]
    assert (picked["first_order"], picked["first_strength"]) == (ids, MUCH_BETTER)
    assert (picked["order"], picked["strength"]) == (ids[::-1], BETTER)
    assert picked["verdict_first"] is None and picked["confidence_first"] == 4
    assert picked["first_at"] is not None and picked["first_at"] < picked["submitted_at"]
    ids = [[c["candidate_id"]] for c in ranked["candidates"]]
    assert (ranked["first_order"], ranked["first_strength"]) == (ids, None)
    assert ranked["order"] == ids[::-1]
    assert (plain["first_order"], plain["first_strength"], plain["first_at"]) == (None,) * 3


def test_the_csv_spells_the_first_pick_in_the_letters_shown(
    workspace: Workspace, tmp_path: Path, items: list[str]
) -> None:
    path = _export(workspace, tmp_path, ExportFormat.JUDGMENTS_CSV, False)
    with path.open(encoding="utf-8", newline="") as f:
        rows = {r["item_id"]: r for r in csv.DictReader(f)}
    found = [(rows[i]["first_order_sides"], rows[i]["order_sides"]) for i in items]
    assert found == [("", "A>B"), ("A>B", "B>A"), ("A>B>C>D", "D>C>B>A")]
    assert rows[items[1]]["first_strength"] == str(MUCH_BETTER)
