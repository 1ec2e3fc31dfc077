"""The assistance engine's figures, measured in one process on the bundled model:
decode speed through the engine vs llama-cpp-python directly, time to first token (cold, second
and third kind on an item, after a background warm-up), grammar cost, and pre-generated display.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from llama_cpp import Llama
from perf_doc import write_section

from evalstudio.assist.backend import GenerationParams, Message
from evalstudio.assist.critique import critique_schema
from evalstudio.assist.local_llama import LocalLlama, LocalSettings
from evalstudio.core.assistance import AssistKind
from evalstudio.services.assistance.assistant import Assistant
from evalstudio.services.assistance.backends import ModelSettings
from evalstudio.services.studies import studies
from evalstudio.services.workspace.opening import open_workspace
from evalstudio.services.workspace.resources import bundled_model

THREADS = 2
DECODE_TOKENS = 200
RUNS = 5


def decode_rate_engine(
    backend: LocalLlama, messages: list[Message], schema: object = None
) -> float:
    stream = backend.stream(
        messages, GenerationParams(max_tokens=DECODE_TOKENS, temperature=0.0, json_schema=schema)
    )  # type: ignore[arg-type]
    chunks = sum(1 for _ in stream)
    assert stream.first_chunk_at is not None and stream.ended_at is not None and chunks > 10
    assert stream.completion_tokens is not None
    return (stream.completion_tokens - 1) / (stream.ended_at - stream.first_chunk_at)


def decode_rate_direct(llm: Llama, messages: list[Message]) -> float:
    start = time.perf_counter()
    first = None
    tokens = 0
    for chunk in llm.create_chat_completion(
        messages=messages,
        max_tokens=DECODE_TOKENS,  # type: ignore[arg-type]
        temperature=0.0,
        stream=True,
    ):
        if chunk["choices"][0]["delta"].get("content"):  # type: ignore[index, union-attr]
            tokens += 1
            first = first or time.perf_counter()
    end = time.perf_counter()
    assert first is not None and tokens > 10, start
    return (tokens - 1) / (end - first)


def ttft(assistant: Assistant, item: str, kind: AssistKind) -> float:
    run = assistant.request(item, kind, max_tokens=8)
    event = run.wait()
    stream = run.stream
    assert stream.first_chunk_at is not None, event.error
    return stream.first_chunk_at - stream.started


def main() -> None:
    model = bundled_model()
    settings = LocalSettings(model, n_threads=THREADS, n_threads_batch=THREADS)
    lines: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        workspace = open_workspace(Path(tmp) / "ws.sqlite")
        items = [
            i.item_id
            for i in studies.study_items(workspace, studies.ensure_demo_study(workspace).id)
        ]

        # 1. Decode speed: engine vs create_chat_completion, alternating, same prompt.
        backend = LocalLlama(settings)
        assistant = Assistant(workspace, backend, ModelSettings(max_tokens=DECODE_TOKENS))
        messages = assistant.prompts.messages(
            assistant.item_context(items[0])[1], AssistKind.EXPLAIN
        )
        # Direct calls run on the engine's own worker thread: llama.cpp's OpenMP (libgomp)
        # stops spin-waiting once a second thread has its own team on 2 cores, which halves
        # decode speed for both (docs/engine.md), so two threads would measure that instead.
        on_engine_thread = backend._executor.submit
        direct = on_engine_thread(
            lambda: Llama(
                str(model),
                n_ctx=4096,
                n_threads=THREADS,
                n_threads_batch=THREADS,
                flash_attn=True,
                verbose=False,
            )
        ).result()
        engine_rates, direct_rates, grammar_rates = [], [], []
        for _ in range(RUNS):
            engine_rates.append(decode_rate_engine(backend, messages))
            direct_rates.append(on_engine_thread(decode_rate_direct, direct, messages).result())
            grammar_rates.append(decode_rate_engine(backend, messages, critique_schema()))
        on_engine_thread(direct.close).result()
        e, d, g = (statistics.median(r) for r in (engine_rates, direct_rates, grammar_rates))
        lines += [
            "| decode (greedy, explain prompt, up to 200 tokens) | tokens/s (median of 5) |",
            "|---|---|",
            f"| `Llama.create_chat_completion` directly | {d:.1f} |",
            f"| through the engine (`LocalLlama.stream`) | {e:.1f} |",
            f"| **ratio engine / direct** (target >= 0.95) | **{e / d:.3f}** |",
            f"| engine with the critique grammar | {g:.1f} ({g / e:.2f} of unconstrained) |",
            "",
        ]
        backend.close()

        # 2. Time to first token on an item: cold, then the second and third kind.
        cold_rows = []
        for n, item in enumerate(items[2:8:2]):
            fresh = LocalLlama(settings)  # nothing cached at all
            fresh.info()
            helper = Assistant(workspace, fresh, ModelSettings())
            first = ttft(helper, item, AssistKind.CRITIQUE)
            second = ttft(helper, item, AssistKind.EXPLAIN)
            third = ttft(helper, item, AssistKind.FACT_CHECK)
            other = ttft(helper, items[20 + n], AssistKind.CRITIQUE)  # preamble cached only
            cold_rows.append((first, second, third, other))
            fresh.close()
        first, second, third, other = (statistics.median(c) for c in zip(*cold_rows, strict=True))
        lines += [
            "| time to first token (median of 3 items) | ms | share of the first |",
            "|---|---|---|",
            f"| first request on an item, nothing cached | {first * 1000:.0f} | 100% |",
            f"| second kind on the same item | {second * 1000:.0f} | **{second / first:.1%}** |",
            f"| third kind on the same item | {third * 1000:.0f} | **{third / first:.1%}** |",
            f"| first request on another item (shared preamble cached) | {other * 1000:.0f} | "
            f"{other / first:.1%} |",
        ]

        # 3. First request on an item that has been open for 4 s (warmed in the background).
        backend = LocalLlama(settings)
        backend.info()
        helper = Assistant(workspace, backend, ModelSettings())
        warm = []
        for item in items[10:16:2]:
            helper.open_item(item)
            time.sleep(4)  # the evaluator reads the item
            warm.append(ttft(helper, item, AssistKind.CRITIQUE))
        w = statistics.median(warm)
        lines += [
            f"| first request on an item open for 4 s (prefix warmed) | **{w * 1000:.0f}** | "
            f"{w / first:.1%} |",
            "",
            "Targets: second and third kind <= 6% of the first; warmed first request < 250 ms.",
            "",
        ]

        # 4. Showing a pre-generated response.
        for item in items[:5]:
            helper.request(item, AssistKind.CRITIQUE, pregenerated=True, max_tokens=8).wait()
        shows = []
        for _ in range(100):
            start = time.perf_counter()
            stored = helper.stored(items[3], AssistKind.CRITIQUE)
            shows.append(time.perf_counter() - start)
            assert stored is not None
        backend.close()
        workspace.close()
    lines += [
        "Pre-generated response read from the workspace: "
        f"**{statistics.median(shows) * 1000:.2f} ms**"
        " median of 100 (target < 50 ms)."
    ]
    body = "## Assistance engine (`bench/bench_assist.py`)\n\n" + "\n".join(lines)
    body += (
        f"\n\nBundled SmolLM2-135M-Instruct Q4_1, n_threads = n_threads_batch = {THREADS}, "
        "n_ctx 4096, flash attention on, KV cache q8_0 (the default), "
        "portable build of llama-cpp-python 0.3.36."
    )
    print(body)
    write_section("bench_assist", body)


if __name__ == "__main__":
    main()
