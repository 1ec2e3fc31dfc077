"""LocalLlama: a GGUF model in-process through llama-cpp-python, owned by one worker thread.

`Llama` has no locks, and two threads touching it crash the process, so every call runs on a
single-thread executor in the order it was made. Prompts are formatted with the GGUF's own chat
template and tokenized here, so the exact tokens are known: for the context check, for warming
the shared prefix, and for yes/no scoring from the last position's logits.
"""

from __future__ import annotations

import codecs
import json
import math
import os
import random
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

import llama_cpp
import numpy as np
from llama_cpp import Llama
from llama_cpp.llama_chat_format import ChatFormatterResponse, Jinja2ChatFormatter, format_chatml
from llama_cpp.llama_grammar import LlamaGrammar

from evalstudio.assist.backend import AssistError, GenerationParams, Message, ModelInfo, Stream
from evalstudio.assist.grammar import grammar_of
from evalstudio.assist.llama_log import route_llama_log
from evalstudio.core.assistance import Outcome

GGUF_MAGIC = b"GGUF"
T = TypeVar("T")


def _default_threads() -> int:
    return max(1, min(8, os.cpu_count() or 1))


@dataclass(frozen=True)
class LocalSettings:
    model_path: Path
    n_ctx: int = 4096
    n_threads: int = _default_threads()
    n_threads_batch: int = _default_threads()
    n_gpu_layers: int = 0
    # Prompt evaluation ~20% faster on CPU, decode unchanged (docs/engine.md).
    flash_attn: bool = True
    # The KV cache's number type: "q8_0" holds a 4,096-token context of the bundled model in
    # 42 MiB less memory than "f16", for ~10% slower decoding (docs/engine.md). Needs flash_attn.
    kv_cache: str = "q8_0"


KV_CACHE_TYPES = {"f16": llama_cpp.GGML_TYPE_F16, "q8_0": llama_cpp.GGML_TYPE_Q8_0}


