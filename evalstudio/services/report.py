"""The study report's numbers (first part): per-condition rates, the effect of each assisted
condition against unassisted with its intervals, change after reveal, gold items apart.

Rules: docs/scoring.md (what a catch is) and docs/report.md (what each number counts). Only
current final judgments count; skips are left out; gold items are reported apart.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from evalstudio.core.analysis.effect import (
    Effect,
    Outcomes,
    cluster_robust,
    permutation_p,
    pigeonhole_bootstrap,
)
from evalstudio.core.analysis.judgment_stats import brier, median_and_iqr, verdict_alpha
from evalstudio.core.assistance import Critique
from evalstudio.core.model import Truth, Verdict
from evalstudio.core.review import Condition, PointMark, ReportedFlaw
from evalstudio.core.scoring import Score, matches
from evalstudio.render.report_html import report_html
from evalstudio.services.assistance import critique_of
from evalstudio.services.evaluators import list_evaluators
from evalstudio.services.studies import study_named
from evalstudio.services.study_scores import ScoredJudgment, study_scores
from evalstudio.services.workspace import Workspace
from evalstudio.store import assist_log, review_log

FORMAT_VERSION = 1
PERMUTATIONS = 2000
RESAMPLES = 2000


@dataclass(frozen=True)
class ConditionRates:
    judgments: int
    flawed_judged: int
    catches: int
    verdict_only: int
    detection_rate: float | None  # catches / flawed twins judged
    correct_judged: int
    false_alarms: int
    false_alarm_rate: float | None
    accuracy: float | None  # right verdict (flawed on flawed twins, acceptable on correct)
    brier: float | None  # confidence (1-5 as 0.5-1.0) against being right; 0 is perfect
    active_median_s: float | None  # active time on the item (idle minutes not counted)
    active_iqr_s: float | None


@dataclass(frozen=True)
class EffectReport:
    treated: str
    control: str
    effect: Effect  # the default: two-way cluster-robust (CGM-t) intervals
    conservative: Effect  # the same D and R with two-way bootstrap intervals (wider)
    p_value: float


@dataclass(frozen=True)
class RevealChange:
    judged_twice: int
    changed: int
    toward_truth: int
    away_from_truth: int


@dataclass(frozen=True)
class MisleadingReport:
    """The misleading condition: right verdicts after a manipulated response vs after honest
    ones only, and how the evaluators marked manipulated critique points (over-reliance)."""

    judged_after_manipulation: int
    accuracy_after_manipulation: float | None
    judged_after_honest: int
    accuracy_after_honest: float | None
    manipulated_points_marked_valid: int
    manipulated_points_marked_invalid: int

    @property
    def over_reliance(self) -> float | None:
        """Share of marked manipulated points that the evaluators accepted as valid."""
        marked = self.manipulated_points_marked_valid + self.manipulated_points_marked_invalid
        return self.manipulated_points_marked_valid / marked if marked else None


@dataclass(frozen=True)
class RelianceReport:
    """Appropriate reliance (Schemmer et al.), on judgments with a first verdict and a critique
    seen in between. RAIR: of the first verdicts that were wrong where the assistant was right,
    the share that switched to right. RSR: of the first verdicts that were right where the
    assistant was wrong, the share that stayed right."""

    first_wrong_assistant_right: int
    switched_to_right: int
    first_right_assistant_wrong: int
    stayed_right: int

    @property
    def rair(self) -> float | None:
        n = self.first_wrong_assistant_right
        return self.switched_to_right / n if n else None

    @property
    def rsr(self) -> float | None:
        n = self.first_right_assistant_wrong
        return self.stayed_right / n if n else None


@dataclass(frozen=True)
class UsageReport:
    """How the assistance was used in one condition, per judged item."""

    items: int
    items_with_help: int  # at least one request, or a pre-generated response shown
    requests_per_item: dict[str, float]  # by kind
    tokens_per_item: float


@dataclass(frozen=True)
class PointValidity:
    """The critique points evaluators saw, by whether they point at the planted flaw (on a
    flawed twin, overlapping its lines or passage) or elsewhere, and how they were marked."""

    at_plant: int
    at_plant_valid: int
    at_plant_invalid: int
    elsewhere: int
    elsewhere_valid: int
    elsewhere_invalid: int


@dataclass(frozen=True)
class StudyReport:
    study: str
    conditions: dict[str, ConditionRates]
    effects: list[EffectReport]
    reveal: RevealChange | None
    gold: ConditionRates | None
    verdict_alpha: float | None  # Krippendorff's alpha (nominal) on items judged by several
    misleading: MisleadingReport | None
    reliance: RelianceReport | None
    usage: dict[str, UsageReport]  # per assisted condition
    points: PointValidity | None
    # The same rates split further: "<condition> / <evaluator name | code | text | severity>".
    by_evaluator: dict[str, ConditionRates]
    by_kind: dict[str, ConditionRates]
    by_severity: dict[str, ConditionRates]

    def to_json(self) -> dict[str, Any]:
        """Every number, with JSON's null where a rate or a ratio has no finite value."""
        data: dict[str, Any] = {"format_version": FORMAT_VERSION, **asdict(self)}
        if self.misleading is not None:
            data["misleading"]["over_reliance"] = self.misleading.over_reliance
        if self.reliance is not None:
            data["reliance"]["rair"] = self.reliance.rair
            data["reliance"]["rsr"] = self.reliance.rsr
        finite: dict[str, Any] = _finite(data)
        return finite


