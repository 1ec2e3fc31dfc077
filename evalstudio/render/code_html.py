"""A code candidate as HTML: Pygments colours (inline styles), line numbers, marked lines."""

from __future__ import annotations

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import TextLexer, get_lexer_by_name
from pygments.util import ClassNotFound

from evalstudio.core.model import LineRange
from evalstudio.render.theme import LIGHT, Theme

_NUMBER = '<span style="color: {colour};">{number} │ </span>'
_MARK = '<span style="background-color: {colour};">{line}</span>'


def code_to_html(
    code: str, language: str, marked: LineRange | None = None, theme: Theme = LIGHT
) -> str:
    """Highlighted HTML of `code`, each line numbered as the model and the critique number it
    (1-based); lines in `marked` are shaded. Markup in the code is escaped by Pygments."""
    try:
        lexer = get_lexer_by_name(language, stripnl=False, ensurenl=False)
    except ClassNotFound:
        lexer = TextLexer(stripnl=False, ensurenl=False)
    # nowrap: bare lines; Pygments closes every span at the end of its line, so the output
    # can be split into lines safely.
    formatter = HtmlFormatter(
        noclasses=True, nowrap=True, nobackground=True, style=theme.pygments_style
    )
    body = highlight(code, lexer, formatter)
    lines = body.rstrip("\n").split("\n") if code else [""]
    width = len(str(len(lines)))
    rows = []
    for number, line in enumerate(lines, start=1):
        if marked is not None and marked.start <= number <= marked.end:
            line = _MARK.format(colour=theme.marked_line, line=line or " ")
        padded = str(number).rjust(width).replace(" ", "&nbsp;")
        rows.append(_NUMBER.format(colour=theme.line_number, number=padded) + line)
    return '<pre style="margin: 0;">' + "\n".join(rows) + "</pre>"