class LocalLlama:
    """The Backend for a local GGUF file. The model loads in the background on construction."""

    def __init__(self, settings: LocalSettings) -> None:
        self.settings = settings
        _check_model_file(settings.model_path)
        route_llama_log()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="evalstudio-llama")
        self._llm: Llama | None = None
        self._format: Callable[[list[Message]], ChatFormatterResponse] = _chatml
        self._current: Stream | None = None  # read by the abort callback
        self._grammars: dict[str, LlamaGrammar] = {}
        # Kept referenced: llama.cpp holds a raw pointer to it.
        self._abort_callback = llama_cpp.ggml_abort_callback(self._should_abort)
        self._loaded: Future[ModelInfo] = self._executor.submit(self._load)

    # --- the Backend protocol -------------------------------------------------------------
    def info(self) -> ModelInfo:
        """The model's description; waits for the load and raises AssistError if it failed."""
        return self._loaded.result()

    def stream(self, messages: list[Message], params: GenerationParams) -> Stream:
        seed = params.seed if params.seed is not None else random.SystemRandom().getrandbits(31)
        stream = Stream(seed)
        self._submit(stream, lambda llm: self._generate(llm, stream, messages, params))
        return stream

    def score(self, messages: list[Message], options: Sequence[str]) -> dict[str, float]:
        future = self._executor.submit(
            self._with_model, lambda llm: self._score(llm, messages, options)
        )
        return future.result()

    def score_cached(self, messages: list[Message], options: Sequence[str]) -> dict[str, float]:
        """As `score`, but reusing the cached common prefix of the previous prompt: a series
        of prompts that differ only at the end (Suspicion, line by line) costs a short suffix
        each. Values may differ ~0.1 from a cold `score` (batch splits), not within a series."""
        future = self._executor.submit(
            self._with_model, lambda llm: self._score(llm, messages, options, cached=True)
        )
        return future.result()

    def warm(self, variants: list[list[Message]]) -> Stream:
        stream = Stream()
        self._submit(stream, lambda llm: self._warm(llm, stream, variants))
        return stream

    def close(self) -> None:
        """Free the model on its own thread (Llama.__del__ raises at interpreter exit)."""
        self._executor.submit(self._close)
        self._executor.shutdown(wait=True)

    def count_tokens(self, text: str) -> int:
        """Tokens of `text` by the loaded model's own tokenizer."""
        return self._executor.submit(
            self._with_model, lambda llm: len(llm.tokenize(text.encode(), add_bos=False))
        ).result()

    # --- on the worker thread -------------------------------------------------------------
    def _load(self) -> ModelInfo:
        s = self.settings
        # A quantized V cache needs flash attention; without it the cache stays f16.
        kv_type = KV_CACHE_TYPES[s.kv_cache] if s.flash_attn else llama_cpp.GGML_TYPE_F16
        try:
            llm = Llama(
                str(s.model_path),
                n_ctx=s.n_ctx,
                n_threads=s.n_threads,
                n_threads_batch=s.n_threads_batch,
                n_gpu_layers=s.n_gpu_layers,
                flash_attn=s.flash_attn,
                type_k=kv_type,
                type_v=kv_type,
                verbose=False,
            )
        except (ValueError, RuntimeError, MemoryError) as e:
            raise AssistError(
                f"cannot load the model ({e}); the file may be damaged, or need more memory "
                "than is free (try a smaller context size)",
                where=str(s.model_path),
            ) from e
        llama_cpp.llama_set_abort_callback(llm.ctx, self._abort_callback, None)
        self._format = _chat_formatter(llm)
        self._llm = llm
        # The file name says the model and its quantization; general.name is often vaguer.
        return ModelInfo("local", s.model_path.stem, str(s.model_path), llm.n_ctx())

    def _should_abort(self, _data: object) -> bool:
        current = self._current
        return current is not None and current.cancelled

    def _with_model(self, job: Callable[[Llama], T]) -> T:
        self._loaded.result()  # re-raises the load error for every request
        assert self._llm is not None
        return job(self._llm)

    def _submit(self, stream: Stream, job: Callable[[Llama], None]) -> None:
        def run() -> None:
            if stream.cancelled:
                stream.finish(Outcome.CANCELLED)
                return
            self._current = stream
            try:
                self._with_model(job)
            except AssistError as e:
                stream.finish(Outcome.ERROR, str(e))
            except RuntimeError as e:
                # llama_decode returns 2 when the abort callback stopped prompt evaluation.
                if stream.cancelled:
                    stream.finish(Outcome.CANCELLED)
                else:
                    stream.finish(Outcome.ERROR, f"the model failed: {e}")
            except Exception as e:  # a request must end, whatever the engine raised
                stream.finish(Outcome.ERROR, f"the model failed: {type(e).__name__}: {e}")
            finally:
                self._current = None

        self._executor.submit(run)

    def _prompt(self, llm: Llama, messages: list[Message]) -> tuple[list[int], Any]:
        formatted = self._format(messages)
        tokens = llm.tokenize(
            formatted.prompt.encode("utf-8"), add_bos=not formatted.added_special, special=True
        )
        return tokens, formatted.stop

    def _generate(
        self, llm: Llama, stream: Stream, messages: list[Message], params: GenerationParams
    ) -> None:
        tokens, stop = self._prompt(llm, messages)
        stream.prompt_tokens = len(tokens)
        needed = len(tokens) + params.max_tokens
        if needed > llm.n_ctx():
            raise AssistError(
                f"the prompt is {len(tokens)} tokens; with room for {params.max_tokens} tokens of "
                f"answer it needs {needed}, but the model's context is {llm.n_ctx()} tokens. "
                "Raise the context size in the settings, or ask for a shorter answer."
            )
        llm.set_seed(stream.seed if stream.seed is not None else random.getrandbits(31))
        if params.reproducible:
            llm.reset()  # type: ignore[no-untyped-call]
        # Sampling as create_completion does it (top-k 40, top-p 0.95, min-p 0.05); the loop
        # is ours so that bytes are decoded incrementally (a character split across tokens
        # waits for its last byte instead of being dropped, as seen with a grammar) and the
        # tokens are counted exactly.
        tokens_out = llm.generate(
            tokens,
            temp=params.temperature,
            top_k=40,
            top_p=0.95,
            min_p=0.05,
            repeat_penalty=1.0,
            grammar=self._grammar(params.json_schema),
        )
        text = _TextAssembler(stop)
        produced = 0
        try:
            for token in tokens_out:
                if stream.cancelled or llama_cpp.llama_vocab_is_eog(llm._model.vocab, token):
                    break
                produced += 1
                piece = text.feed(llm.detokenize([token]))
                if piece:
                    stream.push(piece)
                if text.stopped or produced >= params.max_tokens:
                    break
        except RuntimeError:
            # The abort callback also stops a token's decode when cancel comes mid-token.
            if not stream.cancelled:
                raise
        finally:
            tokens_out.close()  # microseconds; keeps the prefix cache for the next request
        rest = text.flush()
        if rest and not stream.cancelled:
            stream.push(rest)
        stream.completion_tokens = produced
        stream.finish(Outcome.CANCELLED if stream.cancelled else Outcome.DONE)

    def _grammar(self, schema: dict[str, Any] | None) -> LlamaGrammar | None:
        if schema is None:
            return None
        key = json.dumps(schema, sort_keys=True)
        if key not in self._grammars:
            self._grammars[key] = grammar_of(schema)
        return self._grammars[key]

    def _evaluate(self, llm: Llama, tokens: list[int]) -> None:
        """Bring the KV cache to exactly `tokens`, reusing the cached common prefix."""
        cached = 0
        for a, b in zip(llm._input_ids, tokens, strict=False):
            if a != b:
                break
            cached += 1
        llm.n_tokens = min(cached, len(tokens))
        llm.eval(tokens[llm.n_tokens :])

    def _warm(self, llm: Llama, stream: Stream, variants: list[list[Message]]) -> None:
        prompts = [self._prompt(llm, messages)[0] for messages in variants]
        prefix = prompts[0]
        for other in prompts[1:]:
            prefix = prefix[
                : next(
                    (i for i, (a, b) in enumerate(zip(prefix, other, strict=False)) if a != b),
                    min(len(prefix), len(other)),
                )
            ]
        stream.prompt_tokens = len(prefix)
        if prefix:
            self._evaluate(llm, prefix)
        stream.finish(Outcome.CANCELLED if stream.cancelled else Outcome.DONE)

    def _score(
        self, llm: Llama, messages: list[Message], options: Sequence[str], cached: bool = False
    ) -> dict[str, float]:
        tokens, _ = self._prompt(llm, messages)
        if cached:  # score_cached: only the part after the cached common prefix is evaluated
            if len(tokens) + 1 > llm.n_ctx():
                raise AssistError(
                    f"the prompt is {len(tokens)} tokens, more than the model's context of "
                    f"{llm.n_ctx()} tokens. Raise the context size in the settings."
                )
            self._evaluate(llm, tokens)
        else:
            # Evaluated from scratch: logits depend on how the prompt was split into batches
            # (a cached prefix plus a short suffix gave values 0.1 apart from a cold pass), and
            # a score must not depend on what the evaluator asked before.
            llm.reset()  # type: ignore[no-untyped-call]
            llm.eval(tokens)
        pointer = llama_cpp.llama_get_logits_ith(llm.ctx, -1)
        logits = np.ctypeslib.as_array(pointer, shape=(llm.n_vocab(),)).astype(np.float64)
        top = float(logits.max())
        log_total = top + math.log(float(np.exp(logits - top).sum()))
        scores = {}
        for option in options:
            first = llm.tokenize(option.encode("utf-8"), add_bos=False)[0]
            scores[option] = float(logits[first]) - log_total
        return scores

    def _close(self) -> None:
        if self._llm is not None:
            self._llm.close()
            self._llm = None


