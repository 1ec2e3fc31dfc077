"""The report's sections for compare and rank items: the current final orderings of the study
(store/orders.py), their figures (core/analysis/comparison_stats.py) and, for comparisons of
perturbation pairs, the effect of assistance on picking the correct twin."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from evalstudio.core.analysis.comparison_stats import (
    ComparisonFigures,
    RankingFigures,
    comparison_figures,
    pick_outcomes,
    ranking_figures,
)
from evalstudio.core.review import Condition, OrderJudgment
from evalstudio.services.report.effects import EffectReport, effect_report
from evalstudio.services.workspace.opening import Workspace
from evalstudio.store import orders


@dataclass(frozen=True)
class OrderSections:
    judged: list[OrderJudgment]  # what these sections count (their rubric answers count too)
    comparisons: ComparisonFigures | None  # None: no compare item judged
    comparison_effects: list[EffectReport]  # per assisted condition against unassisted
    rankings: RankingFigures | None  # None: no rank item judged


def order_sections(
    workspace: Workspace, study_id: str, seed: int, *, with_model_evaluators: bool
) -> OrderSections:
    """Model evaluators' orderings count only when asked for, as in the rest of the report."""
    found = [
        j
        for j in orders.order_judgments(workspace.db, study_id)
        if with_model_evaluators or not j.by_model
    ]
    return OrderSections(
        found, comparison_figures(found), comparison_effects(found, seed), ranking_figures(found)
    )


def comparison_effects(records: Sequence[OrderJudgment], seed: int) -> list[EffectReport]:
    """Each assisted condition against unassisted, as detection's effects: caught = the
    comparison picked the correct twin."""
    effects = []
    for condition in (Condition.ASSISTED, Condition.MISLEADING):
        outcomes = pick_outcomes(records, condition)
        if outcomes is not None:
            effects.append(effect_report(condition, outcomes, seed))
    return effects