def build_report(workspace: Workspace, study_name: str, seed: int = 0) -> StudyReport:
    study = study_named(workspace, study_name)
    scored = study_scores(workspace, study.id)
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
            effects.append(
                EffectReport(
                    condition.value,
                    Condition.UNASSISTED.value,
                    cluster_robust(outcomes),
                    pigeonhole_bootstrap(outcomes, RESAMPLES, seed),
                    permutation_p(outcomes, PERMUTATIONS, seed),
                )
            )
    gold = [s for s in scored if s.gold]
    names = {e.id: e.name for e in list_evaluators(workspace)}
    seen = _parsed_critiques(workspace, study.id)  # read and parsed once for two sections
    return StudyReport(
        study=study.name,
        conditions={c.value: rates(items) for c, items in sorted(by_condition.items())},
        effects=effects,
        reveal=_reveal(main),
        gold=rates(gold) if gold else None,
        verdict_alpha=verdict_alpha(
            [(s.judgment.evaluator_id, s.judgment.study_item_id, _said_flawed(s)) for s in main]
        ),
        misleading=_misleading(workspace, study.id, by_condition.get(Condition.MISLEADING, [])),
        reliance=_reliance(seen, main),
        usage=_usage(workspace, study.id, by_condition),
        by_evaluator=_split(main, lambda s: names.get(s.judgment.evaluator_id, "?")),
        by_kind=_split(main, lambda s: s.kind.value),
        by_severity=_split(
            [s for s in main if s.planted is not None],
            lambda s: s.planted.severity.value if s.planted else "",
        ),
        points=_point_validity(seen, review_log.marks_of_study(workspace.db, study.id), main),
    )


def rates(judged: list[ScoredJudgment]) -> ConditionRates:
    counts = Counter(s.scored.score for s in judged)
    flawed = counts[Score.CATCH] + counts[Score.VERDICT_ONLY] + counts[Score.MISS]
    correct = counts[Score.FALSE_ALARM] + counts[Score.CORRECT_PASS]
    right = counts[Score.CATCH] + counts[Score.VERDICT_ONLY] + counts[Score.CORRECT_PASS]
    rated = [s for s in judged if s.truth is not None and s.judgment.form.confidence is not None]
    spread = median_and_iqr([s.judgment.form.active_ms / 1000 for s in judged])
    return ConditionRates(
        judgments=len(judged),
        flawed_judged=flawed,
        catches=counts[Score.CATCH],
        verdict_only=counts[Score.VERDICT_ONLY],
        detection_rate=counts[Score.CATCH] / flawed if flawed else None,
        correct_judged=correct,
        false_alarms=counts[Score.FALSE_ALARM],
        false_alarm_rate=counts[Score.FALSE_ALARM] / correct if correct else None,
        accuracy=right / (flawed + correct) if flawed + correct else None,
        brier=brier(
            [s.judgment.form.confidence for s in rated if s.judgment.form.confidence],
            [_said_flawed(s) is (s.truth is Truth.FLAWED) for s in rated],
        ),
        active_median_s=spread[0] if spread else None,
        active_iqr_s=spread[1] if spread else None,
    )


def _misleading(
    workspace: Workspace, study_id: str, judged: list[ScoredJudgment]
) -> MisleadingReport | None:
    if not judged:
        return None
    db = workspace.db
    exposure = assist_log.manipulation_exposure(db, study_id)
    after: dict[bool, list[bool]] = {True: [], False: []}
    for s in judged:
        seen = exposure.get((s.judgment.evaluator_id, s.judgment.study_item_id))
        if seen is not None and s.truth is not None:
            after[seen].append(_said_flawed(s) is (s.truth is Truth.FLAWED))
    marks = review_log.marks_by_manipulation(db, study_id)[True]

    def share(right: list[bool]) -> float | None:
        return sum(right) / len(right) if right else None

    return MisleadingReport(
        judged_after_manipulation=len(after[True]),
        accuracy_after_manipulation=share(after[True]),
        judged_after_honest=len(after[False]),
        accuracy_after_honest=share(after[False]),
        manipulated_points_marked_valid=marks.get(PointMark.VALID, 0),
        manipulated_points_marked_invalid=marks.get(PointMark.INVALID, 0),
    )


Seen = dict[tuple[str, str], list[tuple[str, Critique, bool]]]


