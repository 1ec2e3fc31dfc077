"""The assistance engine on the real bundled model: kinds, streaming, stop, queue, regenerate,
yes/no scoring, structured critiques, and the log row of each request."""

from __future__ import annotations

import hashlib
import json
import math

import pytest

from evalstudio.assist.backend import GenerationParams, Stream
from evalstudio.assist.critique import critique_schema, parse_critique
from evalstudio.assist.local_llama import LocalLlama, LocalSettings
from evalstudio.core.assistance import AssistKind, Outcome
from evalstudio.core.model import Severity, Study
from evalstudio.services.assistance.assistant import Assistant
from evalstudio.services.studies import studies
from evalstudio.services.workspace.opening import Workspace
from evalstudio.services.workspace.resources import bundled_model
from evalstudio.store import assist_log

pytestmark = pytest.mark.model  # real inference: the model is the subject


def _items(workspace: Workspace, study: Study) -> list[str]:
    return [i.item_id for i in studies.study_items(workspace, study.id)]


@pytest.mark.parametrize("kind", [AssistKind.CRITIQUE, AssistKind.FACT_CHECK, AssistKind.EXPLAIN])
def test_each_kind_streams_an_answer_and_logs_the_request(
    assistant: Assistant, workspace: Workspace, demo_study: Study, kind: AssistKind
) -> None:
    item = _items(workspace, demo_study)[0]
    run = assistant.request(item, kind)
    row = assist_log.event_row(workspace.db, run.event_id)
    assert row is not None and row["outcome"] == "running"  # written before the model answers
    chunks = list(run)
    event = run.wait()
    assert event.outcome is Outcome.DONE and len(chunks) > 1
    assert event.response == "".join(chunks)
    row = assist_log.event_row(workspace.db, run.event_id)
    assert row is not None
    assert row["kind"] == kind.value and row["backend"] == "local"
    assert row["model_id"] == "SmolLM2-135M-Instruct.Q4_1"
    assert row["model_sha256"] == hashlib.sha256(bundled_model().read_bytes()).hexdigest()
    assert row["messages"][0]["role"] == "system" and row["messages"][-1]["role"] == "user"
    assert row["params"]["max_tokens"] == 40 and row["params"]["n_ctx"] == 4096
    assert isinstance(row["seed"], int)
    assert row["prompt_tokens"] > 300 and 0 < row["completion_tokens"] <= 41
    assert row["requested_at"] < row["first_token_at"] <= row["ended_at"]
    assert (row["params"]["json_schema"] is not None) == (kind is AssistKind.CRITIQUE)


def test_a_chat_turn_carries_the_conversation(
    assistant: Assistant, workspace: Workspace, demo_study: Study
) -> None:
    item = _items(workspace, demo_study)[0]
    chat = [
        {"role": "user", "content": "What does line 3 do?"},
        {"role": "assistant", "content": "It sets the bounds."},
        {"role": "user", "content": "Why minus one?"},
    ]
    event = assistant.request(item, AssistKind.CHAT, chat=chat).wait()
    assert event.outcome is Outcome.DONE and event.response
    row = assist_log.event_row(workspace.db, event.id)
    assert row is not None and row["chat"] == chat
    assert [m["role"] for m in row["messages"]] == ["system", "user", "assistant", "user"]
    assert "What does line 3 do?" in row["messages"][1]["content"]


def test_cancel_stops_decoding_within_a_token(
    assistant: Assistant, workspace: Workspace, demo_study: Study
) -> None:
    item = _items(workspace, demo_study)[0]
    run = assistant.request(item, AssistKind.EXPLAIN, max_tokens=400)
    received = []
    for chunk in run:
        received.append(chunk)
        if len(received) == 3:
            run.cancel()
    event = run.wait()
    assert event.outcome is Outcome.CANCELLED
    assert len(received) <= 4  # at most the token already in flight
    assert event.completion_tokens is not None and event.completion_tokens < 20


def test_cancel_during_prompt_evaluation_aborts_it(local_backend: LocalLlama) -> None:
    # A long prompt nothing has cached: several seconds of prompt evaluation.
    text = "\n".join(f"value_{n} = compute({n}, factor={n * 7})" for n in range(150))
    stream = local_backend.stream(
        [{"role": "user", "content": text}], GenerationParams(max_tokens=5)
    )
    while stream.prompt_tokens is None:  # the worker has tokenized it and is evaluating
        pass
    stream.cancel()
    assert list(stream) == []
    assert stream.outcome is Outcome.CANCELLED
    # Stopped inside prompt evaluation: the model's cache holds only part of the prompt.
    assert local_backend._llm is not None and stream.prompt_tokens is not None
    assert local_backend._llm.n_tokens < stream.prompt_tokens
    after = local_backend.stream(
        [{"role": "user", "content": "Say yes."}], GenerationParams(max_tokens=3)
    )
    assert list(after) and after.outcome is Outcome.DONE  # the model still works


