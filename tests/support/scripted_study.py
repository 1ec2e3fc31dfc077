"""A small study scripted through the real review service, whose exports the tests check by
hand: four evaluators, four perturbation pairs and a text item without ground truth."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

from evalstudio.core.model import LineRange, Severity, Truth, Verdict
from evalstudio.core.review import Condition, JudgmentForm, PointMark, ReportedFlaw, Stage
from evalstudio.services.review.session import ReviewSession
from evalstudio.services.studies import studies
from evalstudio.services.studies.setup import create_study
from evalstudio.services.workspace import evaluators
from evalstudio.services.workspace.opening import Workspace
from evalstudio.store import assist_log, content
from support.builders import pair, record, write_jsonl

NAMES = ["Ada", "Bob", "Cy", "Di"]
AT_PLANT = ReportedFlaw(Severity.MAJOR, "minus instead of plus", lines=LineRange(2, 2))
ELSEWHERE = ReportedFlaw(Severity.MINOR, "no docstring", lines=LineRange(1, 1))
CRITIQUE = json.dumps(
    {"points": [{"line_start": 2, "line_end": 2, "severity": "major", "claim": "wrong"}]}
)


@dataclass(frozen=True)
class Scripted:
    study_id: str
    items: list[str]
    undone: tuple[str, str]  # (evaluator id, item) whose only judgment was taken back
    revised: tuple[str, str]  # (evaluator id, item) judged twice
    redone: tuple[str, str]  # (evaluator id, item) undone, then judged again


def log_request(
    workspace: Workspace,
    event_id: str,
    item: str,
    evaluator: str | None,
    *,
    kind: str = "critique",
    response: str = CRITIQUE,
    manipulation: str | None = None,
    pregenerated: bool = False,
    chat: list[dict[str, str]] | None = None,
) -> str:
    """A finished request as the assistance service writes it."""
    db = workspace.db
    with db.atomic():
        assist_log.start_event(
            db,
            {
                "id": event_id,
                "study_item_id": item,
                "evaluator_id": evaluator,
                "kind": kind,
                "chat": chat,
                "messages": [{"role": "user", "content": "Critique the answer."}],
                "params": {"max_tokens": 40, "temperature": 0.7, "json_schema": {"type": "object"}},
                "backend": "local",
                "model_id": "m",
                "seed": 7,
                "requested_at": "2026-11-23T10:00:00.000000+00:00",
                "manipulated": int(manipulation is not None),
                "manipulation": manipulation,
                "pregenerated": int(pregenerated),
            },
        )
        assist_log.update_running(
            db,
            event_id,
            {
                "outcome": "done",
                "response": response,
                "first_token_at": "2026-11-23T10:00:00.250000+00:00",
                "ended_at": "2026-11-23T10:00:02.000000+00:00",
                "prompt_tokens": 300,
                "completion_tokens": 30,
            },
        )
    return event_id


def scripted_study(workspace: Workspace, folder: Path) -> Scripted:
    """Four evaluators, pairs p0-p3 and one text item without truth, commit before reveal.

    Verdicts: right on p0 and p2 (a catch names the planted line; Ada adds a flaw elsewhere),
    "flawed" on both twins of p1, skips on p3, "acceptable" on the text. Assisted items get a
    critique (manipulated under the misleading condition) whose point is marked; Bob is also
    shown a pre-generated response. Ada revises her first judgment that is not a skip (a
    better quality), Bob undoes his last and submits it again, Cy undoes his last for good.
    """
    records = [r for n in range(4) for r in pair(f"p{n}", prompt=f"Write add{n}.")]
    text = "It is ünïcode: ✓."
    records.append(record("essay", prompt="Sum up.", candidate=text, kind="text", language=None))
    write_jsonl(folder / "tasks.jsonl", records)
    (folder / "study.toml").write_text(
        'name = "S"\ntasks = "tasks.jsonl"\nseed = 11\n'
        f"evaluators = {json.dumps(NAMES)}\n"
        'conditions = ["unassisted", "assisted", "misleading"]\n'
        "commit_before_reveal = true\n",
        encoding="utf-8",
    )
    create_study(workspace, folder / "study.toml")
    study = studies.study_named(workspace, "S")
    candidates = {c.id: c for c in content.candidates_of_study(workspace.db, study.id)}
    item_of = content.item_ids_by_candidate(workspace.db, study.id)
    flawed = {
        item_of[c]: (x.truth is Truth.FLAWED if x.truth else None) for c, x in candidates.items()
    }
    pair_of = {
        item_of[c]: (x.external_id.split("-")[0] if x.truth else None)
        for c, x in candidates.items()
    }
    last: dict[str, tuple[ReviewSession, str]] = {}
    for evaluator in evaluators.list_evaluators(workspace):
        session = ReviewSession(workspace, study, evaluator)
        for n, entry in enumerate(session.queue):
            item = entry.item.item_id
            session.opened(item)
            if session.first_verdict_needed(entry):
                session.submit(item, Stage.FIRST, JudgmentForm(Verdict.ACCEPTABLE, None, 2))
            if entry.condition.assisted:
                misleading = entry.condition is Condition.MISLEADING
                event = log_request(
                    workspace,
                    f"c-{evaluator.name}-{n}",
                    item,
                    evaluator.id,
                    manipulation="pass" if misleading else None,
                )
                session.mark_point(item, event, 0, PointMark.INVALID)
                session.mark_point(item, event, 0, PointMark.VALID)  # the newest mark wins
                if evaluator.name == "Bob":
                    shown = log_request(
                        workspace, f"pre-{n}", item, None, pregenerated=True, response="It adds."
                    )
                    session.shown(item, shown)
                    session.shown(item, shown)  # shown twice: listed once
            pair_id = pair_of[item]
            if pair_id == "p3":
                session.skip(item, "not sure", 1500)
                last[evaluator.id] = (session, item)
                continue
            if pair_id is None:
                says = Verdict.ACCEPTABLE
            elif pair_id == "p1":
                says = Verdict.FLAWED
            else:
                says = Verdict.FLAWED if flawed[item] else Verdict.ACCEPTABLE
            reported: tuple[ReportedFlaw, ...] = ()
            if says is Verdict.FLAWED:
                reported = (AT_PLANT, ELSEWHERE) if evaluator.name == "Ada" else (AT_PLANT,)
            form = JudgmentForm(says, 5, 4, reported, rationale=f"item {n}", active_ms=900 + n)
            session.submit(item, Stage.FINAL, form)
            last[evaluator.id] = (session, item)
    everyone = {e.name: e for e in evaluators.list_evaluators(workspace)}
    people = {name: e.id for name, e in everyone.items()}
    ada = ReviewSession(workspace, study, everyone["Ada"])
    revised_item = next(i for i in ada.item_ids() if pair_of[i] != "p3")  # not a skip
    judged = ada.state(revised_item).item.final
    assert judged is not None
    ada.submit(revised_item, Stage.FINAL, replace(judged.form, quality=6))  # same verdict
    bob, bob_item = last[people["Bob"]]
    taken = bob.undo_last()
    assert taken is not None
    if taken.skipped_reason is not None:
        bob.skip(bob_item, taken.skipped_reason, taken.form.active_ms)
    else:
        bob.submit(bob_item, Stage.FINAL, taken.form)
    cy, cy_item = last[people["Cy"]]
    cy.undo_last()
    return Scripted(
        study.id,
        list(item_of.values()),
        undone=(people["Cy"], cy_item),
        revised=(people["Ada"], revised_item),
        redone=(people["Bob"], bob_item),
    )
