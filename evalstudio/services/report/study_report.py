"""The study report: per-condition rates, the effect of each assisted condition against
unassisted with its intervals, how assistance was used and relied on, agreement, gold items
apart, compare and rank items (services/report/comparisons.py), and (when measured) the
model's own side. Its figures and its one-file HTML page.

Rules: docs/scoring.md (what a catch is) and docs/report.md (what each number counts). Only
current final judgments count; skips are left out; gold items are reported apart.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from evalstudio.core.analysis.comparison_stats import ComparisonFigures, RankingFigures
from evalstudio.core.analysis.effect import Outcomes
from evalstudio.core.analysis.judgment_stats import rating_alpha, verdict_alpha
from evalstudio.core.analysis.rubric_stats import QuestionReport
from evalstudio.core.model import Truth
from evalstudio.core.review import Condition
from evalstudio.core.scoring import Score
from evalstudio.render.report_html import report_html
from evalstudio.services.models.model_side import ModelSide
from evalstudio.services.report.assistance import (
    MisleadingReport,
    PointValidity,
    RelianceReport,
    RevealChange,
    UsageReport,
    critiques_seen,
    misleading_report,
    point_validity,
    reliance_report,
    reveal_change,
    usage_report,
)
from evalstudio.services.report.comparisons import order_sections
from evalstudio.services.report.effects import EffectReport, effect_report
from evalstudio.services.report.rates import (
    ConditionRates,
    UnplantedItem,
    rates,
    said_flawed,
    split,
    unplanted_by_item,
)
from evalstudio.services.report.rubric import rubric_report
from evalstudio.services.report.sandwich import SandwichRun, sandwich_runs
from evalstudio.services.studies.scores import ScoredJudgment, study_scores
from evalstudio.services.studies.studies import study_named
from evalstudio.services.workspace.evaluators import list_evaluators
from evalstudio.services.workspace.opening import Workspace
from evalstudio.store import flaw_reviews, review_log

FORMAT_VERSION = 1


@dataclass(frozen=True)
class StudyReport:
    study: str
    conditions: dict[str, ConditionRates]
    effects: list[EffectReport]
    reveal: dict[str, RevealChange]  # per condition with first verdicts (commit-before-reveal)
    gold: ConditionRates | None
    verdict_alpha: float | None  # Krippendorff's alpha (nominal) on items judged by several
    rating_alpha: float | None  # the same, ordinal, on the quality ratings
    unplanted: list[UnplantedItem]  # items with flaws reported away from any plant
    misleading: MisleadingReport | None
    reliance: RelianceReport | None
    usage: dict[str, UsageReport]  # per assisted condition
    points: PointValidity | None
    # The same rates split further: "<condition> / <evaluator name | code | text | severity>".
    by_evaluator: dict[str, ConditionRates]
    by_kind: dict[str, ConditionRates]
    by_severity: dict[str, ConditionRates]
    model_side: ModelSide | None = None  # measured on request: it needs the model
    # Artificial-sandwiching sweeps run on the study (services/models/sandwich.py), oldest first.
    model_evaluators: list[SandwichRun] = field(default_factory=list)
    with_model_evaluators: bool = False  # model evaluators' judgments counted in the figures
    rubric: list[QuestionReport] = field(default_factory=list)  # per rubric question, in order
    # Compare and rank items (core/comparison.py); None when the study judged none.
    comparisons: ComparisonFigures | None = None
    comparison_effects: list[EffectReport] = field(default_factory=list)
    rankings: RankingFigures | None = None

    def with_model_side(self, measured: ModelSide) -> StudyReport:
        return replace(self, model_side=measured)

    def to_json(self) -> dict[str, Any]:
        """Every number, with JSON's null where a rate or a ratio has no finite value."""
        data: dict[str, Any] = {"format_version": FORMAT_VERSION, **asdict(self)}
        if self.misleading is not None:
            data["misleading"]["over_reliance"] = self.misleading.over_reliance
        if self.reliance is not None:
            data["reliance"]["rair"] = self.reliance.rair
            data["reliance"]["rsr"] = self.reliance.rsr
        for condition, change in self.reveal.items():
            data["reveal"][condition]["changed"] = change.changed
        if self.model_side is not None:
            data["model_side"] |= self.model_side.summary()
        finite: dict[str, Any] = _finite(data)
        return finite


