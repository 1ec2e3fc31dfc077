"""Owner › Assistant quality (issue 19 §4): the assistant measured on the study's own pairs,
kind by kind, with the real bundled model; the figures by hand; the dialog (a recorded
assistant: its subject is the UI); the status bar's warning about the bundled demo model."""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot
from support.study_builders import two_evaluator_study
from support.windows import open_main_window

from evalstudio.assist.backend import AssistError, GenerationParams, Message, ModelInfo, Stream
from evalstudio.assist.local_llama import LocalLlama
from evalstudio.core.assistance import AssistKind, Outcome
from evalstudio.services.assistance.assistant import Assistant
from evalstudio.services.assistance.backends import ModelSettings, model_settings
from evalstudio.services.models.model_side import PairSide
from evalstudio.services.report.assistant_quality import (
    CRITIQUE,
    DISCRIMINATION,
    SUSPICION,
    AssistantQuality,
    PairQuality,
    measure_assistant_quality,
)
from evalstudio.services.studies import studies
from evalstudio.services.workspace.opening import Workspace
from evalstudio.store import assist_log
from evalstudio.ui.assistant_quality_dialog import COLUMNS, AssistantQualityDialog
from evalstudio.ui.jobs import Jobs
from evalstudio.ui.main_window import DEMO_MODEL_WARNING, MainWindow
from evalstudio.ui.model_host import ModelHost


class _FailsOnPair:
    """The bundled model, except that any request about the task "Write add0." fails as a
    server that cannot take it would."""

    def __init__(self, backend: LocalLlama) -> None:
        self.backend = backend

    def info(self) -> ModelInfo:
        return self.backend.info()

    def stream(self, messages: list[Message], params: GenerationParams) -> Stream:
        if any("Write add0." in m["content"] for m in messages):
            raise AssistError("the server refused the request")
        return self.backend.stream(messages, params)

    def score(self, messages: list[Message], options: Sequence[str]) -> dict[str, float]:
        return self.backend.score(messages, options)

    def score_cached(self, messages: list[Message], options: Sequence[str]) -> dict[str, float]:
        return self.backend.score_cached(messages, options)

    def warm(self, variants: list[list[Message]]) -> Stream:
        return self.backend.warm(variants)

    def close(self) -> None:
        pass


@pytest.mark.model  # real inference: the model is the subject
def test_every_pair_is_measured_with_the_real_model_and_one_failing_pair_is_named(
    workspace: Workspace, tmp_path: Path, local_backend: LocalLlama
) -> None:
    study, flawed_item = two_evaluator_study(workspace, tmp_path, "Q", pairs=2, seed=4, options="")
    assistant = Assistant(workspace, _FailsOnPair(local_backend), ModelSettings(max_tokens=12))
    add1_flawed = next(
        item
        for item, flawed in flawed_item.items()
        if flawed and "add1" in assistant.item_context(item)[1].task_prompt
    )
    # Cut to one token (no verdict): what matters is that it is used, not asked for again.
    pregenerated = assistant.request(
        add1_flawed, AssistKind.CRITIQUE, pregenerated=True, max_tokens=1
    ).wait()
    steps: list[tuple[int, int]] = []
    started = time.monotonic()
    quality = measure_assistant_quality(
        assistant, study.id, on_pair=lambda done, total: steps.append((done, total))
    )
    print(f"2 pairs with the bundled model: {time.monotonic() - started:.1f} s")
    assert quality.total == 2 and not quality.cancelled
    assert steps == [(0, 2), (1, 2), (2, 2)]
    # The first pair failed; the run went on to the next.
    assert [p.side.pair for p in quality.pairs] == ["p1"]
    (failure,) = quality.failed
    assert failure.startswith("p0: ") and "refused" in failure
    assert quality.model == local_backend.info().model_id
    # The stored pre-generated critique is the one measured, not asked for again.
    assert quality.pairs[0].side.critique_event_id == pregenerated.id
    for pair in quality.pairs:
        assert 0 < pair.side.p_flawed_on_flawed < 1 and 0 < pair.side.p_flawed_on_correct < 1
        assert 0 <= pair.points_at_plant <= pair.points_located
        assert pair.suspicion_auc is not None and 0 <= pair.suspicion_auc <= 1  # 1 of 2 lines
    figures = quality.figures()
    assert {f.kind for f in figures} == {CRITIQUE, DISCRIMINATION, SUSPICION}
    for figure in figures:
        n = {"pairs": 1, "twins": 2, "flawed twins": 1}.get(figure.counted, figure.n)
        assert figure.n == n, figure
        low = -1.0 if figure.measure.startswith("gap") else 0.0
        if figure.value is not None:
            assert low <= figure.value <= 1, figure
        if figure.interval is not None:
            assert low <= figure.interval.low <= figure.interval.high <= 1, figure
    # Every request was logged without an evaluator: no evaluator ever sees it.
    events = [e for item in flawed_item for e in assist_log.events_of_item(workspace.db, item)]
    assert all(e.evaluator_id is None for e in events)
    assert sum(e.kind is AssistKind.SUSPICION for e in events) == 1  # p1's flawed twin


