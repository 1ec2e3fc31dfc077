"""The report's rubric section: the study's questions and the answers given with the judgments
the rest of the report counts (current final judgments on assigned, non-gold items)."""

from __future__ import annotations

from evalstudio.core.analysis.rubric_stats import GivenAnswer, QuestionReport, question_report
from evalstudio.services.studies.scores import ScoredJudgment
from evalstudio.services.workspace.opening import Workspace
from evalstudio.store import designs

NO_CONDITION = "none"  # judgments made before conditions were recorded


def rubric_report(
    workspace: Workspace, study_id: str, judged: list[ScoredJudgment]
) -> list[QuestionReport]:
    design = designs.design_of(workspace.db, study_id)
    if design is None:
        return []
    reports = []
    for question in design.questions:
        given = [
            GivenAnswer(
                s.judgment.evaluator_id,
                s.judgment.study_item_id,
                s.judgment.condition.value if s.judgment.condition else NO_CONDITION,
                answer.value,
            )
            for s in judged
            if (answer := s.judgment.form.answer(question.key)) is not None
        ]
        reports.append(question_report(question, given))
    return reports
