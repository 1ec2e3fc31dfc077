"""A frozen-window detector: the longest interval between 10 ms ticks of a Qt timer while
something happens. The bench measures the real figure (< 50 ms here); this catches a frozen
event loop (frozen 4.5 to 33 s before the fixes it guards).

Python's cyclic collector is held off while it measures: a full collection of the whole
suite's heap is no work of the window's, and in CI one took the largest interval past a
second on its own (a render step here is < 0.1 s)."""

from __future__ import annotations

import gc
import itertools
import time
from collections.abc import Callable

from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

# Ten times the largest step measured alone; well under the shortest freeze it guards (4.5 s).
GAP = 1.0


def largest_gap(qtbot: QtBot, act: Callable[[], object], done: Callable[[], bool]) -> float:
    """The longest interval between heartbeat ticks from `act` until `done`."""
    gc.collect()
    gc.disable()
    ticks: list[float] = []
    heartbeat = QTimer()
    heartbeat.setInterval(10)
    heartbeat.timeout.connect(lambda: ticks.append(time.perf_counter()))
    try:
        heartbeat.start()
        ticks.append(time.perf_counter())
        act()
        qtbot.waitUntil(done, timeout=120_000)
        ticks.append(time.perf_counter())
    finally:
        heartbeat.stop()
        gc.enable()
    return max(b - a for a, b in itertools.pairwise(ticks))
