"""The bundled model on a conversation item with a huge transcript: the request fits the
default context window (the transcript bounded, the oldest turns left out) and is answered."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.builders import chat, write_jsonl

from evalstudio.core.assistance import AssistKind, Outcome
from evalstudio.services.assistance.assistant import Assistant
from evalstudio.services.studies import studies
from evalstudio.services.studies.importing import import_tasks
from evalstudio.services.workspace.opening import Workspace
from evalstudio.store import assist_log

pytestmark = pytest.mark.model  # real inference: whether the prompt fits the model's context


def test_a_critique_of_a_turn_after_a_huge_transcript_fits_the_context_and_is_answered(
    assistant: Assistant, workspace: Workspace, tmp_path: Path
) -> None:
    sentence = "I would like to know more about the opening hours of the shop on holidays. "
    turns = [
        {"role": "user" if n % 2 == 0 else "assistant", "content": f"({n}) " + sentence * 20}
        for n in range(300)
    ]
    turns[-1] = {"role": "user", "content": "So is the shop open on Easter Monday?"}
    turns.append({"role": "assistant", "content": "Yes, from 10:00 to 16:00."})
    study = import_tasks(
        workspace, write_jsonl(tmp_path / "t.jsonl", [chat("c", messages=turns)]), "S"
    ).study
    (item,) = studies.study_items(workspace, study.id)
    run = assistant.request(item.item_id, AssistKind.CRITIQUE, max_tokens=40)
    list(run)
    event = run.wait()
    assert event.outcome is Outcome.DONE, event.error
    row = assist_log.event_row(workspace.db, run.event_id)
    assert row is not None
    assert row["prompt_tokens"] + 40 <= row["params"]["n_ctx"] == 4096
    system = row["messages"][0]["content"]
    assert "So is the shop open on Easter Monday?" in system and "(0) " not in system
    assert "are left out: the conversation is longer than 6,000 characters" in system
