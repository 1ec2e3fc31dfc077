"""A conversation candidate's earlier turns as the model is told them: in place of the task, a
fenced transcript, bounded so that a huge one cannot fill the context window.

The newest turns matter most to the answer under review, so the oldest go first, with a note
saying how many; a single turn longer than the whole budget keeps its end.
"""

from __future__ import annotations

from evalstudio.core.conversation import Turns
from evalstudio.core.fences import fenced

# About 1,500 tokens of English: within the default 4,096-token context, the system prompt
# (some 700), the answer under review and a 512-token reply still fit beside it.
MAX_TRANSCRIPT_CHARS = 6_000

INTRO = (
    "A conversation between a user and an AI assistant; the answer under review is the "
    "assistant's next turn, written in reply to the last turn below."
)


def transcript(turns: Turns, budget: int = MAX_TRANSCRIPT_CHARS) -> str:
    """INTRO, a note on the turns left out if any, and the turns fenced as data: numbered from
    1 with their role, the newest kept within `budget` characters."""
    texts = [f"[turn {n}: {t.role.value}]\n{t.content.strip()}" for n, t in enumerate(turns, 1)]
    kept: list[str] = []
    used = 0
    for text in reversed(texts):
        if used + len(text) > budget:
            break
        kept.append(text)
        used += len(text) + 2
    left_out = len(texts) - len(kept)
    if not kept and texts:  # the newest turn alone is too long: its end is what was answered
        body = turns[-1].content.strip()
        cut = len(body) - budget
        role = turns[-1].role.value
        kept = [f"[turn {len(turns)}: {role}, its first {cut:,} characters left out]\n{body[cut:]}"]
        left_out -= 1
    shown = fenced("\n\n".join(reversed(kept)))
    if not left_out:
        return f"{INTRO}\n\n{shown}"
    which = "Turn 1 is" if left_out == 1 else f"Turns 1-{left_out} are"
    note = f"({which} left out: the conversation is longer than {budget:,} characters.)"
    return f"{INTRO}\n\n{note}\n\n{shown}"
