"""Code as HTML: Pygments colours (inline styles), hidden characters revealed; a candidate's
lines numbered (as the model and the critique number them) and marked lines shaded.

Lines are what `str.splitlines` counts (core, the prompt and the planted flaw's lines count
so too): a form feed or U+2028 ends a line here, shown as its mark at the line's end.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from functools import cache

from pygments.lexers import TextLexer, get_lexer_by_name
from pygments.styles import get_style_by_name
from pygments.token import Text, _TokenType
from pygments.util import ClassNotFound

from evalstudio.core.model import LineRange
from evalstudio.render.hidden_chars import CODE, reveal_html, reveal_plain
from evalstudio.render.theme import LIGHT, Theme

# Beyond these the code is shown plain (no colours, marks unshaded): Qt lays out some 40,000
# styled spans a second, and one line of 10^5 coloured tokens (minified or generated code)
# takes it far longer.
MAX_HIGHLIGHTED = 200_000
MAX_HIGHLIGHTED_LINE = 10_000

_NUMBER = '<span style="color: {colour};">{number} │ </span>'
_MARK = '<span style="background-color: {colour};">{line}</span>'
_LINE_ENDS = "\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"  # str.splitlines', once \r is \n


def code_to_html(
    code: str, language: str, marked: LineRange | None = None, theme: Theme = LIGHT
) -> str:
    """Highlighted HTML of a candidate, each line numbered (1-based); lines in `marked` are
    shaded. Markup in the code is escaped."""
    lines = _lines(code, language, theme)
    width = len(str(len(lines)))
    rows = []
    for number, line in enumerate(lines, start=1):
        if marked is not None and marked.start <= number <= marked.end:
            line = _MARK.format(colour=theme.marked_line, line=line or " ")
        padded = str(number).rjust(width).replace(" ", "&nbsp;")
        rows.append(_NUMBER.format(colour=theme.line_number, number=padded) + line)
    return '<pre style="margin: 0;">' + "\n".join(rows) + "</pre>"


def code_block_html(code: str, language: str, theme: Theme = LIGHT) -> str:
    """A code block inside rendered Markdown: highlighted, not numbered."""
    return "<pre>" + "\n".join(_lines(code, language, theme)) + "</pre>"


def _lines(code: str, language: str, theme: Theme) -> list[str]:
    """One HTML fragment per line of `code` (at least one)."""
    text = code.replace("\r\n", "\n").replace("\r", "\n")
    longest = max(map(len, text.splitlines()), default=0)
    styled = len(text) <= MAX_HIGHLIGHTED and longest <= MAX_HIGHLIGHTED_LINE
    lines: list[str] = []
    line: list[str] = []
    for token, value in _tokens(text, language) if styled else [(Text, text)]:
        css = _css(theme.pygments_style, token) if styled else ""
        for piece in value.splitlines(keepends=True):
            content = piece.removesuffix("\n")  # other line ends stay, to be shown as marks
            if content and styled:
                revealed = reveal_html(content, CODE, theme)
                line.append(f'<span style="{css}">{revealed}</span>' if css else revealed)
            elif content:
                line.append(html.escape(reveal_plain(content, CODE), quote=False))
            if piece[-1] in _LINE_ENDS:
                lines.append("".join(line))
                line = []
    if line or not lines:
        lines.append("".join(line))
    return lines


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
