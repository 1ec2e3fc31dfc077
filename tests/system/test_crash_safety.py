"""Crash safety: an evaluator's process (tests/support/crash_child.py) is killed with SIGKILL at
random moments, again and again, on one workspace. After each kill the workspace must hold
every judgment the process reported submitted, intact; the draft of the open item within a
second of the typing; every assistance request it started, ended or still marked running
(incomplete) — never missing; and pass SQLite's integrity check. The next process resumes
where the killed one was.

`make test` kills it 30 times; `make crash` (EVALSTUDIO_CRASH=full) 250 times. The figures
of the last full run are in docs/reliability.md."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evalstudio.core.review import JudgmentForm
from evalstudio.services.review.session import ReviewSession
from evalstudio.services.studies import studies
from evalstudio.services.workspace import evaluators
from evalstudio.services.workspace.opening import open_workspace

KILLS = 250 if os.environ.get("EVALSTUDIO_CRASH") == "full" else 30
CHILD = Path(__file__).parents[1] / "support" / "crash_child.py"
SEED = 20261123


@dataclass
class Tally:
    kills: int = 0
    submitted: int = 0
    drafts_checked: int = 0
    requests: int = 0
    left_running: int = 0
    worst_draft_lag_s: float = 0.0
    lost: list[str] = field(default_factory=list)


def _run_until_killed(path: Path, name: str, seed: int, after_s: float) -> list[dict[str, Any]]:
    """Start the evaluator's process, kill it `after_s` after it is ready, return what it said
    (only facts it printed after their commit; the pipe is read to its end after the kill)."""
    process = subprocess.Popen(
        [sys.executable, str(CHILD), str(path), name, str(seed)],
        stdout=subprocess.PIPE,
        text=True,
    )
    facts: list[dict[str, Any]] = []
    ready = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            if line.rstrip().endswith("}"):  # a line cut by the kill is no fact
                facts.append(json.loads(line))
                if "ready" in facts[-1]:
                    ready.set()
        ready.set()

    reader = threading.Thread(target=read)
    reader.start()
    assert ready.wait(60), "the evaluator's process did not start"
    try:
        process.wait(timeout=after_s)  # it may finish the whole queue first
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        process.wait()
    reader.join()
    return facts


def _check(path: Path, name: str, facts: list[dict[str, Any]], tally: Tally) -> None:
    workspace = open_workspace(path)
    try:
        assert workspace.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        study = studies.ensure_demo_study(workspace)
        evaluator = next(e for e in evaluators.list_evaluators(workspace) if e.name == name)
        session = ReviewSession(workspace, study, evaluator)
        for fact in facts:
            if "submitted" in fact:
                final = session.state(fact["submitted"]).item.final
                if final is None or final.id != fact["id"]:
                    tally.lost.append(f"judgment {fact['id']}")
                    continue
                assert final.form == JudgmentForm.from_json(fact["form"])  # intact
                tally.submitted += 1
        started = [f["requested"] for f in facts if "requested" in f]
        answered = {f["answered"] for f in facts if "answered" in f}
        rows = {
            r["id"]: r["outcome"]
            for r in workspace.db.query("SELECT id, outcome FROM assist_events")
        }
        for event_id in started:
            tally.requests += 1
            if event_id not in rows:
                tally.lost.append(f"assistance request {event_id}")
            elif event_id in answered and rows[event_id] != "done":
                tally.lost.append(f"the end of request {event_id}")
            elif rows[event_id] == "running":
                tally.left_running += 1  # killed mid-request: marked incomplete
        _check_draft(session, facts, tally)
        assert session.resume_index() is not None
    finally:
        workspace.close()


def _check_draft(session: ReviewSession, facts: list[dict[str, Any]], tally: Tally) -> None:
    """The open item's stored draft holds the typing up to at most a second before the kill."""
    typed = [f for f in facts if "typed" in f]
    if not typed or any(f.get("submitted") == typed[-1]["typed"] for f in facts):
        return
    item = typed[-1]["typed"]
    state = session.state(item)
    if state.item.final is not None:  # submitted just before the kill: all of it kept
        assert state.item.final.form.rationale == typed[-1]["text"]
        return
    draft = state.item.draft.rationale if state.item.draft else ""
    saved = [f for f in typed if f["typed"] == item and f["text"] == draft]
    if draft and not saved:
        tally.lost.append(f"draft of {item}: {draft!r} was never typed")
        return
    # The typing lost: from the keystroke the stored draft holds to the last keystroke.
    first = next(f for f in typed if f["typed"] == item)
    since = typed[-1]["at"] - (saved[-1]["at"] if saved else first["at"])
    tally.worst_draft_lag_s = max(tally.worst_draft_lag_s, since)
    tally.drafts_checked += 1
    if since > 1.0:
        tally.lost.append(f"draft of {item}: {since:.2f} s of typing lost")


def test_random_kills_lose_no_judgment_no_request_and_at_most_a_second_of_typing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "workspace.sqlite"
    workspace = open_workspace(path)
    studies.ensure_demo_study(workspace)
    evaluators.add_evaluator(workspace, "E0")
    workspace.close()
    rng = random.Random(SEED)
    tally = Tally()
    name, people = "E0", 1
    started = time.monotonic()
    while tally.kills < KILLS:
        facts = _run_until_killed(path, name, rng.randrange(1 << 30), rng.uniform(0.05, 1.5))
        _check(path, name, facts, tally)
        if any("finished" in f for f in facts):  # this evaluator is done: the next one
            name, people = f"E{people}", people + 1
            workspace = open_workspace(path)
            evaluators.add_evaluator(workspace, name)
            workspace.close()
            continue
        tally.kills += 1
    print(
        f"{tally.kills} kills in {time.monotonic() - started:.0f} s: {tally.submitted} "
        f"judgments checked, {tally.requests} assistance requests ({tally.left_running} left "
        f"running by a kill), {tally.drafts_checked} drafts, worst typing lost "
        f"{tally.worst_draft_lag_s:.2f} s, lost {len(tally.lost)}"
    )
    assert not tally.lost, tally.lost[:10]
    assert tally.submitted >= KILLS // 2 and tally.drafts_checked >= KILLS // 2  # it got on