def _parsed_critiques(workspace: Workspace, study_id: str) -> Seen:
    """(evaluator, item) → (event id, parsed critique, manipulated) of the critiques seen."""
    return {
        key: [(event_id, critique_of(text), manipulated) for event_id, text, manipulated in rows]
        for key, rows in assist_log.critiques_seen(workspace.db, study_id).items()
    }


def _reliance(seen: Seen, judged: list[ScoredJudgment]) -> RelianceReport | None:
    """The assistant was right on an item when no critique the evaluator saw was manipulated
    and the critiques' verdicts (the last one's, if several) match the truth."""
    counts = [0, 0, 0, 0]
    for s in judged:
        critiques = seen.get((s.judgment.evaluator_id, s.judgment.study_item_id))
        if s.first is None or s.truth is None or not critiques:
            continue
        truth_verdict = Verdict.FLAWED if s.truth is Truth.FLAWED else Verdict.ACCEPTABLE
        manipulated = any(m for _, _, m in critiques)
        verdict = critiques[-1][1].verdict
        assistant_right = not manipulated and verdict is truth_verdict
        first_right = s.first.form.verdict is truth_verdict
        final_right = s.judgment.form.verdict is truth_verdict
        if not first_right and assistant_right:
            counts[0] += 1
            counts[1] += final_right
        elif first_right and not assistant_right:
            counts[2] += 1
            counts[3] += final_right
    if not any(counts):
        return None
    return RelianceReport(*counts)


def _usage(
    workspace: Workspace, study_id: str, by_condition: dict[Condition, list[ScoredJudgment]]
) -> dict[str, UsageReport]:
    used = assist_log.usage_of_study(workspace.db, study_id)
    found = {}
    for condition, judged in sorted(by_condition.items()):
        if not condition.assisted or not judged:
            continue
        per_item = [
            used.get((s.judgment.evaluator_id, s.judgment.study_item_id), {}) for s in judged
        ]
        kinds = sorted({k for u in per_item for k in u if k not in ("tokens", "shown")})
        found[condition.value] = UsageReport(
            items=len(judged),
            items_with_help=sum(1 for u in per_item if u),
            requests_per_item={k: sum(u.get(k, 0) for u in per_item) / len(judged) for k in kinds},
            tokens_per_item=sum(u.get("tokens", 0) for u in per_item) / len(judged),
        )
    return found


def _point_validity(
    seen: Seen, marks: dict[tuple[str, str, int], PointMark], judged: list[ScoredJudgment]
) -> PointValidity | None:
    counts = Counter[str]()
    for s in judged:
        evaluator = s.judgment.evaluator_id
        for event_id, critique, _ in seen.get((evaluator, s.judgment.study_item_id), []):
            for index, point in enumerate(critique.points):
                claim = ReportedFlaw(point.severity, point.claim, lines=point.lines)
                place = "at_plant" if s.planted and matches(claim, s.planted) else "elsewhere"
                counts[place] += 1
                mark = marks.get((evaluator, event_id, index))
                if mark is not None:
                    counts[f"{place}_{mark.value}"] += 1
    if not counts:
        return None
    return PointValidity(**{f: counts[f] for f in PointValidity.__dataclass_fields__})


def _split(
    judged: list[ScoredJudgment], key: Callable[[ScoredJudgment], str]
) -> dict[str, ConditionRates]:
    """Rates per condition and `key`, as "<condition> / <key>"."""
    groups: dict[str, list[ScoredJudgment]] = {}
    for s in judged:
        if s.judgment.condition is not None:
            groups.setdefault(f"{s.judgment.condition.value} / {key(s)}", []).append(s)
    return {name: rates(group) for name, group in sorted(groups.items())}


def _said_flawed(s: ScoredJudgment) -> bool:
    return s.judgment.form.verdict is Verdict.FLAWED


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


def _reveal(judged: list[ScoredJudgment]) -> RevealChange | None:
    """How often the final verdict differs from the one committed before the assistance."""
    twice = [s for s in judged if s.first is not None and s.truth is not None]
    if not twice:
        return None
    toward = away = 0
    for s in twice:
        assert s.first is not None
        before, after = s.first.form.verdict, s.judgment.form.verdict
        if before is after:
            continue
        right = Verdict.FLAWED if s.truth is Truth.FLAWED else Verdict.ACCEPTABLE
        if after is right:
            toward += 1
        else:
            away += 1
    return RevealChange(len(twice), toward + away, toward, away)


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def report_figure(found: StudyReport) -> bytes | None:
    """The report's figure as PNG, or None for a study with nothing judged yet."""
    from evalstudio.render.report_plots import detection_figure  # matplotlib: only when asked

    data = found.to_json()
    return detection_figure(data) if data["conditions"] else None


def report_page(
    found: StudyReport, generated_at: str, figure_src: str | None = None
) -> tuple[str, bytes | None]:
    """The report as one HTML page and its figure (embedded unless `figure_src` names it)."""
    figure = report_figure(found)
    return report_html(found.to_json(), figure, generated_at, figure_src), figure
