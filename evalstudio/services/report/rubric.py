"""The report's rubric section: the study's questions and the answers given with the judgments
the rest of the report counts (current final judgments on assigned, non-gold items)."""

from __future__ import annotations

from collections.abc import Sequence

from evalstudio.core.analysis.rubric_stats import GivenAnswer, QuestionReport, question_report
from evalstudio.core.review import OrderJudgment
from evalstudio.services.studies.scores import ScoredJudgment
from evalstudio.services.workspace.opening import Workspace
from evalstudio.store import designs

NO_CONDITION = "none"  # judgments made before conditions were recorded


def rubric_report(
    workspace: Workspace,
    study_id: str,
    judged: Sequence[ScoredJudgment],
    ordered: Sequence[OrderJudgment],
) -> list[QuestionReport]:
    """Each question's answers, on single items (`judged`) and on compare and rank items
    (`ordered`) alike: a question asked of several layouts is one question."""
    design = designs.design_of(workspace.db, study_id)
    if design is None:
        return []
    answered = [
        (
            s.judgment.evaluator_id,
            s.judgment.study_item_id,
            s.judgment.condition,
            s.judgment.form.answers,
        )
        for s in judged
    ] + [(o.evaluator_id, o.item_id, o.condition, o.answers) for o in ordered]
    reports = []
    for question in design.questions:
        given = [
            GivenAnswer(evaluator, item, condition.value if condition else NO_CONDITION, a.value)
            for evaluator, item, condition, answers in answered
            for a in answers
            if a.key == question.key
        ]
        reports.append(question_report(question, given))
    return reports
