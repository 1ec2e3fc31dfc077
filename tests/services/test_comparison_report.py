"""The report's Comparisons and Rankings through the real store: two perturbation pairs shown
as compare items and one rank item of four answers, judged by Ada, Bob and Cy, every figure
counted by hand.

The plan (seed 11) puts, per evaluator, [A / B as shown], condition:
  Ada: p0 [ok / bug] assisted,   p1 [bug / ok] unassisted, rank unassisted
  Bob: p0 [bug / ok] unassisted, p1 [ok / bug] assisted,   rank assisted
  Cy:  p0 [ok / bug] unassisted, p1 [bug / ok] assisted,   rank unassisted
(the test checks it before judging). Slot 0 of a pair's item is its correct twin (ok).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support.builders import pair, write_jsonl
from support.comparison_study import order_form, ranked, session_of

from evalstudio.core.comparison import BETTER, MUCH_BETTER, Layout
from evalstudio.core.model import Study
from evalstudio.core.review import Condition, Stage
from evalstudio.services.report.study_report import build_report, report_page
from evalstudio.services.studies import studies
from evalstudio.services.studies.setup import create_study
from evalstudio.services.workspace.opening import Workspace
from evalstudio.store import content

A, U = Condition.ASSISTED, Condition.UNASSISTED
# (evaluator, pair) → condition, which twin is shown first, the pick (None: a tie), strength
COMPARISONS = {
    ("Ada", "p0"): (A, "ok", "ok", MUCH_BETTER),  # +2, side A
    ("Ada", "p1"): (U, "bug", "ok", BETTER),  # +1, side B
    ("Bob", "p0"): (U, "bug", "bug", BETTER),  # −1 (the flawed twin), side A
    ("Bob", "p1"): (A, "ok", "ok", BETTER),  # +1, side A
    ("Cy", "p0"): (U, "ok", None, None),  # 0, a tie
    ("Cy", "p1"): (A, "bug", "ok", MUCH_BETTER),  # +2, side B
}
# evaluator → condition, the ranking of the answers cap-0…cap-3, best first
RANKINGS = {
    "Ada": (U, ("cap-0", "cap-2", "cap-1", "cap-3")),
    "Bob": (A, ("cap-2", "cap-0", "cap-1", "cap-3")),
    "Cy": (U, ("cap-0", "cap-1", "cap-2", "cap-3")),
}


def _study(workspace: Workspace, folder: Path) -> Study:
    write_jsonl(
        folder / "tasks.jsonl", [*pair("p0", "Write add0."), *pair("p1", "Write add1."), ranked()]
    )
    (folder / "study.toml").write_text(
        'name = "Cmp"\ntasks = "tasks.jsonl"\nseed = 11\nevaluators = ["Ada", "Bob", "Cy"]\n'
        'pairs_as = "compare"\n',
        encoding="utf-8",
    )
    create_study(workspace, folder / "study.toml")
    return studies.study_named(workspace, "Cmp")


def _judge(workspace: Workspace, study: Study) -> None:
    """Each evaluator judges their queue as the tables above say, checking the plan first."""
    names = {c.id: c.external_id for c in content.candidates_of_study(workspace.db, study.id)}
    for evaluator in ("Ada", "Bob", "Cy"):
        session = session_of(workspace, study, evaluator)
        for entry in session.queue:
            item = entry.item
            ids = {names[s.candidate_id]: s.candidate_id for s in item.sides}
            if item.layout is Layout.RANK:
                condition, order = RANKINGS[evaluator]
                form = order_form(*((ids[name],) for name in order))
            else:
                pair_id = names[item.sides[0].candidate_id].split("-")[0]
                condition, first, pick, strength = COMPARISONS[(evaluator, pair_id)]
                assert names[item.sides[0].candidate_id] == f"{pair_id}-{first}"
                ok, bug = ids[f"{pair_id}-ok"], ids[f"{pair_id}-bug"]
                if pick is None:
                    form = order_form((ok, bug))
                else:
                    won, lost = (ok, bug) if pick == "ok" else (bug, ok)
                    form = order_form((won,), (lost,), strength=strength)
            assert entry.condition is condition
            session.submit(item.item_id, Stage.FINAL, form)


def _share(found: dict[str, Any]) -> tuple[int, int]:
    return found["count"], found["of"]


def test_comparisons_and_rankings_by_hand(workspace: Workspace, tmp_path: Path) -> None:
    study = _study(workspace, tmp_path)
    _judge(workspace, study)
    report = build_report(workspace, study.name)
    data = report.to_json()
    cmp = data["comparisons"]
    assert cmp["judgments"] == 6
    # Correct twin picked: assisted Ada p0, Bob p1, Cy p1 (3 of 3); unassisted Ada p1 (1 of
    # 3: Bob picked the flawed twin, Cy tied); all 4 of 6.
    picks = cmp["picks"]
    assert list(picks) == ["assisted", "unassisted", "all"]
    assert _share(picks["assisted"]["correct"]) == (3, 3)
    assert (picks["assisted"]["flawed"], _share(picks["assisted"]["ties"])) == (0, (0, 3))
    assert _share(picks["unassisted"]["correct"]) == (1, 3)
    assert (picks["unassisted"]["flawed"], _share(picks["unassisted"]["ties"])) == (1, (1, 3))
    assert _share(picks["all"]["correct"]) == (4, 6)
    # Side A of the picks: assisted Ada, Bob yes, Cy no (2 of 3); unassisted Bob yes, Ada no,
    # Cy's tie no pick (1 of 2); all 3 of 5.
    left = cmp["left"]
    assert [_share(left[c]) for c in ("assisted", "unassisted", "all")] == [(2, 3), (1, 2), (3, 5)]
    # Effect: 3/3 against 1/3, D = 2/3, R = 3. Influence of each unassisted row
    # −(caught − 1/3)/3: Ada p1 −2/9, Bob p0 +1/9, Cy p0 +1/9 (assisted rows 0). By evaluator
    # V = 3/2·(4 + 1 + 1)/81 = 1/9; by item (p0 2/9, p1 −2/9) 2·8/81 = 16/81; by judgment
    # 6/5·6/81 = 4/45: V = 89/405, se = 0.4688; min(3 evaluators, 2 items) − 1 = 1 df, t =
    # 12.71: ±5.96, cut to [−1, 1].
    (effect,) = data["comparison_effects"]
    e = effect["effect"]
    assert (effect["treated"], effect["control"]) == ("assisted", "unassisted")
    assert (e["rate_treated"], e["n_treated"], e["n_control"]) == (1.0, 3, 3)
    assert e["difference"] == pytest.approx(2 / 3) and e["ratio"] == pytest.approx(3.0)
    assert e["difference_ci"] == {"low": -1.0, "high": 1.0}
    assert 0 < effect["p_value"] <= 1
    # Agreement, all conditions: preferences p0 (+2, −1, 0), p1 (+1, +1, +2). Ordinal
    # metric from the pooled counts (−1: 1, 0: 1, 1: 2, 2: 2): δ(−1,0) = 1, δ(−1,1) = 6.25,
    # δ(−1,2) = 20.25, δ(0,1) = 2.25, δ(0,2) = 12.25, δ(1,2) = 4. D_o = (2·33.5/2 + 2·8/2)/6
    # = 41.5/6; D_e = 2·99/30 = 6.6; alpha = 1 − 1245/1188 = −57/1188.
    # Winners p0 (0, 1, tie), p1 (0, 0, 0): D_o = (6/2)/6 = 1/2, D_e = 2·9/30 = 0.6: 1/6.
    agreement = cmp["agreement"]
    assert agreement["all"]["shared_items"] == 2
    assert agreement["all"]["preference_alpha"] == pytest.approx(-57 / 1188)
    assert agreement["all"]["winner_alpha"] == pytest.approx(1 / 6)
    # Within assisted only p1 is shared (+1, +2: one unit, alpha 0); both chose slot 0.
    assert agreement["assisted"]["preference_alpha"] == pytest.approx(0.0)
    assert agreement["assisted"]["winner_alpha"] is None

    # Rankings. Unassisted: Ada and Cy, rank sums 2, 5, 5, 8 around 5: S = 18, W = 12·18 /
    # (4·60) = 0.9; they differ on cap-1/cap-2 only: 5 of 6 pairs alike. Ranks (1,1), (3,2),
    # (2,3), (4,4): δ = 4(k − c)², D_o = 16/8, D_e = 640/56, alpha = 1 − 112/640 = 0.825.
    # All: sums 4, 8, 6, 12 around 7.5: S = 35, W = 7/9; pairs alike 5 + 5 + 4 of 18; alpha
    # 25/36 (each rank 1-4 three times; tests/core/test_comparison_stats.py works it out).
    ranks = data["rankings"]
    assert ranks["judgments"] == 3
    unassisted, assisted, together = (
        ranks["agreement"][c] for c in ("unassisted", "assisted", "all")
    )
    assert unassisted["mean_w"] == pytest.approx(0.9)
    assert _share(unassisted["pairwise"]) == (5, 6)
    assert unassisted["rank_alpha"] == pytest.approx(0.825)
    assert (assisted["kendall_w"], assisted["mean_w"], assisted["rank_alpha"]) == ({}, None, None)
    assert together["mean_w"] == pytest.approx(7 / 9)
    assert _share(together["pairwise"]) == (14, 18)
    assert together["rank_alpha"] == pytest.approx(25 / 36)

    page, _ = report_page(report, "2026-12-06")
    assert "<h2>Comparisons</h2>" in page and "<h2>Rankings</h2>" in page
    assert "comparisons of a pair picked the correct twin 100% of the time against 33%" in page
    # Only compare and rank items were judged: no "nobody judged", no missing detection effect.
    assert "No person has judged" not in page and "No effect to estimate" not in page


def test_a_study_without_compare_or_rank_items_has_neither_section(
    workspace: Workspace, tmp_path: Path
) -> None:
    study = _study(workspace, tmp_path)  # nothing judged yet
    report = build_report(workspace, study.name)
    data = report.to_json()
    assert (data["comparisons"], data["comparison_effects"], data["rankings"]) == (None, [], None)
    page, _ = report_page(report, "2026-12-06")
    assert "<h2>Comparisons</h2>" not in page and "<h2>Rankings</h2>" not in page
    assert "No person has judged an item yet" in page
