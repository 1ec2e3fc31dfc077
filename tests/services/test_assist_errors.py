"""Assistance that cannot work says why, logs it, and leaves the rest of the app working."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.builders import record, write_jsonl

from evalstudio.assist.backend import AssistError, GenerationParams
from evalstudio.assist.local_llama import LocalLlama, LocalSettings
from evalstudio.core.assistance import AssistKind, Outcome
from evalstudio.core.model import Verdict
from evalstudio.core.review import JudgmentForm, Stage
from evalstudio.services.assistance.assistant import Assistant
from evalstudio.services.assistance.backends import ModelSettings
from evalstudio.services.review.session import ReviewSession
from evalstudio.services.studies import studies
from evalstudio.services.studies.importing import import_tasks
from evalstudio.services.workspace import evaluators
from evalstudio.services.workspace.opening import Workspace
from evalstudio.store import assist_log


def _item(workspace: Workspace, tmp_path: Path, candidate: str = "x = 1\n") -> str:
    path = write_jsonl(tmp_path / "t.jsonl", [record("a", candidate=candidate)])
    study = import_tasks(workspace, path, "S").study
    return studies.study_items(workspace, study.id)[0].item_id


def test_a_missing_model_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(AssistError, match="model file not found") as info:
        LocalLlama(LocalSettings(tmp_path / "nope.gguf"))
    assert str(tmp_path / "nope.gguf") in str(info.value)


def test_a_file_that_is_not_gguf_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "model.bin"
    path.write_bytes(b"PK\x03\x04 not a model")
    with pytest.raises(AssistError, match="not a GGUF model file"):
        LocalLlama(LocalSettings(path))


def test_a_corrupt_gguf_fails_every_request_with_a_logged_message(
    workspace: Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "broken.gguf"
    path.write_bytes(b"GGUF" + b"\x00\xff" * 5000)
    item = _item(workspace, tmp_path)
    assistant = Assistant.start(workspace, ModelSettings(local=LocalSettings(path)))
    try:
        with pytest.raises(AssistError, match="cannot load the model"):
            assistant.request(item, AssistKind.CRITIQUE)
        stream = assistant.backend.stream([{"role": "user", "content": "hi"}], GenerationParams())
        assert list(stream) == [] and stream.outcome is Outcome.ERROR
        assert stream.error is not None and "cannot load the model" in stream.error
    finally:
        assistant.close()
    (event,) = assist_log.events_of_item(workspace.db, item)
    assert event.outcome is Outcome.ERROR and event.model_id == "broken"
    assert event.error is not None and "cannot load the model" in event.error
    # Without assistance the app goes on: judging still works.
    ada = evaluators.add_evaluator(workspace, "Ada")
    session = ReviewSession(workspace, studies.study_named(workspace, "S"), ada)
    form = JudgmentForm(verdict=Verdict.FLAWED, quality=2, confidence=4)
    session.submit(item, Stage.FINAL, form)
    assert item in session.done


def test_a_prompt_longer_than_the_context_is_refused_with_the_numbers(
    workspace: Workspace, tmp_path: Path, local_backend: LocalLlama
) -> None:
    long_code = "\n".join(f"total_{n} = helper({n}) * {n}" for n in range(400))
    item = _item(workspace, tmp_path, candidate=long_code)
    assistant = Assistant(workspace, local_backend, ModelSettings(max_tokens=40))
    event = assistant.request(item, AssistKind.CRITIQUE).wait()
    assert event.outcome is Outcome.ERROR and event.response == ""
    assert event.error is not None
    assert "the model's context is 4096 tokens" in event.error
    assert "Raise the context size" in event.error
    assert event.prompt_tokens is not None and event.prompt_tokens > 4096 - 40
    # The model still answers the next request.
    again = local_backend.stream(
        [{"role": "user", "content": "Hi"}], GenerationParams(max_tokens=3)
    )
    assert list(again) and again.outcome is Outcome.DONE
