"""The one way work leaves the GUI thread: two ordered lanes, results back on the GUI thread.

Anki's idea (CollectionOp): a job is a function run in the background and a callback run on
the GUI thread with its result. The DATA lane runs database work one job at a time in the
order submitted, so a read queued after a write sees it. The MODEL lane loads the model and
streams responses; it is separate so a long generation never delays a save.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from enum import Enum
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Qt, Signal

T = TypeVar("T")
log = logging.getLogger(__name__)


class Lane(Enum):
    DATA = "data"
    MODEL = "model"


class Jobs(QObject):
    """Runs jobs on their lane's thread; `done(result)` or `failed(error)` run on the GUI thread.

    A job without `failed` reports its error to `on_error` (the window shows it).
    """

    _finished = Signal(object)

    def __init__(self, on_error: Callable[[BaseException], None]) -> None:
        super().__init__()
        self._on_error = on_error
        self._lanes = {
            lane: ThreadPoolExecutor(1, thread_name_prefix=f"evalstudio-{lane.value}")
            for lane in Lane
        }
        self._pending = 0
        self.closed = False
        self._finished.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    def run(
        self,
        lane: Lane,
        work: Callable[[], T],
        done: Callable[[T], None] | None = None,
        failed: Callable[[BaseException], None] | None = None,
    ) -> Future[None]:
        self._pending += 1

        def job() -> None:
            try:
                result: Any = work()
            except BaseException as error:  # delivered to the GUI thread, never lost
                self._finished.emit((failed or self._on_error, error, True))
            else:
                self._finished.emit((done, result, False))

        return self._lanes[lane].submit(job)

    @property
    def idle(self) -> bool:
        """No job is queued, running, or waiting for its callback."""
        return self._pending == 0

    def shutdown(self, last: dict[Lane, Callable[[], None]]) -> None:
        """Finish every queued job, run each lane's `last` job on it, and stop the threads.
        Callbacks of jobs that finish during shutdown are dropped: their widgets are closing."""
        self.closed = True
        for lane, executor in self._lanes.items():
            if lane in last:
                executor.submit(last[lane])
            executor.shutdown(wait=True)

    def _deliver(self, outcome: tuple[Callable[[Any], None] | None, Any, bool]) -> None:
        callback, value, is_error = outcome
        self._pending -= 1
        if self.closed:
            return
        if is_error and not isinstance(value, Exception):
            log.error("background job ended by %r", value)
        if callback is None:
            return
        try:
            callback(value)
        except Exception as error:  # a callback's bug reaches the user, not only a log
            log.exception("callback of a background job failed")
            if callback is not self._on_error:
                self._on_error(error)
