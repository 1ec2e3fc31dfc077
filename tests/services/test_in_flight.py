"""Tasks with their requests in flight at once (services/models/in_flight.py): each task's
store work stays on the calling thread, at most `width` are open, each result belongs to its
task whatever ended first, and an interrupt cancels every request in flight and lets each
task log its own. The requests are Streams ended by timers (no model)."""

from __future__ import annotations

import threading

import pytest

from evalstudio.assist.backend import Stream
from evalstudio.core.assistance import Outcome
from evalstudio.services.models.in_flight import Ended, Steps, run_concurrently, run_steps


def _ends_after(seconds: float, text: str) -> Stream:
    stream = Stream()

    def end() -> None:
        if not stream.cancelled:
            stream.push(text)
        stream.finish(Outcome.CANCELLED if stream.cancelled else Outcome.DONE)

    threading.Timer(seconds, end).start()
    return stream


def test_results_belong_to_their_tasks_whatever_ends_first_and_the_caller_keeps_the_work() -> None:
    caller = threading.get_ident()
    open_now = 0
    most_open = 0

    def task(n: int) -> Steps[str]:
        nonlocal open_now, most_open
        assert threading.get_ident() == caller  # where the store would be touched
        open_now += 1
        most_open = max(most_open, open_now)
        first = _ends_after(0.05 * (6 - n), f"{n}a")  # later tasks end first
        yield first
        assert threading.get_ident() == caller
        second = _ends_after(0.01, f"{n}b")
        yield second
        open_now -= 1
        return first.text + second.text

    results: dict[int, str] = {}
    order: list[int] = []

    def ended(end: Ended[str]) -> None:
        assert end.error is None and end.result is not None
        results[end.index] = end.result
        order.append(end.index)

    run_concurrently([lambda n=n: task(n) for n in range(6)], 3, ended)
    assert results == {n: f"{n}a{n}b" for n in range(6)}
    assert most_open == 3
    assert order != sorted(order)  # they did end out of order
    assert run_steps(task(7)) == "7a7b"  # one at a time: the same task, the same result


def test_an_interrupt_cancels_every_request_in_flight_and_each_task_logs_its_own() -> None:
    logged: list[tuple[int, Outcome]] = []
    never: list[Stream] = []

    def task(n: int) -> Steps[int]:
        stream = _ends_after(0.05, "quick") if n == 0 else Stream()
        if n:
            never.append(stream)
            threading.Thread(target=_end_on_cancel, args=(stream,), daemon=True).start()
        try:
            yield stream
        except BaseException:
            stream.wait(5)  # cancelled by the scheduler, ended by its producer
            logged.append((n, stream.outcome))
            raise
        return n

    def ended(end: Ended[int]) -> None:
        raise KeyboardInterrupt  # Ctrl+C while the first result was being taken

    with pytest.raises(KeyboardInterrupt):
        run_concurrently([lambda n=n: task(n) for n in range(5)], 3, ended)
    assert sorted(logged) == [(1, Outcome.CANCELLED), (2, Outcome.CANCELLED)]
    assert len(never) == 2  # tasks 3 and 4 never started


def _end_on_cancel(stream: Stream) -> None:
    """A producer that ends its stream once it is cancelled."""
    while not stream.cancelled:
        threading.Event().wait(0.01)
    stream.finish(Outcome.CANCELLED)