class _TextAssembler:
    """Turns generated bytes into text: decodes UTF-8 incrementally, and holds back text that
    may be the start of a stop string until it is known not to be one."""

    def __init__(self, stop: str | list[str] | None) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._stops = [stop] if isinstance(stop, str) else [s for s in stop or [] if s]
        self._held = ""
        self.stopped = False

    def feed(self, data: bytes) -> str:
        text = self._held + self._decoder.decode(data)
        for stop in self._stops:
            at = text.find(stop)
            if at != -1:
                self._held, self.stopped = "", True
                return text[:at]
        keep = max(
            (n for stop in self._stops for n in range(1, len(stop)) if text.endswith(stop[:n])),
            default=0,
        )
        self._held = text[len(text) - keep :] if keep else ""
        return text[: len(text) - keep]

    def flush(self) -> str:
        rest = "" if self.stopped else self._held + self._decoder.decode(b"", final=True)
        self._held = ""
        return rest


def _check_model_file(path: Path) -> None:
    if not path.is_file():
        raise AssistError("model file not found", where=str(path))
    try:
        with path.open("rb") as f:
            magic = f.read(4)
    except OSError as e:
        raise AssistError(f"model file cannot be read: {e.strerror}", where=str(path)) from e
    if magic != GGUF_MAGIC:
        raise AssistError("not a GGUF model file (llama.cpp needs .gguf)", where=str(path))


def _chatml(messages: list[Message]) -> ChatFormatterResponse:
    response: ChatFormatterResponse = format_chatml(cast(Any, messages))
    return response


def _chat_formatter(llm: Llama) -> Callable[[list[Message]], ChatFormatterResponse]:
    """The chat template from the GGUF's metadata, as llama-cpp-python itself reads it;
    ChatML for a file that has none."""
    template = llm.metadata.get("tokenizer.chat_template")
    if not template:
        return _chatml
    eos_id, bos_id = llm.token_eos(), llm.token_bos()
    formatter = Jinja2ChatFormatter(
        template=template,
        eos_token=llm._model.token_get_text(eos_id) if eos_id != -1 else "",
        bos_token=llm._model.token_get_text(bos_id) if bos_id != -1 else "",
        stop_token_ids=[eos_id],
    )
    return lambda messages: formatter(messages=messages)  # type: ignore[arg-type]
