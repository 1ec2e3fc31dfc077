"""A critique streaming in: the status says when the first token is in, the points show as
they form (read from the partial JSON), no raw JSON runs off to the side, and the raw text is
there behind "Show raw output"."""

from __future__ import annotations

import json

from pytestqt.qtbot import QtBot

from evalstudio.core.assistance import AssistKind, CritiquePoint
from evalstudio.services.assistance.assistant import forming_critique_of
from evalstudio.ui.model_host import LiveResponse
from evalstudio.ui.review.assistant_panel import AssistantPanel

CANDIDATE = "def f(items):\n    lo, hi = 0, len(items) - 1\n    return lo\n"
CLAIMS = ("The upper bound skips the last element.", "It returns lo, never the index found.")
WHOLE = json.dumps(
    {
        "points": [
            {"quote": q, "line_start": n, "line_end": n, "severity": "major", "claim": c}
            for n, q, c in (
                (2, "lo, hi = 0, len(items) - 1", CLAIMS[0]),
                (3, "return lo", CLAIMS[1]),
            )
        ],
        "verdict": "flawed",
    }
)


def _chunks(text: str, size: int = 7) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def test_points_appear_as_the_critique_streams_without_a_sideways_scrollbar(
    qtbot: QtBot,
) -> None:
    panel = AssistantPanel()
    qtbot.addWidget(panel)
    panel.resize(480, 600)
    panel.show()
    panel.set_model_ready(True)
    panel.reset([], {}, CANDIDATE)
    live = LiveResponse("item", AssistKind.CRITIQUE, None)
    panel.add_live(live, None)
    qtbot.waitUntil(lambda: "waiting for the first token" in panel.status.text())

    shown_first_alone = False
    for chunk in _chunks(WHOLE):
        live.text += chunk  # what the MODEL lane does, token by token
        live.chunks += 1
        expected = forming_critique_of(live.text).points
        # The status says so at the next repaint after the first token.
        qtbot.waitUntil(
            lambda e=expected: "waiting" not in panel.status.text() and _claims_shown(panel, e)
        )
        transcript = panel.response_view.toPlainText()
        assert '"points"' not in transcript  # no raw JSON in the transcript
        assert panel.response_view.horizontalScrollBar().maximum() == 0
        if CLAIMS[0] in transcript and CLAIMS[1][:6] not in transcript:
            shown_first_alone = True
    assert shown_first_alone  # the first point was there before the second began
    assert CLAIMS[1] in panel.response_view.toPlainText()

    assert not panel.raw_view.isVisible()
    panel.raw_toggle.setChecked(True)
    assert panel.raw_view.isVisible() and panel.raw_view.toPlainText() == WHOLE
    assert not panel.response_view.isVisible()  # in its place: no room lost on a small screen
    panel.raw_toggle.setChecked(False)
    assert not panel.raw_view.isVisible() and panel.response_view.isVisible()


def _claims_shown(panel: AssistantPanel, points: tuple[CritiquePoint, ...]) -> bool:
    transcript = panel.response_view.toPlainText()
    return all(p.claim in transcript for p in points)


def test_a_partial_claim_counts_and_junk_never_raises() -> None:
    cut = WHOLE[: WHOLE.index(CLAIMS[0]) + 10]
    (point,) = forming_critique_of(cut).points
    assert point.claim == CLAIMS[0][:10].strip()
    assert forming_critique_of('{"points": [{"claim": 3').points == ()
    assert forming_critique_of("no json here, line 2 is wrong.").points  # free text still read
