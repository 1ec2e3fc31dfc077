"""Active time on an item: time with the window focused and input within the last minute."""

from __future__ import annotations

IDLE_AFTER_S = 60.0


class ActiveClock:
    """Counts active seconds from input and focus moments (any monotonic clock, in seconds).

    Time counts while the window has focus, up to IDLE_AFTER_S after the last input; an
    evaluator who walks away stops the clock a minute later, and the next input restarts it.
    """

    def __init__(self, at: float, *, focused: bool = True, already_ms: int = 0) -> None:
        self._banked = already_ms / 1000
        self._focused = focused
        self._last_input = at
        self._since = at  # counted up to here

    def input(self, at: float) -> None:
        self._settle(at)
        self._last_input = at

    def focus(self, focused: bool, at: float) -> None:
        self._settle(at)
        self._focused = focused
        if focused:
            self._last_input = at  # coming back to the window is a sign of attention

    def active_ms(self, at: float) -> int:
        self._settle(at)
        return int(self._banked * 1000)

    def idle(self, at: float) -> bool:
        return not self._focused or at - self._last_input >= IDLE_AFTER_S

    def _settle(self, at: float) -> None:
        if self._focused:
            active_until = min(at, self._last_input + IDLE_AFTER_S)
            if active_until > self._since:
                self._banked += active_until - self._since
        self._since = max(self._since, at)
