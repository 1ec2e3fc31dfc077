"""The model's side of a study with the real bundled model: both twins scored, each flawed
twin critiqued (a stored pre-generated critique reused), the gap summarised and reported."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.study_builders import two_evaluator_study

from evalstudio.core.assistance import AssistKind
from evalstudio.services.assistance.assistant import Assistant
from evalstudio.services.models.model_side import ModelSide, PairSide, measure_model_side
from evalstudio.services.report.study_report import build_report, report_page
from evalstudio.services.workspace.opening import Workspace
from evalstudio.store import assist_log, content

pytestmark = pytest.mark.model  # real inference: the model is the subject


def test_the_model_side_scores_both_twins_and_critiques_each_flawed_one(
    workspace: Workspace, tmp_path: Path, assistant: Assistant
) -> None:
    study, flawed_item = two_evaluator_study(workspace, tmp_path, "MS", pairs=3, seed=4, options="")
    flawed_items = sorted(item for item, flawed in flawed_item.items() if flawed)
    pregenerated = assistant.request(flawed_items[0], AssistKind.CRITIQUE, pregenerated=True).wait()
    steps: list[tuple[int, int]] = []
    measured = measure_model_side(assistant, study.id, on_pair=lambda d, t: steps.append((d, t)))
    assert not measured.failed and len(measured.pairs) == 3
    assert steps[0] == (0, 3) and steps[-1] == (3, 3)
    assert measured.model == assistant.backend.info().model_id
    for side in measured.pairs:
        assert 0 < side.p_flawed_on_flawed < 1 and 0 < side.p_flawed_on_correct < 1
        assert side.discriminated == (
            0.5
            if side.p_flawed_on_flawed == side.p_flawed_on_correct
            else float(side.p_flawed_on_flawed > side.p_flawed_on_correct)
        )
    # The stored pre-generated critique is the one evaluators see: it is reused, not redone;
    # the others are asked for without an evaluator and not as pre-generated responses.
    item_of = content.item_ids_by_candidate(workspace.db, study.id)
    pairs = {
        p.external_id: item_of[p.flawed_id] for p in content.pairs_of_study(workspace.db, study.id)
    }
    for side in measured.pairs:
        event = assist_log.event(workspace.db, side.critique_event_id)
        assert event is not None and event.study_item_id == pairs[side.pair]
        if event.study_item_id == flawed_items[0]:
            assert event.id == pregenerated.id
        else:
            assert event.evaluator_id is None and not event.pregenerated
    summary = measured.summary()
    disc = sum(s.discriminated for s in measured.pairs) / 3
    catch = sum(s.critique_caught for s in measured.pairs) / 3
    assert summary["discrimination"] == pytest.approx(disc)
    assert summary["critique_catch"] == pytest.approx(catch)
    assert summary["gap"] == pytest.approx(disc - catch)
    # In the report: the JSON and the page say the same.
    found = build_report(workspace, "MS").with_model_side(measured)
    data = found.to_json()
    assert data["model_side"]["gap"] == pytest.approx(disc - catch)
    assert len(data["model_side"]["pairs"]) == 3
    page, _ = report_page(found, "now")
    assert "The model's side" in page and f"{disc:.0%}" in page


def test_the_gap_s_interval_is_paired_over_pairs() -> None:
    def side(flawed: float, correct: float, caught: bool) -> PairSide:
        return PairSide("p", flawed, correct, caught, "e")

    sides = [
        side(0.9, 0.1, False),
        side(0.9, 0.1, True),
        side(0.2, 0.8, False),
        side(0.6, 0.6, False),
    ]
    summary = ModelSide("m", sides, []).summary()
    # discriminated: 1, 1, 0, 0.5 → 0.625; caught 0.25; differences 1, 0, 0, 0.5.
    assert summary["discrimination"] == 0.625 and summary["critique_catch"] == 0.25
    assert summary["gap"] == pytest.approx(0.375)
    differences = [1.0, 0.0, 0.0, 0.5]
    mean = sum(differences) / 4
    sd = (sum((d - mean) ** 2 for d in differences) / 3) ** 0.5
    half = 3.182446305284263 * sd / 2  # t(0.975, 3 df) · sd / √4
    assert summary["gap_ci"]["low"] == pytest.approx(mean - half)
    assert summary["gap_ci"]["high"] == pytest.approx(mean + half)
    assert ModelSide("m", [], []).summary()["gap"] is None
