"""What a planted flaw changed: the lines (code) or characters (text) of the flawed twin that
differ from the correct one, and a diff to read."""

from __future__ import annotations

from difflib import SequenceMatcher, unified_diff

from evalstudio.core.model import LineRange, Span


def changed_lines(correct: str, flawed: str) -> LineRange | None:
    """The lines of `flawed` (1-based, inclusive) from the first to the last that differ from
    `correct`; a pure deletion marks the line after it. None when the two are the same."""
    a, b = correct.splitlines(), flawed.splitlines()
    blocks = [
        (j1, j2)
        for tag, _i1, _i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
        if tag != "equal"
    ]
    if not blocks:
        return None
    last_line = max(len(b), 1)
    start = min(blocks[0][0] + 1, last_line)
    end = min(max(blocks[-1][1], blocks[-1][0] + 1), last_line)
    return LineRange(start, max(start, end))


def changed_span(correct: str, flawed: str) -> Span | None:
    """The characters of `flawed` from the first to the last that differ from `correct`; a
    pure deletion marks the character after it (the last one at the end). None when equal."""
    if correct == flawed or not flawed:
        return None
    limit = min(len(correct), len(flawed))
    start = 0
    while start < limit and correct[start] == flawed[start]:
        start += 1
    suffix = 0
    while suffix < limit - start and correct[-1 - suffix] == flawed[-1 - suffix]:
        suffix += 1
    end = len(flawed) - suffix
    if end <= start:  # nothing added here: only deleted
        start = min(start, len(flawed) - 1)
        end = start + 1
    return Span(start, end)


def similarity(correct: str, flawed: str) -> float:
    """How much of the two texts' lines agree (0 to 1): a targeted perturbation keeps most."""
    a, b = correct.splitlines(), flawed.splitlines()
    return SequenceMatcher(None, a, b, autojunk=False).ratio() if a or b else 1.0


def diff_text(correct: str, flawed: str) -> str:
    """A unified diff of the twins, for the owner to read."""
    lines = unified_diff(
        correct.splitlines(keepends=True),
        flawed.splitlines(keepends=True),
        fromfile="correct",
        tofile="flawed",
    )
    # A last line without a newline would run into the next line of the diff; mark it the
    # way diff(1) does.
    return "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
    )
