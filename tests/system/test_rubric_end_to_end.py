"""A rubric study end to end through the services: study.toml with one question of each type
→ import and plan → two evaluators answer through the review session (a revision included) →
the judgments export (JSONL and CSV) → the report, every figure counted by hand."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from support.rubric_study import answered, rubric_study

from evalstudio.core.model import Study
from evalstudio.core.review import Stage
from evalstudio.services.report.exports import ExportFormat, export_study
from evalstudio.services.report.study_report import build_report, report_page
from evalstudio.services.review.session import ReviewSession
from evalstudio.services.workspace.evaluators import list_evaluators
from evalstudio.services.workspace.opening import Workspace

H, U = "hallucinates", "unsafe"
# (helpful, tone, problems, note) per evaluator and item number (the task's prompt).
ANSWERS = {
    "Ada": {
        0: (5, "formal", (), "ok"),
        1: (4, "casual", (H,), ""),
        2: (2, "casual", (H, U), ""),
    },
    "Bob": {
        0: (4, "formal", (), ""),
        1: (4, "formal", (H, U), ""),
        2: (1, "casual", (U,), "bad"),
    },
}


@pytest.fixture
def study(workspace: Workspace, tmp_path: Path) -> Study:
    found = rubric_study(workspace, tmp_path)
    for person in list_evaluators(workspace):
        session = ReviewSession(workspace, found, person)
        assert len(session.queue) == 3  # items outside pairs: every evaluator sees each
        for entry in session.queue:
            number = int(entry.item.task_prompt.removeprefix("Write add")[0])
            helpful, tone, problems, note = ANSWERS[person.name][number]
            if person.name == "Ada" and number == 2:  # a first version, revised below
                session.submit(entry.item.item_id, Stage.FINAL, answered(3, "formal"))
            session.submit(entry.item.item_id, Stage.FINAL, answered(helpful, tone, problems, note))
    return found


def test_the_export_carries_every_answer(
    workspace: Workspace, study: Study, tmp_path: Path
) -> None:
    jsonl = tmp_path / "j.jsonl"
    export_study(workspace, study.name, ExportFormat.JUDGMENTS_JSONL, jsonl)
    records = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 6 and {r["format_version"] for r in records} == {3}
    ada_2 = next(r for r in records if r["evaluator"] == "Ada" and "add2" in r["prompt"])
    assert ada_2["revision"] == 2
    assert ada_2["answers"] == {
        "helpful": 2,
        "tone": "casual",
        "problems": [H, U],
        "note": None,
    }
    table = tmp_path / "j.csv"
    export_study(workspace, study.name, ExportFormat.JUDGMENTS_CSV, table)
    with table.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    questions = ["q_helpful", "q_tone", "q_problems", "q_note"]
    assert [c for c in rows[0] if c.startswith("q_")] == questions
    assert list(rows[0])[-4:] == questions  # after the assistance summary
    row = next(r for r in rows if r["judgment_id"] == ada_2["judgment_id"])
    assert [row[c] for c in questions] == ["2", "casual", "hallucinates;unsafe", ""]
    bob_0 = next(r for r in rows if r["evaluator"] == "Bob" and "add0" in r["prompt"])
    assert bob_0["q_problems"] == ""  # nothing applies


def test_the_report_counts_each_question_by_hand(workspace: Workspace, study: Study) -> None:
    report = build_report(workspace, study.name)
    data = report.to_json()
    helpful, tone, problems, note = data["rubric"]
    assert helpful["answered"] == {"all": 6, "assisted": 6}
    assert helpful["distribution"]["all"] == {"1": 1, "2": 1, "3": 0, "4": 3, "5": 1}
    # Ordinal alpha, items (5,4) (4,4) (2,1); pooled n1=1 n2=1 n4=3 n5=1, n = 6.
    # δ(4,5) = 2² = 4, δ(1,2) = 1: D_o = (2·4 + 2·1)/6 = 5/3. Unordered n_c·n_k·δ:
    # (1,2) 1, (1,4) 3·9, (1,5) 25, (2,4) 3·4, (2,5) 16, (4,5) 3·4 = 93; D_e = 186/30.
    assert helpful["alpha"] == pytest.approx(1 - (5 / 3) / (186 / 30))
    assert helpful["alpha_level"] == "ordinal"
    # Nominal: (formal, formal) (casual, formal) (casual, casual); 3 formal, 3 casual.
    # D_o = 2/6, D_e = 2·9/30: alpha = 1 − (1/3)/(3/5) = 4/9.
    assert tone["distribution"]["all"] == {"formal": 3, "casual": 3}
    assert tone["alpha"] == pytest.approx(4 / 9) and tone["alpha_level"] == "nominal"
    # MASI: ({}, {}) 0, ({h}, {h,u}) 2/3, ({h,u}, {u}) 2/3: D_o = (8/3)/6 = 4/9. Over all six
    # sets the unordered distances sum to 35/3 (each empty set 1 from the four non-empty
    # ones: 8; {h}-{h,u} 2/3 twice, {h}-{u} 1, {h,u}-{u} 2/3 twice): D_e = (70/3)/30 = 7/9.
    assert problems["distribution"]["all"] == {H: 3, "ignores the instruction": 0, U: 3, "none": 2}
    assert problems["alpha"] == pytest.approx(3 / 7) and problems["alpha_level"] == "masi"
    assert note["answered"] == {"all": 2, "assisted": 2} and note["distribution"] == {}
    assert note["alpha"] is None
    page, _ = report_page(report, "2026-12-06")
    assert "<h2>Rubric questions</h2>" in page
    assert "Krippendorff's alpha 0.73 (ordinal)" in page
    assert "Krippendorff's alpha 0.43 (MASI distance)" in page
    assert "free text: no agreement figure" in page
