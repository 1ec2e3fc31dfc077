"""Code as HTML: Pygments colours (inline styles), hidden characters revealed; a candidate's
lines numbered (as the model and the critique number them) and marked lines shaded.

Lines are what `str.splitlines` counts (core, the prompt and the planted flaw's lines count
so too): a form feed or U+2028 ends a line here, shown as its mark at the line's end.

A view takes code in a page at a time (`code_pages`, render.pages); past a deadline, or too long
to colour, it comes as plain text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from functools import cache

from pygments.lexers import TextLexer, get_lexer_by_name
from pygments.styles import get_style_by_name
from pygments.token import Text, _TokenType
from pygments.util import ClassNotFound

from evalstudio.core.model import LineRange
from evalstudio.render.hidden_chars import CODE, reveal_html, reveal_plain
from evalstudio.render.pages import PAGE_LINES, Pages, TooSlow, chunks, past, split_lines
from evalstudio.render.theme import LIGHT, Theme

# Beyond these the code is shown plain (no colours, marks unshaded): Qt lays out some 40,000
# styled spans a second, and one line of 10^5 coloured tokens (minified or generated code)
# takes it far longer.
MAX_HIGHLIGHTED = 200_000
MAX_HIGHLIGHTED_LINE = 10_000
_TOKENS_BETWEEN_LOOKS = 2_000  # tokens lexed between two looks at the deadline

_NUMBER = '<span style="color: {colour};">{number} │ </span>'
_MARK = '<span style="background-color: {colour};">{line}</span>'
_LINE_ENDS = "\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"  # str.splitlines', once \r is \n
_OTHER_LINE_ENDS = re.compile(f"[{_LINE_ENDS[1:]}]")


def code_to_html(
    code: str, language: str, marked: LineRange | None = None, theme: Theme = LIGHT
) -> str:
    """Highlighted HTML of a candidate, each line numbered (1-based); lines in `marked` are
    shaded. Markup in the code is escaped."""
    text = _newlines(code)
    lines = _lines(text, language, theme, None) or _plain_lines(text, escaped=True)
    return '<pre style="margin: 0;">' + "\n".join(_rows(lines, marked, theme)) + "</pre>"


def code_pages(code: str, language: str, theme: Theme, deadline: float | None) -> Pages:
    """code_to_html (nothing marked) in pages; code too long to colour, or not coloured by
    `deadline`, comes as plain text, its lines numbered all the same."""
    text = _newlines(code)
    try:
        lines = _lines(text, language, theme, deadline)
    except TooSlow:
        lines = None
    if lines is None:
        return Pages([], _numbered_text(text), wrap=False)
    rows = _rows(lines, None, theme)
    return Pages(
        [
            '<pre style="margin: 0;">' + "\n".join(rows[start : start + PAGE_LINES]) + "</pre>"
            for start in range(0, len(rows), PAGE_LINES)
        ]
    )


def code_block_html(
    code: str, language: str, theme: Theme = LIGHT, deadline: float | None = None
) -> str:
    """A code block inside rendered Markdown: highlighted, not numbered; TooSlow past
    `deadline`."""
    text = _newlines(code)
    lines = _lines(text, language, theme, deadline) or _plain_lines(text, escaped=True)
    return "<pre>" + "\n".join(lines) + "</pre>"


def _rows(lines: list[str], marked: LineRange | None, theme: Theme) -> list[str]:
    width = len(str(len(lines)))
    rows = []
    for number, line in enumerate(lines, start=1):
        if marked is not None and marked.start <= number <= marked.end:
            line = _MARK.format(colour=theme.marked_line, line=line or " ")
        padded = str(number).rjust(width).replace(" ", "&nbsp;")
        rows.append(_NUMBER.format(colour=theme.line_number, number=padded) + line)
    return rows


def _newlines(code: str) -> str:
    return code.replace("\r\n", "\n").replace("\r", "\n")


def _lines(text: str, language: str, theme: Theme, deadline: float | None) -> list[str] | None:
    """One HTML fragment per line of `text` (at least one), coloured; None when too long to
    colour; TooSlow past `deadline`."""
    if len(text) > MAX_HIGHLIGHTED:  # first: splitting megabytes would hold the window
        return None
    if max(map(len, text.splitlines()), default=0) > MAX_HIGHLIGHTED_LINE:
        return None
    lines: list[str] = []
    line: list[str] = []
    for count, (token, value) in enumerate(_tokens(text, language)):
        if count % _TOKENS_BETWEEN_LOOKS == 0:
            past(deadline)
        css = _css(theme.pygments_style, token)
        for piece in value.splitlines(keepends=True):
            content = piece.removesuffix("\n")  # other line ends stay, to be shown as marks
            if content:
                revealed = reveal_html(content, CODE, theme)
                line.append(f'<span style="{css}">{revealed}</span>' if css else revealed)
            if piece[-1] in _LINE_ENDS:
                lines.append("".join(line))
                line = []
    if line or not lines:
        lines.append("".join(line))
    return lines


def _plain_lines(text: str, escaped: bool) -> list[str]:
    """The lines of `text` as _lines splits them, uncoloured, hidden characters as unshaded
    marks; by whole-text operations, not one a line: a million lines in a fraction of a second."""
    lines = split_lines(text, lambda chunk: _uncoloured(chunk, escaped))
    return lines[:-1] if len(lines) > 1 and not lines[-1] else lines


def _uncoloured(chunk: str, escaped: bool) -> str:
    ended = _OTHER_LINE_ENDS.sub("\\g<0>\n", chunk)  # each still ends its line, as a mark
    revealed = reveal_plain(ended, CODE)
    return html.escape(revealed, quote=False) if escaped else revealed


def _numbered_text(text: str) -> list[str]:
    """_plain_lines numbered, as text pages; made a chunk at a time (a list of a million lines
    is freed in one go when the render returns, and the window would wait 50 ms for it)."""
    count = text.count("\n") + sum(1 for _ in _OTHER_LINE_ENDS.finditer(text)) + 1
    count -= 1 if count > 1 and text[-1] in _LINE_ENDS else 0  # no line after the last end
    width = len(str(count))
    pages: list[str] = []
    page: list[str] = []
    number = 0
    for chunk in chunks(text):
        lines = _uncoloured(chunk, escaped=False).split("\n")
        for line in lines[:-1] if chunk.endswith("\n") else lines:  # the last: the next's
            if number == count:
                break
            number += 1
            page.append(f"{number:>{width}} │ {line}")
            if len(page) == PAGE_LINES:
                pages.append(("\n" if pages else "") + "\n".join(page))
                page = []
    if page:
        pages.append(("\n" if pages else "") + "\n".join(page))
    return pages


def _tokens(text: str, language: str) -> Iterator[tuple[_TokenType, str]]:
    """The lexer's tokens, each run of hidden characters one token (lexers split a run into
    one error token a character: it would be marked whole, never counted)."""
    try:
        lexer = get_lexer_by_name(language)
    except ClassNotFound:
        lexer = TextLexer()
    run_token, run = Text, ""
    # Unprocessed: the lexer's own preprocessing would drop a leading BOM unseen.
    for _, token, value in lexer.get_tokens_unprocessed(text):
        if CODE.fullmatch(value):
            run_token, run = (run_token, run + value) if run else (token, value)
            continue
        if run:
            yield run_token, run
            run = ""
        yield token, value
    if run:
        yield run_token, run


@cache
def _css(style_name: str, token: _TokenType) -> str:
    """The inline style of a token, as Pygments' HTML formatter would write it."""
    style = get_style_by_name(style_name).style_for_token(token)
    parts = [f"color: #{style['color']}"] if style["color"] else []
    parts += ["font-weight: bold"] if style["bold"] else []
    parts += ["font-style: italic"] if style["italic"] else []
    parts += ["text-decoration: underline"] if style["underline"] else []
    parts += [f"background-color: #{style['bgcolor']}"] if style["bgcolor"] else []
    return "; ".join(parts)
