"""A conversation pair end to end: study.toml and its task file → the plan's queues → review
through the ReviewSession (the evaluated turn seen, a flaw marked in it) → scores → exports
that carry the conversation; and the assistant is told the earlier turns."""

from __future__ import annotations

import json
from pathlib import Path

from support.builders import MESSAGES, chat, record, write_jsonl

from evalstudio.core.model import Severity, Span, Verdict
from evalstudio.core.review import JudgmentForm, ReportedFlaw, Stage
from evalstudio.core.scoring import Score
from evalstudio.services.assistance.assistant import item_context
from evalstudio.services.report.exports import ExportFormat, export_study
from evalstudio.services.review.session import ReviewSession
from evalstudio.services.studies import studies
from evalstudio.services.studies.scores import study_scores
from evalstudio.services.studies.setup import create_study
from evalstudio.services.workspace.evaluators import list_evaluators
from evalstudio.services.workspace.opening import Workspace

WRONG = "A battery check takes about **3 days**.\nNo booking needed."
CONTEXT = MESSAGES[:-1]


def _study(workspace: Workspace, folder: Path) -> str:
    flawed = [*CONTEXT, {"role": "assistant", "content": WRONG}]
    write_jsonl(
        folder / "tasks.jsonl",
        [
            chat("bat-a", pair_id="bat", truth="correct"),
            chat(
                "bat-b",
                pair_id="bat",
                truth="flawed",
                messages=flawed,
                flaw_description="a battery check takes 30 minutes, not 3 days",
                flaw_span=[28, 38],
            ),
            record("plain", prompt="Write add(a, b)."),
        ],
    )
    (folder / "study.toml").write_text(
        'name = "Chats"\ntasks = "tasks.jsonl"\nseed = 2\nevaluators = ["Ada", "Bob"]\n'
        'conditions = ["assisted"]\n',
        encoding="utf-8",
    )
    create_study(workspace, folder / "study.toml")
    return "Chats"


def test_a_conversation_pair_is_planned_reviewed_scored_and_exported_with_its_turns(
    workspace: Workspace, tmp_path: Path
) -> None:
    study = studies.study_named(workspace, _study(workspace, tmp_path))
    seen = []
    for person in list_evaluators(workspace):
        session = ReviewSession(workspace, study, person)
        # The plan gives each evaluator one twin of the pair, and the plain item.
        (item,) = [e.item for e in session.queue if e.item.conversation is not None]
        assert len(session.queue) == 2
        assert [t.content for t in item.conversation or ()] == [m["content"] for m in CONTEXT]
        answer = item.candidate
        seen.append(answer)
        if answer == WRONG:
            at = answer.index("**3 days**")
            flaw = ReportedFlaw(Severity.MAJOR, "3 days?", span=Span(at, at + 10))
            form = JudgmentForm(Verdict.FLAWED, 2, 4, flaws=(flaw,))
        else:
            form = JudgmentForm(Verdict.ACCEPTABLE, 6, 4)
        session.submit(item.item_id, Stage.FINAL, form)
        _, told = item_context(workspace, item.item_id)
        assert told.conversation == item.conversation and told.candidate == answer
    assert sorted(seen) == sorted([WRONG, MESSAGES[-1]["content"]])

    scores = {s.item_name: s.scored.score for s in study_scores(workspace, study.id)}
    assert scores == {"bat-a": Score.CORRECT_PASS, "bat-b": Score.CATCH}

    out = tmp_path / "judgments.jsonl"
    export_study(workspace, "Chats", ExportFormat.JUDGMENTS_JSONL, out, with_truth=True)
    rows = {r["record_id"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert rows["bat-b"]["conversation"] == CONTEXT
    assert rows["bat-b"]["prompt"] == CONTEXT[-1]["content"] and rows["bat-b"]["candidate"] == WRONG
    (flaw_json,) = rows["bat-b"]["flaws"]
    start, end = flaw_json["span"]
    assert WRONG[start:end] == "**3 days**"

    pairs = tmp_path / "pairs.jsonl"
    export_study(workspace, "Chats", ExportFormat.PAIRS, pairs, with_truth=True)
    (pair,) = map(json.loads, pairs.read_text().splitlines())
    assert pair["conversation"] == CONTEXT
    assert (pair["chosen"], pair["rejected"]) == (MESSAGES[-1]["content"], WRONG)

    csv_out = tmp_path / "judgments.csv"
    export_study(workspace, "Chats", ExportFormat.JUDGMENTS_CSV, csv_out)
    assert json.dumps(CONTEXT[0]["content"])[1:-1] in csv_out.read_text()
