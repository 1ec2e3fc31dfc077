"""The evaluator's side of the crash test, run as its own process until it is killed: works
through the queue as the review window does — opens an item, types its rationale a key every
20 ms with a draft saved at most every 0.5 s (the window's throttle), asks for a critique
(written to the assistance log as the assistance service writes it: a row before, the end
after) and submits. Prints each fact only after its commit, so what it printed must be there.

Usage: python tests/support/crash_child.py WORKSPACE EVALUATOR SEED
"""

from __future__ import annotations

import json
import random
import sys
import time
from pathlib import Path

from evalstudio.core.ids import new_id
from evalstudio.core.model import Verdict
from evalstudio.core.review import JudgmentForm, Stage
from evalstudio.services.review.session import ReviewSession
from evalstudio.services.studies import studies
from evalstudio.services.workspace import evaluators
from evalstudio.services.workspace.opening import now, open_workspace
from evalstudio.store import assist_log

TYPING_S = 0.02
DRAFT_EVERY_S = 0.5


def say(**fact: object) -> None:
    print(json.dumps(fact), flush=True)


def main(path: Path, name: str, seed: int) -> None:
    rng = random.Random(seed)
    workspace = open_workspace(path)
    study = studies.ensure_demo_study(workspace)
    evaluator = next(e for e in evaluators.list_evaluators(workspace) if e.name == name)
    session = ReviewSession(workspace, study, evaluator)
    index: int | None = session.resume_index()
    if index is not None and session.state(session.queue[index].item.item_id).item.done:
        index = session.next_undone(index)  # killed after a submit, before the next opened
    say(ready=True)
    while index is not None:
        item = session.queue[index].item.item_id
        session.opened(item)
        say(opened=item)
        _critique(workspace, item, evaluator.id)
        draft = session.state(item).item.draft  # the window restores it and typing goes on
        text, saved_at = (draft.rationale if draft else ""), time.monotonic()
        say(typed=item, text=text, at=time.time())
        for _ in range(rng.randint(5, 40)):
            text += rng.choice("abcdefghij ")
            say(typed=item, text=text, at=time.time())
            if time.monotonic() - saved_at >= DRAFT_EVERY_S:
                session.save_draft(item, Stage.FINAL, JudgmentForm(rationale=text))
                saved_at = time.monotonic()
                say(draft=item, text=text)
            time.sleep(TYPING_S)
        verdict = rng.choice([Verdict.FLAWED, Verdict.ACCEPTABLE])
        form = JudgmentForm(verdict, rng.randint(1, 7), rng.randint(1, 5), rationale=text)
        judgment = session.submit(item, Stage.FINAL, form)
        say(submitted=item, id=judgment.id, form=form.to_json())
        index = session.next_undone(index)
    say(finished=True)


def _critique(workspace: object, item: str, evaluator_id: str) -> None:
    """A request logged before it starts and completed when it ends (assistance/assistant.py)."""
    db = workspace.db  # type: ignore[attr-defined]
    event_id = new_id()
    with db.atomic():
        assist_log.start_event(
            db,
            {
                "id": event_id,
                "study_item_id": item,
                "evaluator_id": evaluator_id,
                "kind": "critique",
                "messages": [],
                "params": {},
                "backend": "local",
                "model_id": "crash-test",
                "requested_at": now(),
            },
        )
    say(requested=event_id)
    time.sleep(0.15)  # the model at work (real ones take seconds)
    with db.atomic():
        assist_log.update_running(
            db, event_id, {"outcome": "done", "response": "{}", "ended_at": now()}
        )
    say(answered=event_id)


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]))
