"""Markdown (from candidates, prompts and model output) to HTML that is shown, never obeyed.

Python-Markdown with fenced code, tables and sane lists. Raw HTML is shown as text; images
become words (nothing is fetched); only http, https and mailto targets make links (any other
shows as the Markdown it is written in); code is highlighted by code_html; hidden characters
are shown as shaded marks (hidden_chars). Python-Markdown's inline parser takes time growing
with the square of the open brackets in a paragraph (20,000 "[" took 45 s), and Qt lays out
deep nesting and huge texts slowly: such texts are shown whole as plain text, with a note. So
are texts whose rules and setext underlines would take it seconds (it reads the rest of a
paragraph again at each), and any text not formatted by the deadline a view gives it.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import markdown
from markdown.blockparser import BlockParser
from markdown.blockprocessors import BlockProcessor
from markdown.extensions import Extension
from markdown.extensions.fenced_code import FencedBlockPreprocessor
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor

from evalstudio.render.code_html import code_block_html
from evalstudio.render.hidden_chars import CODE, TEXT, marks, reveal_plain
from evalstudio.render.pages import Pages, TooSlow, chunks, past, text_pages
from evalstudio.render.theme import LIGHT, Theme

SAFE_SCHEMES = {"http", "https", "mailto"}
# Qt lays out some 40,000 styled spans a second: 50,000 characters stay within about a second.
MAX_FORMATTED = 50_000
# Open brackets outside code: 1,000 take Python-Markdown about 0.1-0.5 s, 4,000 up to 7 s.
MAX_BRACKETS = 1_000
# Qt wraps a run of 200,000 characters without a space at once, one of 300,000 in 7 s, and
# slower and slower beyond: a plain text holding a longer run is not wrapped.
MAX_WRAPPED_RUN = 100_000
# Deeper than this, Qt would indent the text off the screen.
MAX_NESTING = 40
# Lines that can be a rule or a setext underline ("---", "==="): Python-Markdown takes one off
# a paragraph at a time and reads the rest again: 12,000 took 11 s, 1,000 up to 0.5 s, 500 up
# to 0.1 s.
MAX_RULES = 500
_RULE = re.compile(r"^ {0,3}(?:=+|-+|(?:[-*_][ \t]*){3,})[ \t]*$", re.MULTILINE)
_FENCE = FencedBlockPreprocessor.FENCED_BLOCK_RE
# Python-Markdown marks its stash placeholders with STX and ETX: the source's own are shown as
# marks before parsing (they could otherwise name a placeholder), the parser's are left alone.
_STASH = "\x02\x03"


def _but_stash(hidden: re.Pattern[str]) -> re.Pattern[str]:
    one = hidden.pattern.removesuffix("+")  # the patterns are one character class, repeated
    return re.compile(f"(?:(?![{_STASH}]){one})+")


_TEXT, _CODE = _but_stash(TEXT), _but_stash(CODE)


class _TooDeep(Exception):
    pass


class _Fences(Preprocessor):
    """Fenced code as code_html draws it (hidden characters revealed, long lines plain)."""

    def __init__(self, md: markdown.Markdown, theme: Theme, deadline: float | None) -> None:
        super().__init__(md)
        self.theme, self.deadline = theme, deadline

    def run(self, lines: list[str]) -> list[str]:
        text = "\n".join(lines)
        while found := _FENCE.search(text):
            code, language = found.group("code"), found.group("lang") or ""
            block = code_block_html(code, language, self.theme, self.deadline)
            placeholder = self.md.htmlStash.store(block)
            text = f"{text[: found.start()]}\n{placeholder}\n{text[found.end() :]}"
        return text.split("\n")


class _Deadline(BlockProcessor):
    """Looks at the deadline before each block the parser takes; takes none itself."""

    def __init__(self, parser: BlockParser, deadline: float | None) -> None:
        super().__init__(parser)
        self.deadline = deadline

    def test(self, parent: ET.Element, block: str) -> bool:
        past(self.deadline)
        return False


class _Inert(Treeprocessor):
    """Images as words, links only to safe schemes, hidden characters as shaded marks, and a
    refusal of nesting deeper than MAX_NESTING."""

    def __init__(self, md: markdown.Markdown, theme: Theme, deadline: float | None) -> None:
        super().__init__(md)
        self.style = f"color: {theme.revealed}; background-color: {theme.revealed_background};"
        self.deadline = deadline

    def run(self, root: ET.Element) -> None:
        self._defuse(root, 0)

    def _defuse(self, parent: ET.Element, depth: int) -> None:
        if depth > MAX_NESTING:
            raise _TooDeep
        past(self.deadline)
        for child in list(parent):
            if child.tag == "img":
                src, alt = child.get("src", ""), child.get("alt") or ""
                web = _scheme(src) in ("http", "https")
                _replace_with_text(parent, child, f"[image: {alt}]" if web else f"![{alt}]({src})")
            elif child.tag == "a" and _scheme(child.get("href", "")) not in SAFE_SCHEMES:
                label, href = "".join(child.itertext()), child.get("href", "")
                written = f"<{href}>" if label == href else f"[{label}]({href})"  # autolink
                _replace_with_text(parent, child, written)
            else:
                child.attrib.pop("title", None)  # a tooltip could name another target
                self._defuse(child, depth + 1)
        self._reveal(parent)

    def _reveal(self, element: ET.Element) -> None:
        """Hidden characters in the element's text and its children's tails, as marks."""
        hidden = _CODE if element.tag == "code" else _TEXT
        if element.text and hidden.search(element.text):
            head, spans = self._split(element.text, hidden)
            element.text = head
            for offset, span in enumerate(spans):
                element.insert(offset, span)
        for child in list(element):
            if child.tail and hidden.search(child.tail):
                head, spans = self._split(child.tail, hidden)
                child.tail = head
                at = list(element).index(child) + 1
                for offset, span in enumerate(spans):
                    element.insert(at + offset, span)

    def _split(self, text: str, hidden: re.Pattern[str]) -> tuple[str, list[ET.Element]]:
        """The text before the first hidden run, and a shaded span per run (its tail: the text
        up to the next run)."""
        parts = hidden.split(text)
        runs = hidden.findall(text)
        spans = []
        for run, after in zip(runs, parts[1:], strict=True):
            span = ET.Element("span", {"style": self.style})
            span.text, span.tail = marks(run), after
            spans.append(span)
        return parts[0], spans


def _scheme(url: str) -> str:
    try:
        return urlsplit(url.strip()).scheme.lower()
    except ValueError:  # e.g. a malformed IPv6 host
        return ""


def _replace_with_text(parent: ET.Element, child: ET.Element, text: str) -> None:
    index = list(parent).index(child)
    tail = text + (child.tail or "")
    parent.remove(child)
    if index == 0:
        parent.text = (parent.text or "") + tail
    else:
        previous = parent[index - 1]
        previous.tail = (previous.tail or "") + tail


class _SafeExtension(Extension):
    def __init__(self, theme: Theme, deadline: float | None) -> None:
        super().__init__()
        self.theme, self.deadline = theme, deadline

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        md.preprocessors.register(_Fences(md, self.theme, self.deadline), "evalstudio_fences", 25)
        md.parser.blockprocessors.register(
            _Deadline(md.parser, self.deadline), "evalstudio_deadline", 1000
        )
        md.treeprocessors.register(_Inert(md, self.theme, self.deadline), "evalstudio_inert", 0)


def markdown_to_html(text: str, theme: Theme = LIGHT) -> str:
    """Inert HTML for `text`: formatting kept, markup and remote resources defused."""
    why = _unformatted(text)
    return _plain_html(text, why) if why else _convert(text, theme, None)


def markdown_pages(text: str, theme: Theme = LIGHT, deadline: float | None = None) -> Pages:
    """markdown_to_html in pages: a text shown plain comes as text (a million lines in pages);
    one not formatted by `deadline` (time.monotonic) is shown plain."""
    why = _unformatted(text)
    try:
        return _plain_pages(text, why) if why else Pages([_convert(text, theme, deadline)])
    except TooSlow:
        return _plain_pages(text, "too slow to format")


def markdown_block(text: str, theme: Theme = LIGHT, deadline: float | None = None) -> str:
    """markdown_to_html within `deadline`, as one piece of HTML (a part of a page, such as a
    conversation's turn): a text that is not formatted in time is shown plain."""
    why = _unformatted(text)
    try:
        return _plain_html(text, why) if why else _convert(text, theme, deadline)
    except TooSlow:
        return _plain_html(text, "too slow to format")


def _unformatted(text: str) -> str | None:
    """Why `text` is shown plain at once, if it is: the cases that would take seconds."""
    if len(text) > MAX_FORMATTED:
        return f"longer than {MAX_FORMATTED:,} characters"
    if _FENCE.sub("", text).count("[") > MAX_BRACKETS:
        return f"more than {MAX_BRACKETS:,} brackets to format"
    if len(_RULE.findall(text)) > MAX_RULES:
        return f"more than {MAX_RULES:,} rules or underlines to format"
    return None


def _convert(text: str, theme: Theme, deadline: float | None) -> str:
    converter = markdown.Markdown(
        extensions=["tables", "sane_lists", _SafeExtension(theme, deadline)], output_format="html"
    )
    try:
        return converter.convert(re.sub(f"[{_STASH}]", lambda m: marks(m.group()), text))
    except (_TooDeep, RecursionError):
        return _plain_html(text, "nested deeper than Markdown is shown")


def _note(why: str) -> str:
    return f"<p><i>Shown as plain text: {why}.</i></p>"


def _wraps(text: str) -> bool:
    return all(max(map(len, c.split()), default=0) <= MAX_WRAPPED_RUN for c in chunks(text))


def _plain_html(text: str, why: str) -> str:
    """The whole text as it is written, in a fixed-width font; hidden characters as unshaded
    marks (Qt lays out a text of many spans slowly)."""
    wrap = "pre-wrap" if _wraps(text) else "pre"
    body = html.escape(reveal_plain(text, TEXT), quote=False)
    # Qt, as HTML does, drops a line end just after <pre> and one just before </pre>.
    return f'{_note(why)}<pre style="white-space: {wrap}; margin: 0;">\n{body}\n</pre>'


def _plain_pages(text: str, why: str) -> Pages:
    """_plain_html in pages: the note, then the text."""
    lines = text_pages(text, lambda chunk: reveal_plain(chunk, TEXT))
    return Pages([_note(why)], lines, wrap=_wraps(text))