def build_report(
    workspace: Workspace, study_name: str, seed: int = 0, *, with_model_evaluators: bool = False
) -> StudyReport:
    """The report; model evaluators' judgments count in its figures only if asked for (they
    have their own section either way)."""
    study = study_named(workspace, study_name)
    everyone = study_scores(workspace, study.id)
    scored = [s for s in everyone if with_model_evaluators or not s.by_model]
    main = [s for s in scored if not s.gold]
    by_condition: dict[Condition, list[ScoredJudgment]] = {}
    for s in main:
        if s.judgment.condition is not None:
            by_condition.setdefault(s.judgment.condition, []).append(s)
    effects = []
    control = by_condition.get(Condition.UNASSISTED, [])
    for condition in (Condition.ASSISTED, Condition.MISLEADING):
        treated = by_condition.get(condition, [])
        outcomes = _outcomes(treated, control)
        if outcomes is not None:
            effects.append(effect_report(condition, outcomes, seed))
    gold = [s for s in scored if s.gold]
    names = {e.id: e.name for e in list_evaluators(workspace)}
    reviews = flaw_reviews.current_reviews(workspace.db, study.id)
    seen = critiques_seen(workspace, study.id)  # read and parsed once for two sections
    reveal = {c.value: reveal_change(items) for c, items in sorted(by_condition.items())}
    ordered = order_sections(workspace, study.id, seed, with_model_evaluators=with_model_evaluators)
    return StudyReport(
        study=study.name,
        conditions={c.value: rates(items, reviews) for c, items in sorted(by_condition.items())},
        effects=effects,
        reveal={c: change for c, change in reveal.items() if change is not None},
        gold=rates(gold, reviews) if gold else None,
        verdict_alpha=verdict_alpha(
            [(s.judgment.evaluator_id, s.judgment.study_item_id, said_flawed(s)) for s in main]
        ),
        rating_alpha=rating_alpha(
            [
                (s.judgment.evaluator_id, s.judgment.study_item_id, s.judgment.form.quality)
                for s in main
                if s.judgment.form.quality is not None
            ]
        ),
        unplanted=unplanted_by_item(main, reviews),
        misleading=misleading_report(
            workspace, study.id, by_condition.get(Condition.MISLEADING, [])
        ),
        reliance=reliance_report(seen, main),
        usage=usage_report(workspace, study.id, by_condition),
        by_evaluator=split(main, lambda s: names.get(s.judgment.evaluator_id, "?"), reviews),
        by_kind=split(main, lambda s: s.kind.value, reviews),
        by_severity=split(
            [s for s in main if s.planted is not None],
            lambda s: s.planted.severity.value if s.planted else "",
            reviews,
        ),
        points=point_validity(seen, review_log.marks_of_study(workspace.db, study.id), main),
        model_evaluators=sandwich_runs(
            workspace, study.id, [s for s in everyone if s.by_model], seen
        ),
        with_model_evaluators=with_model_evaluators,
        rubric=rubric_report(workspace, study.id, main, ordered.judged),
        comparisons=ordered.comparisons,
        comparison_effects=ordered.comparison_effects,
        rankings=ordered.rankings,
    )


def _outcomes(treated: list[ScoredJudgment], control: list[ScoredJudgment]) -> Outcomes | None:
    """Flawed-twin judgments of the two conditions, or None if either has none."""
    rows = [
        (s.judgment.evaluator_id, s.judgment.study_item_id, is_treated, s.scored.score)
        for group, is_treated in ((treated, True), (control, False))
        for s in group
        if s.truth is Truth.FLAWED
    ]
    if not any(r[2] for r in rows) or all(r[2] for r in rows):
        return None
    return Outcomes.of(
        [r[0] for r in rows],
        [r[1] for r in rows],
        [r[2] for r in rows],
        [r[3] is Score.CATCH for r in rows],
    )


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def report_figures(found: StudyReport) -> dict[str, bytes]:
    """The report's figures as PNG by name: the human ones once something is judged, one per
    sweep of model evaluators once it has points."""
    from evalstudio.render.report_plots import figures  # matplotlib: only when asked

    return figures(found.to_json())


def report_page(
    found: StudyReport, generated_at: str, figure_src: Callable[[str], str] | None = None
) -> tuple[str, dict[str, bytes]]:
    """The report as one HTML page and its figures, embedded unless `figure_src` names the
    resource that holds each figure."""
    drawn = report_figures(found)
    return report_html(found.to_json(), drawn, generated_at, figure_src), drawn