def test_a_cancel_ends_the_run_with_the_pairs_done(
    workspace: Workspace, tmp_path: Path, assistant: Assistant
) -> None:
    study, _ = two_evaluator_study(workspace, tmp_path, "C", pairs=2, seed=4, options="")
    cancel = threading.Event()

    def progress(done: int, total: int) -> None:
        if done == 1:
            cancel.set()

    quality = measure_assistant_quality(
        assistant, study.id, max_tokens=12, on_pair=progress, cancel=cancel
    )
    assert quality.cancelled and quality.total == 2
    assert len(quality.pairs) == 1 and not quality.failed
    assert {f.n for f in quality.figures() if f.counted == "pairs"} == {1}


def _pair(
    flawed: float,
    correct: float,
    caught: bool,
    right: tuple[bool, bool],
    points: tuple[int, int],
    auc: float | None,
) -> PairQuality:
    return PairQuality(PairSide("p", flawed, correct, caught, "e"), *right, *points, auc)


def test_the_figures_by_hand() -> None:
    pairs = (
        _pair(0.9, 0.2, True, (True, True), (2, 1), 1.0),
        _pair(0.6, 0.7, False, (True, False), (1, 0), 0.5),
        _pair(0.4, 0.4, False, (False, True), (0, 0), None),
    )
    figures = {
        f.measure: f for f in AssistantQuality("m", 4, pairs, ("p4: down",), False).figures()
    }
    verdict_flawed = figures["verdict right on the flawed twin (says flawed)"]
    assert verdict_flawed.value == pytest.approx(2 / 3) and verdict_flawed.n == 3
    assert verdict_flawed.interval is not None  # Wilson: about 21% to 94% for 2 of 3
    assert verdict_flawed.interval.low == pytest.approx(0.2077, abs=1e-3)
    assert verdict_flawed.interval.high == pytest.approx(0.9385, abs=1e-3)
    assert figures["verdict right on the correct twin (says acceptable)"].value == pytest.approx(
        2 / 3
    )
    assert figures["catch rate (says flawed, at the planted lines)"].value == pytest.approx(1 / 3)
    precision = figures["line precision (its located points at the planted lines)"]
    assert (precision.value, precision.n, precision.counted) == (pytest.approx(1 / 3), 3, "points")
    # Per twin at 50%: flawed 0.9 ✓ 0.6 ✓ 0.4 ✗; correct 0.2 ✓ 0.7 ✗ 0.4 ✓ → 4 of 6.
    accuracy = figures["accuracy per twin (P(flawed) at 50%)"]
    assert (accuracy.value, accuracy.n) == (pytest.approx(4 / 6), 6)
    # Flawed {0.9, 0.6, 0.4} over correct {0.2, 0.7, 0.4}: 3 + 2 + 1.5 wins of 9.
    auc = figures["AUC over twins"]
    assert auc.value == pytest.approx(6.5 / 9) and not auc.percent and auc.interval is None
    paired = figures["flawed twin scored higher than its correct twin (ties half)"]
    assert paired.value == pytest.approx(0.5)  # 1, 0, ½
    gap = figures["gap: discrimination − critique catch"]
    assert gap.value == pytest.approx(0.5 - 1 / 3) and gap.interval is not None
    suspicion = figures["line AUC on the flawed twin (planted lines above the others; mean)"]
    assert (suspicion.value, suspicion.n) == (pytest.approx(0.75), 2)
    empty = AssistantQuality("m", 0, (), (), False).figures()
    assert all(f.value is None and f.interval is None and f.n == 0 for f in empty)


