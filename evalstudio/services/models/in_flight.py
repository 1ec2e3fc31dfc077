"""Many model requests in flight at once, while the workspace is touched by one thread.

The workspace's SQLite connection belongs to the thread that opened it (check_same_thread
stays on), and the review services read and write it all through an item's work, in
transactions that would interleave on the one connection if two threads shared it behind a
lock. So the store is not shared: each task (an item to judge, a response to pre-generate)
is a generator run on the calling thread. It does its store work, starts a model request and
yields the request's Stream; the backend's own threads generate; when the stream ends the
generator resumes on the calling thread. `width` generators are open at once, so that many
requests are in flight, while every read and write still happens on one thread, one
transaction at a time, and a task's result depends only on its own requests (seeded), never
on which ended first.
"""

from __future__ import annotations

import queue
from collections.abc import Callable, Generator, Iterable
from contextlib import suppress
from dataclasses import dataclass
from typing import Generic, TypeVar

from evalstudio.assist.backend import Stream
from evalstudio.core.assistance import AssistEvent
from evalstudio.services.assistance.assistant import AssistRun

T = TypeVar("T")
# A task: yields each request's stream and is resumed once it has ended; returns its result.
Steps = Generator[Stream, None, T]

POLL_SECONDS = 0.2  # the longest a wait lasts before Ctrl+C is looked at again


@dataclass(frozen=True)
class Ended(Generic[T]):
    """A task that ended: its result, or the error it raised, and how many are still open."""

    index: int  # of the task, in the order given
    result: T | None
    error: Exception | None
    in_flight: int


def run_steps(steps: Steps[T]) -> T:
    """Run one task to its end, waiting for each of its requests in turn."""
    try:
        stream = next(steps)
        while True:
            try:
                stream.wait()
            except BaseException as e:  # an interrupt: the task cancels and logs, then raises
                stream = steps.throw(e)
            else:
                stream = steps.send(None)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]


def run_concurrently(
    tasks: Iterable[Callable[[], Steps[T]]],
    width: int,
    on_end: Callable[[Ended[T]], None],
) -> None:
    """Run the tasks with up to `width` of them open at once, started in the order given;
    `on_end` hears each as it ends (an Exception a task raises is handed over, not raised).
    An interrupt (or an error `on_end` raises) cancels every request in flight, lets each
    open task log its own as cancelled, and is raised."""
    pending = iter(enumerate(tasks))
    open_tasks: dict[int, tuple[Steps[T], Stream]] = {}
    ended: queue.SimpleQueue[int] = queue.SimpleQueue()

    def advance(index: int, steps: Steps[T], started: bool) -> None:
        """Run the task on to its next request, or to its end."""
        try:
            stream = steps.send(None) if started else next(steps)
        except StopIteration as stop:
            on_end(Ended(index, stop.value, None, len(open_tasks)))
            return
        except Exception as e:
            on_end(Ended(index, None, e, len(open_tasks)))
            return
        open_tasks[index] = (steps, stream)
        stream.when_ended(lambda _: ended.put(index))

    def fill() -> None:
        while len(open_tasks) < max(1, width):
            found = next(pending, None)
            if found is None:
                return
            index, start = found
            steps = start()
            advance(index, steps, started=False)

    try:
        fill()
        while open_tasks:
            try:
                index = ended.get(timeout=POLL_SECONDS)
            except queue.Empty:
                continue
            steps, _ = open_tasks.pop(index)
            advance(index, steps, started=True)
            fill()
    except BaseException as interrupt:
        for _, stream in open_tasks.values():
            stream.cancel()  # all at once: none waits for another's next token
        for steps, _ in open_tasks.values():
            with suppress(BaseException):  # each task logs its request and raises it again
                steps.throw(interrupt)
        raise


def awaited(run: AssistRun) -> Steps[AssistEvent]:
    """An assistance request as a step: its completed log row once it ended; on an interrupt
    the request is cancelled and logged as cancelled."""
    try:
        yield run.stream
    except BaseException:
        run.cancel()
        run.wait()
        raise
    return run.wait()
