"""Mapping a selection in rendered text back to character offsets in its Markdown source."""

from __future__ import annotations

from bisect import bisect_right
from difflib import SequenceMatcher

from evalstudio.core.model import Span


def source_span(source: str, rendered: str, start: int, end: int) -> Span | None:
    """The span of `source` that the selection `rendered[start:end]` shows, or None.

    Rendering drops Markdown syntax (`**`, `#`, list markers) and may change whitespace, so the
    two texts are aligned character by character; the selection's ends map to the source
    characters they were rendered from. A selection of only rendering artefacts maps to None.
    """
    if not 0 <= start < end <= len(rendered):
        return None
    matcher = SequenceMatcher(None, rendered, source, autojunk=False)
    blocks = [b for b in matcher.get_matching_blocks() if b.size]
    starts = [b.a for b in blocks]

    def inside(position: int, last: bool) -> int | None:
        """The source offset of rendered character `position`, or None if it matches none."""
        i = bisect_right(starts, position) - 1
        if i >= 0 and position < blocks[i].a + blocks[i].size:
            return blocks[i].b + position - blocks[i].a
        # An unmatched character: snap inward to the nearest matched one in the selection.
        if last:
            ok = i >= 0 and blocks[i].a + blocks[i].size - 1 >= start
            return blocks[i].b + blocks[i].size - 1 if ok else None
        return blocks[i + 1].b if i + 1 < len(blocks) and blocks[i + 1].a < end else None

    first = inside(start, last=False)
    final = inside(end - 1, last=True)
    if first is None or final is None or final < first:
        return None
    return Span(first, final + 1)


def rendered_offsets(source: str, rendered: str, offsets: list[int]) -> list[int | None]:
    """Where each source offset shows in `rendered` (the other way from `source_span`): the
    rendered position of that character, or of the next source character that is shown (a
    `**` or a list marker shows nothing); None past the last shown one. One alignment for
    all the offsets, since aligning costs far more than looking up."""
    matcher = SequenceMatcher(None, source, rendered, autojunk=False)
    blocks = [b for b in matcher.get_matching_blocks() if b.size]
    starts = [b.a for b in blocks]
    found: list[int | None] = []
    for offset in offsets:
        i = bisect_right(starts, offset) - 1
        if i >= 0 and offset < blocks[i].a + blocks[i].size:
            found.append(blocks[i].b + offset - blocks[i].a)
        elif i + 1 < len(blocks):
            found.append(blocks[i + 1].b)
        else:
            found.append(None)
    return found
