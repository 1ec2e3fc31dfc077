"""Suggest a flaw: what changed between twins, and the model's suggestion gated before the
owner sees it (real bundled model)."""

from __future__ import annotations

import pytest

from evalstudio.assist.local_llama import LocalLlama
from evalstudio.core.errors import EvalStudioError
from evalstudio.core.model import LineRange, Study
from evalstudio.core.perturbation import changed_lines, diff_text, similarity
from evalstudio.services.assistance.assistant import Assistant
from evalstudio.services.assistance.backends import ModelSettings
from evalstudio.services.studies import studies
from evalstudio.services.studies.perturbation import suggest_flaw
from evalstudio.services.workspace.opening import Workspace

pytestmark = pytest.mark.model  # real inference: the model is the subject

CORRECT = "def add(a, b):\n    total = a + b\n    return total\n"


def test_changed_lines_are_the_flawed_twin_s_lines_that_differ() -> None:
    assert changed_lines(CORRECT, CORRECT.replace("a + b", "a - b")) == LineRange(2, 2)
    assert changed_lines(CORRECT, CORRECT + "print(add(1, 2))\n") == LineRange(4, 4)
    assert changed_lines(CORRECT, CORRECT.replace("    total = a + b\n", "")) == LineRange(2, 2)
    assert changed_lines(CORRECT, CORRECT) is None
    assert "-    total = a + b" in diff_text(CORRECT, CORRECT.replace("a + b", "a - b"))


def test_similarity_tells_a_perturbation_from_a_rewrite() -> None:
    assert similarity(CORRECT, CORRECT.replace("a + b", "a - b")) > 0.6
    assert similarity(CORRECT, "The function adds two numbers.") < 0.6


def test_a_suggestion_is_a_real_perturbation_or_a_clear_refusal(
    workspace: Workspace, demo_study: Study, local_backend: LocalLlama
) -> None:
    # The 135M model mostly rewrites the answer or runs out of tokens; whatever it does, the
    # owner gets a twin that differs in a few lines, or a message saying why not.
    assistant = Assistant(workspace, local_backend, ModelSettings(temperature=0.0))
    for item in studies.study_items(workspace, demo_study.id)[2:3]:
        try:
            _, context = assistant.item_context(item.item_id)
            found = suggest_flaw(assistant, context, max_tokens=200)
        except EvalStudioError as e:
            assert any(
                reason in str(e) for reason in ("cut short", "unchanged", "rewrote the answer")
            )
            continue
        assert found.flawed != found.correct and similarity(found.correct, found.flawed) >= 0.6
        assert found.lines.end <= len(found.flawed.splitlines())
