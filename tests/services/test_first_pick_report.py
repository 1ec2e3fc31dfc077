"""The report's first-pick figures through the real store, counted by hand: of the
comparisons with a first pick (committed before the assistance), how many the assistance
changed and to which twin; of the rankings with a first order, how many changed.

Three perturbation pairs shown as compare items and one rank item, commit_before_reveal, three
conditions. The plan (seed 11), checked before judging: [shown A / B], condition
  Ada: p2 [bug / ok] assisted,  p0 [ok / bug] misleading, p1 unassisted, rank assisted
  Bob: p2 [ok / bug] misleading, p0 unassisted, rank misleading, p1 [bug / ok] assisted
  Cy:  rank unassisted, p1 [ok / bug] assisted, p2 [bug / ok] misleading, p0 unassisted
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from support.builders import pair, write_jsonl
from support.comparison_study import comparison_study, order_form, ranked, session_of

from evalstudio.core.comparison import BETTER, MUCH_BETTER, Layout
from evalstudio.core.review import Condition, JudgmentForm, Stage
from evalstudio.services.report.study_report import build_report, report_page
from evalstudio.services.studies import studies
from evalstudio.services.studies.setup import create_study
from evalstudio.services.workspace.opening import Workspace
from evalstudio.store import content

A, M, U = Condition.ASSISTED, Condition.MISLEADING, Condition.UNASSISTED
# (evaluator, pair) → condition, first pick, final pick ("ok", "bug", or None: a tie);
# a pick is BETTER, Ada's final p2 MUCH_BETTER (a change of strength alone is no change).
COMPARISONS: dict[tuple[str, str], tuple[Condition, str | None, str | None]] = {
    ("Ada", "p2"): (A, "ok", "ok"),  # unchanged
    ("Bob", "p1"): (A, "bug", "ok"),  # changed, to the correct twin
    ("Cy", "p1"): (A, None, "ok"),  # from a tie: changed, to the correct twin
    ("Ada", "p0"): (M, "ok", "bug"),  # changed, to the flawed twin
    ("Bob", "p2"): (M, "ok", None),  # changed, to a tie: neither twin
    ("Cy", "p2"): (M, "bug", "bug"),  # unchanged
    ("Ada", "p1"): (U, None, "ok"),  # no first pick without the assistance
    ("Bob", "p0"): (U, None, "ok"),
    ("Cy", "p0"): (U, None, "bug"),
}
# evaluator → condition, first order, final order (of cap-0…cap-3, best first)
FIRST = ("cap-0", "cap-1", "cap-2", "cap-3")
RANKINGS = {
    "Ada": (A, FIRST, ("cap-1", "cap-0", "cap-2", "cap-3")),  # changed
    "Bob": (M, FIRST, FIRST),  # unchanged
    "Cy": (U, None, FIRST),
}


def _judge(workspace: Workspace, folder: Path) -> None:
    pairs = [*pair("p0", "Write add0."), *pair("p1", "Write add1."), *pair("p2", "Write add2.")]
    write_jsonl(folder / "tasks.jsonl", [*pairs, ranked()])
    (folder / "study.toml").write_text(
        'name = "Pick"\ntasks = "tasks.jsonl"\nseed = 11\nevaluators = ["Ada", "Bob", "Cy"]\n'
        'pairs_as = "compare"\ncommit_before_reveal = true\n'
        'conditions = ["unassisted", "assisted", "misleading"]\n',
        encoding="utf-8",
    )
    create_study(workspace, folder / "study.toml")
    study = studies.study_named(workspace, "Pick")
    names = {c.id: c.external_id for c in content.candidates_of_study(workspace.db, study.id)}
    for evaluator in ("Ada", "Bob", "Cy"):
        session = session_of(workspace, study, evaluator)
        for entry in session.queue:
            item = entry.item
            ids = {names[s.candidate_id]: s.candidate_id for s in item.sides}
            if item.layout is Layout.RANK:
                condition, first, final = RANKINGS[evaluator]
                forms = [order_form(*((ids[n],) for n in o)) if o else None for o in (first, final)]
            else:
                pair_id = names[item.sides[0].candidate_id].split("-")[0]
                condition, first_pick, final_pick = COMPARISONS[(evaluator, pair_id)]
                strength = MUCH_BETTER if (evaluator, pair_id) == ("Ada", "p2") else BETTER
                ok, bug = ids[f"{pair_id}-ok"], ids[f"{pair_id}-bug"]
                forms = [
                    _pick(ok, bug, first_pick, BETTER) if condition is not U else None,
                    _pick(ok, bug, final_pick, strength),
                ]
            assert entry.condition is condition
            first_form, final_form = forms
            assert (first_form is not None) is session.first_verdict_needed(entry)
            if first_form is not None:
                session.submit(item.item_id, Stage.FIRST, first_form)
            assert final_form is not None
            session.submit(item.item_id, Stage.FINAL, final_form)


def _pick(ok: str, bug: str, pick: str | None, strength: int) -> JudgmentForm:
    if pick is None:
        return order_form((ok, bug))
    won, lost = (ok, bug) if pick == "ok" else (bug, ok)
    return order_form((won,), (lost,), strength=strength)


def _share(found: dict[str, Any]) -> tuple[int, int]:
    return found["count"], found["of"]


def test_first_picks_changed_by_the_assistance_counted_by_hand(
    workspace: Workspace, tmp_path: Path
) -> None:
    _judge(workspace, tmp_path)
    report = build_report(workspace, "Pick")
    data = report.to_json()
    changes = data["comparisons"]["changes"]
    # Unassisted comparisons have no first pick: no row of their own.
    assert list(changes) == ["assisted", "misleading", "all"]
    # Assisted: Bob p1 and Cy p1 (from a tie) changed, both to the correct twin; Ada p2 only
    # grew stronger. Misleading: Ada p0 to the flawed twin, Bob p2 to a tie; Cy p2 kept.
    assisted, misleading, together = (changes[c] for c in ("assisted", "misleading", "all"))
    assert (assisted["judged"], _share(assisted["changed"])) == (3, (2, 3))
    assert (assisted["to_correct"], assisted["to_flawed"]) == (2, 0)
    assert (misleading["judged"], _share(misleading["changed"])) == (3, (2, 3))
    assert (misleading["to_correct"], misleading["to_flawed"]) == (0, 1)
    assert (together["judged"], _share(together["changed"])) == (6, (4, 6))
    assert (together["to_correct"], together["to_flawed"]) == (2, 1)
    # The other figures read the final picks: under misleading Ada p0 the flawed twin, Bob
    # p2 a tie, Cy p2 the flawed twin — none correct.
    assert _share(data["comparisons"]["picks"]["misleading"]["correct"]) == (0, 3)

    # Rankings: Ada's (assisted) changed, Bob's (misleading) kept; Cy's had no first order.
    ranked_changes = data["rankings"]["changes"]
    assert {c: _share(s) for c, s in ranked_changes.items()} == {
        "assisted": (1, 1),
        "misleading": (0, 1),
        "all": (1, 2),
    }

    page, _ = report_page(report, "2026-12-07")
    assert "<th>with a first pick</th>" in page and "<th>to the flawed twin</th>" in page
    assert "<th>with a first order</th>" in page


def test_without_a_first_pick_there_is_no_change_to_count(
    workspace: Workspace, tmp_path: Path
) -> None:
    study = comparison_study(workspace, tmp_path)  # no commit_before_reveal
    session = session_of(workspace, study, "Ada")
    for entry in session.queue:
        ids = [(s.candidate_id,) for s in entry.item.sides]
        strength = BETTER if entry.item.layout is Layout.COMPARE else None
        session.submit(entry.item.item_id, Stage.FINAL, order_form(*ids, strength=strength))
    report = build_report(workspace, study.name)
    data = report.to_json()
    assert data["comparisons"]["changes"] == {} and data["rankings"]["changes"] == {}
    page, _ = report_page(report, "2026-12-07")
    assert "with a first pick" not in page and "with a first order" not in page
