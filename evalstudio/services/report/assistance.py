"""The report's numbers on how assistance was used and relied on: change after reveal, the
misleading condition, appropriate reliance, usage, and the critique points evaluators saw."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from evalstudio.core.assistance import Critique
from evalstudio.core.model import Truth, Verdict
from evalstudio.core.review import Condition, PointMark
from evalstudio.core.scoring import critique_right, point_at_plant
from evalstudio.services.assistance.assistant import critique_of
from evalstudio.services.report.rates import right
from evalstudio.services.studies.scores import ScoredJudgment
from evalstudio.services.workspace.opening import Workspace
from evalstudio.store import assist_log, review_log


@dataclass(frozen=True)
class RevealChange:
    """First verdict (committed before the assistance) against the final one."""

    judged_twice: int
    stayed_right: int
    stayed_wrong: int
    toward_truth: int  # changed, and the final verdict is right
    away_from_truth: int  # changed, and the final verdict is wrong

    @property
    def changed(self) -> int:
        return self.toward_truth + self.away_from_truth


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
    flawed twin, overlapping its lines) or elsewhere, and how they were marked."""

    at_plant: int
    at_plant_valid: int
    at_plant_invalid: int
    elsewhere: int
    elsewhere_valid: int
    elsewhere_invalid: int


# (evaluator, item) → (event id, parsed critique, manipulated) of the critiques seen, in order.
Seen = dict[tuple[str, str], list[tuple[str, Critique, bool]]]


def critiques_seen(workspace: Workspace, study_id: str) -> Seen:
    """Every critique an evaluator asked for or was shown, read and parsed once."""
    return {
        key: [(event_id, critique_of(text), manipulated) for event_id, text, manipulated in rows]
        for key, rows in assist_log.critiques_seen(workspace.db, study_id).items()
    }


def reveal_change(judged: list[ScoredJudgment]) -> RevealChange | None:
    """How often the final verdict differs from the one committed before the assistance."""
    twice = [s for s in judged if s.first is not None and s.truth is not None]
    if not twice:
        return None
    counts = Counter[str]()
    for s in twice:
        assert s.first is not None
        changed = s.first.form.verdict is not s.judgment.form.verdict
        if changed:
            counts["toward" if right(s) else "away"] += 1
        else:
            counts["right" if right(s) else "wrong"] += 1
    return RevealChange(
        len(twice), counts["right"], counts["wrong"], counts["toward"], counts["away"]
    )


def misleading_report(
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
            after[seen].append(right(s))
    marks = review_log.marks_by_manipulation(db, study_id)[True]

    def share(found: list[bool]) -> float | None:
        return sum(found) / len(found) if found else None

    return MisleadingReport(
        judged_after_manipulation=len(after[True]),
        accuracy_after_manipulation=share(after[True]),
        judged_after_honest=len(after[False]),
        accuracy_after_honest=share(after[False]),
        manipulated_points_marked_valid=marks.get(PointMark.VALID, 0),
        manipulated_points_marked_invalid=marks.get(PointMark.INVALID, 0),
    )


def reliance_report(seen: Seen, judged: list[ScoredJudgment]) -> RelianceReport | None:
    """The assistant was right on an item when no critique the evaluator saw was manipulated
    and the last one was right by `critique_right` (verdict, and on a code plant a point at
    the planted lines)."""
    counts = [0, 0, 0, 0]
    for s in judged:
        critiques = seen.get((s.judgment.evaluator_id, s.judgment.study_item_id))
        if s.first is None or s.truth is None or not critiques:
            continue
        truth_verdict = Verdict.FLAWED if s.truth is Truth.FLAWED else Verdict.ACCEPTABLE
        manipulated = any(m for _, _, m in critiques)
        assistant_right = not manipulated and critique_right(critiques[-1][1], s.truth, s.planted)
        first_right = s.first.form.verdict is truth_verdict
        if not first_right and assistant_right:
            counts[0] += 1
            counts[1] += right(s)
        elif first_right and not assistant_right:
            counts[2] += 1
            counts[3] += right(s)
    if not any(counts):
        return None
    return RelianceReport(*counts)


def usage_report(
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


def point_validity(
    seen: Seen, marks: dict[tuple[str, str, int], PointMark], judged: list[ScoredJudgment]
) -> PointValidity | None:
    counts = Counter[str]()
    for s in judged:
        evaluator = s.judgment.evaluator_id
        for event_id, critique, _ in seen.get((evaluator, s.judgment.study_item_id), []):
            for index, point in enumerate(critique.points):
                at_plant = s.planted is not None and point_at_plant(point, s.planted)
                place = "at_plant" if at_plant else "elsewhere"
                counts[place] += 1
                mark = marks.get((evaluator, event_id, index))
                if mark is not None:
                    counts[f"{place}_{mark.value}"] += 1
    if not counts:
        return None
    return PointValidity(**{f: counts[f] for f in PointValidity.__dataclass_fields__})
