"""Characters that would make a text display differently from what it holds, shown as marks.

Controls (a terminal would act on the ESC of an ANSI colour; a view shows nothing) become
their names: "\\x1b[31m" reads "⟦ESC⟧[31m". Bidi overrides and isolates (which reorder a
line: "Trojan Source"), zero-width and other invisible characters, and tag characters
(invisible text a model still reads) become their code points: "⟦U+202E⟧".

Code is revealed strictly: every invisible character, since one in an identifier or a string
changes what the code does. Prose keeps the invisible characters real scripts and emoji need
(zero-width joiners, bidi marks, variation selectors) and reveals controls, bidi overrides and
tags, none of which prose needs.
"""

from __future__ import annotations

import html
import re

from evalstudio.render.theme import Theme

# C0 controls but tab, line feed and carriage return (both views end lines at those), DEL, C1.
_CONTROLS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
_BIDI_OVERRIDES = "\u202a-\u202e\u2066-\u2069"
_BIDI_MARKS = "\u061c\u200e\u200f"
_TAGS = "\U000e0000-\U000e007f"
_INVISIBLE = (
    "\u00ad\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200d\u2028\u2029\u2060-\u2064"
    "\u206a-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff9-\ufffb\U0001d173-\U0001d17a"
    "\U000e0100-\U000e01ef"
)

MARKED_RUN = 8  # hidden characters in a row shown each by its mark; the rest are counted
# Runs, not single characters: a run is one shaded span (a megabyte of them stays one span).
CODE = re.compile(f"[{_CONTROLS}{_BIDI_OVERRIDES}{_BIDI_MARKS}{_TAGS}{_INVISIBLE}]+")
TEXT = re.compile(f"[{_CONTROLS}{_BIDI_OVERRIDES}{_TAGS}]+")


# Named, not drawn as Unicode's control pictures (␛): many fonts have no glyph for those.
_CONTROL_NAMES = (
    "NUL SOH STX ETX EOT ENQ ACK BEL BS HT LF VT FF CR SO SI "
    "DLE DC1 DC2 DC3 DC4 NAK SYN ETB CAN EM SUB ESC FS GS RS US"
)
_MARKS = {chr(code): f"⟦{name}⟧" for code, name in enumerate(_CONTROL_NAMES.split())}
_MARKS["\x7f"] = "⟦DEL⟧"


def marks(chars: str) -> str:
    """The visible stand-ins of a run of hidden characters: control names, or code points;
    a long run is counted after its first marks (a megabyte of marks takes Qt seconds)."""
    shown = "".join(_MARKS.get(c) or f"⟦U+{ord(c):04X}⟧" for c in chars[:MARKED_RUN])
    rest = len(chars) - MARKED_RUN
    return shown + (f"⟦…and {rest:,} more⟧" if rest > 0 else "")


def reveal_plain(text: str, hidden: re.Pattern[str]) -> str:
    """`text` with the hidden characters that `hidden` matches replaced by their marks."""
    return hidden.sub(lambda m: marks(m.group()), text)


def reveal_html(text: str, hidden: re.Pattern[str], theme: Theme) -> str:
    """`text` as HTML (escaped), its hidden characters as marks shaded so that they cannot be
    taken for characters the text holds."""
    style = f"color: {theme.revealed}; background-color: {theme.revealed_background};"
    return hidden.sub(
        lambda m: f'<span style="{style}">{marks(m.group())}</span>',
        html.escape(text, quote=False),
    )
