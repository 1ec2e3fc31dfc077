"""Suspicion with the real bundled model: a score per line, the prefix cache, the misleading
condition, the log row; the pure parts (units, manipulation, AUC)."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler

import pytest
from support.http_servers import serving

from evalstudio.assist.openai_http import OpenAICompatible, ServerSettings
from evalstudio.core.assistance import AssistKind, Manipulation, Outcome
from evalstudio.core.misleading import Misleading, MisleadingPlan, plan_manipulation
from evalstudio.core.model import Study, Truth
from evalstudio.core.suspicion import code_units, line_auc, manipulate, text_units, top_units
from evalstudio.services.assistance.assistant import Assistant
from evalstudio.services.assistance.backends import ModelSettings
from evalstudio.services.assistance.suspicion import SuspicionRun
from evalstudio.services.workspace.opening import Workspace
from evalstudio.services.workspace.resources import resources_dir
from evalstudio.store import content

pytestmark = pytest.mark.model  # real inference: the model is the subject

DEMO = resources_dir() / "demo" / "tasks.jsonl"


def _item(assistant: Assistant, study: Study, external_id: str) -> str:
    """The item of the demo task row `external_id` (found by its candidate's text)."""
    rows = (json.loads(line) for line in DEMO.read_text().splitlines() if line.strip())
    text = next(r["candidate"] for r in rows if r["id"] == external_id)
    for view in content.item_views(assistant.workspace.db, study.id):
        if view.candidate == text:
            return view.item_id
    raise AssertionError(external_id)


def test_every_line_gets_a_finite_score_and_a_second_scoring_is_faster(
    assistant: Assistant, demo_study: Study
) -> None:
    item_id = _item(assistant, demo_study, "binsearch-a")
    assistant.backend.score([{"role": "user", "content": "cold"}], ["Yes", "No"])  # empty cache
    first = time.monotonic()
    run = SuspicionRun(assistant, item_id, evaluator_id=None)
    event = run.run()
    cold = time.monotonic() - first
    second = time.monotonic()
    again = SuspicionRun(assistant, item_id).run()
    warm = time.monotonic() - second
    assert event.kind is AssistKind.SUSPICION and event.outcome is Outcome.DONE
    scores = json.loads(event.response)
    assert [s["line"] for s in scores] == [u.line for u in run.units]
    assert len(scores) == 12 and all(math.isfinite(s["p_yes"]) for s in scores)
    assert again.outcome is Outcome.DONE
    assert warm < cold * 0.6, (cold, warm)


def test_units_manipulation_and_auc() -> None:
    units = code_units("a = 1\n\nb = 2\nc = 3\n")
    assert [u.line for u in units] == [1, 3, 4]
    assert [u.text for u in text_units("One. Two!  Three?")] == ["One.", "Two!", "Three?"]
    scores = [0.2, 0.9, 0.5]
    flag = manipulate(scores, units, MisleadingPlan(Manipulation.FLAG, 1), {3})
    assert top_units(flag)[0] == 0
    passed = manipulate(scores, units, MisleadingPlan(Manipulation.PASS, None), {3})
    assert 1 not in top_units(passed, 2)
    assert line_auc([0.9, 0.1, 0.2], [True, False, False]) == 1.0
    assert line_auc([0.1, 0.1], [True, False]) == 0.5
    assert line_auc([0.1], [True]) is None


def test_the_misleading_condition_moves_the_top_line(
    assistant: Assistant, demo_study: Study
) -> None:
    misleading = Misleading(1.0, seed="s")
    flawed = SuspicionRun(
        assistant, _item(assistant, demo_study, "binsearch-a"), misleading=misleading
    )
    event = flawed.run()
    assert event.manipulated and flawed.units
    shown = [s["p_yes"] for s in json.loads(event.response)]
    assert 4 not in [flawed.units[i].line for i in top_units(shown)]  # the planted line
    correct_id = _item(assistant, demo_study, "binsearch-b")
    correct = SuspicionRun(assistant, correct_id, misleading=misleading)
    event = correct.run()
    rows = (json.loads(line) for line in DEMO.read_text().splitlines() if line.strip())
    text = next(r["candidate"] for r in rows if r["id"] == "binsearch-b")
    plan = plan_manipulation(
        p=1.0,
        seed="s",
        evaluator_id="",
        item_id=correct_id,
        kind=AssistKind.SUSPICION,
        truth=Truth.CORRECT,
        candidate=text,
    )
    shown = [s["p_yes"] for s in json.loads(event.response)]
    assert event.manipulated and plan.manipulation is Manipulation.FLAG
    assert correct.units[top_units(shown)[0]].line == plan.flag_line
    assert correct.shown != correct.scores


def _hostile(logprob: str) -> Callable[[BaseHTTPRequestHandler], None]:
    def reply(handler: BaseHTTPRequestHandler) -> None:
        body = (
            '{"choices": [{"logprobs": {"content": [{"top_logprobs": '
            f'[{{"token": "Yes", "logprob": {logprob}}}]}}]}}]}}'
        ).encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return reply


def test_a_hostile_server_gives_a_clear_error_and_no_scores(
    workspace: Workspace, demo_study: Study
) -> None:
    for logprob in ("NaN", "Infinity", "-1e400", '"high"', "[1]", "0.5"):
        with serving(_hostile(logprob)) as url:
            backend = OpenAICompatible(ServerSettings(url))
            helper = Assistant(workspace, backend, ModelSettings())
            run = SuspicionRun(helper, _item(helper, demo_study, "iseven"))
            event = run.run()
            backend.close()
        assert event.outcome is Outcome.ERROR and event.error, logprob
        assert "model server" in event.error, event.error
        assert event.response == "" and run.scores == [] and run.shown == []