# -- the dialog ----------------------------------------------------------------------------------

CRITIQUE_REPLY = json.dumps(
    {
        "points": [
            {"line_start": 2, "line_end": 2, "severity": "major", "claim": "subtracts, not adds"}
        ],
        "verdict": "flawed",
    }
)


class _Recorded:
    """A recorded assistant: the same critique for every twin, chunk by chunk (`delay` apart,
    so a cancel can land mid-critique), and a yes/no score that favours the flawed twin."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay

    def info(self) -> ModelInfo:
        return ModelInfo("recorded", "recorded-model", None, 4096)

    def stream(self, messages: list[Message], params: GenerationParams) -> Stream:
        stream = Stream(params.seed)

        def produce() -> None:
            for at in range(0, len(CRITIQUE_REPLY), 8):
                if stream.cancelled:
                    stream.finish(Outcome.CANCELLED)
                    return
                time.sleep(self.delay)
                stream.push(CRITIQUE_REPLY[at : at + 8])
            stream.finish(Outcome.DONE)

        threading.Thread(target=produce, daemon=True).start()
        return stream

    def score(self, messages: list[Message], options: Sequence[str]) -> dict[str, float]:
        p = 0.8 if any("a - b" in m["content"] for m in messages) else 0.3
        return {"Yes": math.log(p), "No": math.log(1 - p)}

    def warm(self, variants: list[list[Message]]) -> Stream:
        stream = Stream()
        stream.finish(Outcome.DONE)
        return stream

    def close(self) -> None:
        pass


def _host(qtbot: QtBot, jobs: Jobs, workspace: Workspace, delay: float) -> ModelHost:
    host = ModelHost(jobs, workspace, ModelSettings(max_tokens=64), _Recorded(delay))
    host.load()
    qtbot.waitUntil(lambda: host.ready)
    return host


def test_the_dialog_measures_in_the_background_and_shows_the_table(
    qtbot: QtBot, parent: QWidget, jobs: Jobs, workspace: Workspace, tmp_path: Path
) -> None:
    two_evaluator_study(workspace, tmp_path, "D", pairs=2, seed=4, options="")
    dialog = AssistantQualityDialog(parent, _host(qtbot, jobs, workspace, 0.0), "D")
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.running and dialog.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: dialog.quality is not None, timeout=20_000)
    assert not dialog.running and not dialog.cancel_button.isEnabled()
    assert dialog.progress.text() == "All 2 pairs measured"
    assert dialog.table.rowCount() == 9 and dialog.reading.isVisible()
    assert "not worth studying" in dialog.reading.text()
    headers = [dialog.table.horizontalHeaderItem(c).text() for c in range(len(COLUMNS))]
    assert headers == list(COLUMNS)
    rows = {
        dialog.table.item(r, 1).text(): [dialog.table.item(r, c).text() for c in range(5)]
        for r in range(dialog.table.rowCount())
    }
    # The recorded critique says flawed at the planted line on both twins.
    assert rows["catch rate (says flawed, at the planted lines)"][2:] == [
        "100%",
        "34% to 100%",
        "2 pairs",
    ]
    assert rows["verdict right on the correct twin (says acceptable)"][2] == "0%"
    assert rows["AUC over twins"][2:] == ["1.00", "—", "4 twins"]
    assert "recorded-model: 2 of 2 pairs measured." in dialog.status.text()


def test_cancel_stops_the_run_and_shows_the_pairs_done(
    qtbot: QtBot, parent: QWidget, jobs: Jobs, workspace: Workspace, tmp_path: Path
) -> None:
    two_evaluator_study(workspace, tmp_path, "X", pairs=3, seed=4, options="")
    dialog = AssistantQualityDialog(parent, _host(qtbot, jobs, workspace, 0.05), "X")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.progress.text() == "Pair 1 of 3")
    dialog.cancel_button.click()
    assert dialog.progress.text() == "Cancelling…" and not dialog.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: dialog.quality is not None, timeout=20_000)
    assert dialog.quality is not None and dialog.quality.cancelled
    assert len(dialog.quality.pairs) < 3
    assert dialog.progress.text().startswith("Cancelled after")


def test_without_a_loaded_model_the_dialog_says_so(
    qtbot: QtBot, parent: QWidget, jobs: Jobs, workspace: Workspace
) -> None:
    host = ModelHost(jobs, workspace, ModelSettings(), _Recorded())  # never loaded
    dialog = AssistantQualityDialog(parent, host, "Demo study")
    qtbot.addWidget(dialog)
    assert not dialog.running and "not loaded yet" in dialog.status.text()
    assert dialog.progress.text() == "Not started" and not dialog.cancel_button.isEnabled()


def test_a_run_that_cannot_start_is_told_as_a_message(
    qtbot: QtBot, parent: QWidget, jobs: Jobs, workspace: Workspace
) -> None:
    dialog = AssistantQualityDialog(parent, _host(qtbot, jobs, workspace, 0.0), "No such study")
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: not dialog.running)
    assert dialog.status.text().startswith("The measurement stopped: ")
    assert "No such study" in dialog.status.text() and "Traceback" not in dialog.status.text()
    assert dialog.progress.text() == "Stopped" and dialog.quality is None


# -- the status bar ------------------------------------------------------------------------------


@pytest.fixture
def window(qtbot: QtBot, workspace: Workspace, local_backend: LocalLlama) -> Iterator[MainWindow]:
    studies.ensure_demo_study(workspace)
    with open_main_window(qtbot, workspace, local_backend, size=(1280, 720)) as win:
        qtbot.waitUntil(lambda: win.start_page.loaded and win.host.ready, timeout=60_000)
        yield win


def test_the_status_bar_names_the_model_and_warns_about_the_bundled_one(
    qtbot: QtBot, window: MainWindow
) -> None:
    qtbot.waitUntil(lambda: "ready" in window.model_label.text())
    assert "SmolLM2-135M-Instruct" in window.model_label.text()
    assert window.model_warning.isVisible() and window.model_warning_icon.isVisible()
    assert window.model_warning.text() == DEMO_MODEL_WARNING
    window.host.load(model_settings(server="http://127.0.0.1:9/v1", server_model="big-model"))
    qtbot.waitUntil(lambda: window.model_label.text() == "Model: big-model ready")
    assert not window.model_warning.isVisible() and not window.model_warning_icon.isVisible()


def test_the_bundled_model_is_known_by_default_and_by_its_path(tmp_path: Path) -> None:
    bundled = model_settings()
    assert ModelSettings().uses_bundled_model() and bundled.uses_bundled_model()
    assert model_settings(model_path=bundled.local_settings().model_path).uses_bundled_model()
    assert not model_settings(model_path=tmp_path / "other.gguf").uses_bundled_model()
    assert not model_settings(server="http://127.0.0.1:9/v1").uses_bundled_model()


def test_closing_the_app_cancels_a_measurement_under_way(
    qtbot: QtBot, workspace: Workspace, tmp_path: Path
) -> None:
    QSettings("EvalStudio", "EvalStudio").clear()
    two_evaluator_study(workspace, tmp_path, "W", pairs=3, seed=4, options="")
    win = MainWindow(workspace, backend=_Recorded(0.05))
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.host.ready)
    win.owner_tools.open_assistant_quality("W")
    dialog = win.owner_tools.quality
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.progress.text() == "Pair 1 of 3")
    started = time.monotonic()
    win.close()  # waits for the model lane: within a chunk, not the whole run
    assert time.monotonic() - started < 2
    assert dialog.progress.text() == "Cancelling…"