def test_requests_are_queued_and_served_in_order(local_backend: LocalLlama) -> None:
    params = GenerationParams(max_tokens=12)
    first = local_backend.stream([{"role": "user", "content": "Count to ten."}], params)
    second = local_backend.stream([{"role": "user", "content": "Name a colour."}], params)
    assert "".join(second) and "".join(first)
    assert first.ended_at is not None and second.first_chunk_at is not None
    assert second.first_chunk_at > first.ended_at


def test_regenerate_gives_another_answer_also_after_a_restart(
    assistant: Assistant, workspace: Workspace, demo_study: Study
) -> None:
    item = _items(workspace, demo_study)[2]
    original = assistant.request(item, AssistKind.EXPLAIN).wait()
    again = assistant.regenerate(original.id).wait()
    assert again.response != original.response and again.seed != original.seed
    row = assist_log.event_row(workspace.db, again.id)
    assert row is not None and row["regenerates_id"] == original.id
    # A fresh model object replays the library's default sequence; a fresh seed avoids it.
    restarted = LocalLlama(LocalSettings(bundled_model(), n_threads=2, n_threads_batch=2))
    try:
        after_restart = Assistant(workspace, restarted, assistant.settings)
        third = after_restart.regenerate(original.id).wait()
    finally:
        restarted.close()
    assert third.response not in (original.response, again.response)


def test_yes_no_scores_are_log_probabilities_that_do_not_depend_on_the_cache(
    assistant: Assistant, workspace: Workspace, demo_study: Study, local_backend: LocalLlama
) -> None:
    item = _items(workspace, demo_study)[1]
    first = assistant.score_flawed(item)
    assert first.keys() == {"Yes", "No"}
    assert all(v < 0 and math.isfinite(v) for v in first.values())
    assert math.exp(first["Yes"]) + math.exp(first["No"]) <= 1.0
    assert assistant.score_flawed(item) == first
    assistant.request(item, AssistKind.EXPLAIN, max_tokens=5).wait()  # the cache moves on
    assert assistant.score_flawed(item) == first
    other = assistant.score_flawed(_items(workspace, demo_study)[0])
    assert other != first


def test_a_multibyte_character_split_across_tokens_arrives_whole(
    local_backend: LocalLlama,
) -> None:
    # BMP characters only: llama-cpp-python's schema-to-grammar converter writes astral
    # characters (emoji) as UTF-16 surrogates, which the grammar then emits as invalid bytes.
    phrase = "Grüße 日本語 ✓"
    assert local_backend.count_tokens("✓") > 1  # the character really is split across tokens
    stream = local_backend.stream(
        [{"role": "user", "content": "Celebrate."}],
        GenerationParams(max_tokens=40, json_schema={"enum": [phrase]}),
    )
    chunks = list(stream)
    assert stream.outcome is Outcome.DONE
    assert json.loads("".join(chunks)) == phrase
    assert not any("\ufffd" in c for c in chunks)


def test_the_critique_grammar_really_constrains_the_output(local_backend: LocalLlama) -> None:
    code = "def mean(xs):\n    return sum(xs) // len(xs)\n"
    messages = [
        {"role": "system", "content": f"Review this code:\n{code}"},
        {"role": "user", "content": "Critique it."},
    ]
    schema = critique_schema(max_points=2)
    for seed in (1, 2, 3):
        text = "".join(
            local_backend.stream(
                messages, GenerationParams(max_tokens=200, seed=seed, json_schema=schema)
            )
        )
        critique = parse_critique(text)
        assert text.lstrip().startswith("{") and critique.structured
        assert len(critique.points) <= 2
        assert all(p.severity in Severity for p in critique.points)
    free = "".join(local_backend.stream(messages, GenerationParams(max_tokens=30, seed=1)))
    assert not free.lstrip().startswith('{"points"')


def test_opening_an_item_warms_its_shared_prefix(
    assistant: Assistant, workspace: Workspace, demo_study: Study
) -> None:
    item = _items(workspace, demo_study)[4]
    assistant.open_item(item)
    warming = assistant._warming
    assert isinstance(warming, Stream)
    assert warming.wait(60) and warming.outcome is Outcome.DONE
    event = assistant.request(item, AssistKind.CRITIQUE).wait()
    assert warming.prompt_tokens is not None and event.prompt_tokens is not None
    assert 0.9 * event.prompt_tokens < warming.prompt_tokens < event.prompt_tokens


def test_a_consumer_that_stops_reading_cancels_and_logs_it(
    assistant: Assistant, workspace: Workspace, demo_study: Study
) -> None:
    run = assistant.request(_items(workspace, demo_study)[0], AssistKind.EXPLAIN, max_tokens=300)
    for _ in run:
        break
    event = assist_log.event(workspace.db, run.event_id)
    assert event is not None and event.outcome is Outcome.CANCELLED
