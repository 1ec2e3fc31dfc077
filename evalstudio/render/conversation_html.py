"""A conversation candidate's transcript as inert HTML: each turn under its number and role,
its content rendered by safe_markdown, then a marked row naming the evaluated turn, whose text
is the candidate shown (and judged) in its own pane.

One page per turn, so Qt takes a long transcript in a turn at a time (render.pages). A turn
longer than MAX_SHOWN_TURN is shown cut, with a note: the evaluator reads context, not megabytes
(the model is told the newest turns whole, within its own budget: assist/transcript.py).
"""

from __future__ import annotations

import html

from evalstudio.core.conversation import Role, Turns
from evalstudio.render.pages import Pages
from evalstudio.render.safe_markdown import markdown_block
from evalstudio.render.theme import LIGHT, Theme

MAX_SHOWN_TURN = 100_000
ROLE_LABELS = {Role.USER: "User", Role.ASSISTANT: "Assistant", Role.SYSTEM: "System"}


def evaluated_label(turns: Turns) -> str:
    """The evaluated turn named in words, e.g. "turn 5 of 5: Assistant"."""
    count = len(turns) + 1
    return f"turn {count} of {count}: {ROLE_LABELS[Role.ASSISTANT]}"


def conversation_pages(turns: Turns, theme: Theme = LIGHT, deadline: float | None = None) -> Pages:
    """The turns before the evaluated one, a page each, and the evaluated turn's marker."""
    pages = [_turn(n, turn.role, turn.content, theme, deadline) for n, turn in enumerate(turns, 1)]
    # A table cell, because Qt's rich text gives a background to table cells, not to blocks.
    pages.append(
        f'<table width="100%" cellspacing="0" cellpadding="6" bgcolor="{theme.evaluated_turn}">'
        f"<tr><td><b>▶ Evaluated {evaluated_label(turns)}</b> — the answer under review, "
        "in the pane below: select its flaws there.</td></tr></table>"
    )
    return Pages(pages)


def _turn(number: int, role: Role, content: str, theme: Theme, deadline: float | None) -> str:
    cut = ""
    if len(content) > MAX_SHOWN_TURN:
        rest = len(content) - MAX_SHOWN_TURN
        content = content[:MAX_SHOWN_TURN]
        cut = f"<p><i>… {rest:,} more characters of this turn are not shown.</i></p>"
    label = html.escape(f"Turn {number} · {ROLE_LABELS[role]}")
    return (
        f'<p style="margin-top: 8px; margin-bottom: 0;"><b>{label}</b></p>'
        f'<div style="margin-left: 14px;">{markdown_block(content, theme, deadline)}{cut}</div>'
    )
