"""`evalstudio --self-test`: an install checked in seconds, through the real code paths — a
workspace opened and closed, the demo study imported, the bundled model asked for a short
critique (prompts, grammar, the assistance log), a judgment submitted and the report drawn
(matplotlib and its fonts), all in a temporary folder that is removed afterwards."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from evalstudio.core.assistance import AssistKind, Outcome
from evalstudio.core.model import Verdict
from evalstudio.core.review import JudgmentForm, Stage
from evalstudio.render.safe_markdown import markdown_to_html
from evalstudio.services.assistance.assistant import Assistant
from evalstudio.services.assistance.backends import ModelSettings
from evalstudio.services.report.study_report import build_report, report_page
from evalstudio.services.review.session import ReviewSession
from evalstudio.services.studies import studies
from evalstudio.services.workspace.evaluators import add_evaluator
from evalstudio.services.workspace.opening import Workspace, open_workspace

SELF_TEST_TOKENS = 8


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str  # what was found, or what went wrong
    seconds: float


def self_test() -> Iterator[Check]:
    """Run the checks in order, yielding each as it ends; after a failed one the checks that
    depend on it are not run."""
    with tempfile.TemporaryDirectory(prefix="evalstudio-self-test-") as folder:
        workspace: list[Workspace] = []

        def open_demo() -> str:
            workspace.append(open_workspace(Path(folder) / "self-test.sqlite"))
            study = studies.ensure_demo_study(workspace[0])
            items = studies.study_items(workspace[0], study.id)
            return f"demo study imported: {len(items)} items"

        first = timed("workspace", open_demo)
        yield first
        if not first.ok:
            return
        try:
            yield timed("model", lambda: _critique(workspace[0]))
            yield timed("review and report", lambda: _judge_and_report(workspace[0]))
        finally:
            workspace[0].close()


def _critique(workspace: Workspace) -> str:
    study = studies.ensure_demo_study(workspace)
    item = studies.study_items(workspace, study.id)[0]
    assistant = Assistant.start(workspace, ModelSettings(max_tokens=SELF_TEST_TOKENS))
    try:
        started = time.perf_counter()
        event = assistant.request(item.item_id, AssistKind.CRITIQUE).wait()
        seconds = time.perf_counter() - started
    finally:
        assistant.close()
    if event.outcome is not Outcome.DONE:
        raise RuntimeError(f"the critique ended {event.outcome.value}: {event.error}")
    return (
        f"{event.model_id}: a critique of {event.completion_tokens} tokens "
        f"in {seconds:.1f} s, logged"
    )


def _judge_and_report(workspace: Workspace) -> str:
    study = studies.ensure_demo_study(workspace)
    session = ReviewSession(workspace, study, add_evaluator(workspace, "Self-test"))
    item = session.queue[0].item.item_id
    session.submit(item, Stage.FINAL, JudgmentForm(Verdict.ACCEPTABLE, 4, 3))
    page, figures = report_page(build_report(workspace, study.name), "self-test")
    rendered = markdown_to_html("# Title\n\n```python\nx = 1\n```")
    if not figures or not all(png.startswith(b"\x89PNG") for png in figures.values()):
        raise RuntimeError("the report's figures were not drawn")
    if "<pre" not in rendered or "<h1" not in page:
        raise RuntimeError("Markdown or the report page did not render")
    return f"a judgment stored; report page with {len(figures)} figures; Markdown rendered"


def timed(name: str, check: Callable[[], str]) -> Check:
    """Run one check: what it found, or (whatever went wrong) a failed check saying what."""
    started = time.perf_counter()
    try:
        detail = check()
    except Exception as e:  # a self-test reports every failure as a failed check
        return Check(name, False, f"{type(e).__name__}: {e}", time.perf_counter() - started)
    return Check(name, True, detail, time.perf_counter() - started)
