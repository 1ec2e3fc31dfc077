"""Rendering is inert: markup in candidates and model output is shown, never obeyed."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtWidgets import QTextBrowser
from pytestqt.qtbot import QtBot

from evalstudio.core.model import LineRange
from evalstudio.render.code_html import code_pages, code_to_html
from evalstudio.render.safe_markdown import MAX_RULES, markdown_pages, markdown_to_html
from evalstudio.render.theme import LIGHT

HOSTILE = """# Title <script>alert(1)</script>

<div onclick="steal()">a raw block</div>

Inline <b>bold</b>, ![tracker](http://evil.example/pixel.png), [run](javascript:alert(1)),
[local](file:///etc/passwd), [fine](https://example.org "t").
"""


def test_raw_html_is_escaped_and_shown_as_text() -> None:
    html = markdown_to_html(HOSTILE)
    assert "<script" not in html and "&lt;script&gt;" in html
    assert "<div onclick" not in html and "&lt;div onclick" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html


def test_images_become_their_alt_text_and_only_web_links_are_links() -> None:
    html = markdown_to_html(HOSTILE)
    assert "<img" not in html and "[image: tracker]" in html
    assert 'href="javascript' not in html and 'href="file' not in html
    # Any other target shows as the Markdown it is written in: the evaluator sees where it led.
    assert "[run](javascript:alert(1))" in html and "[local](file:///etc/passwd)" in html
    assert '<a href="https://example.org">fine</a>' in html


def test_fenced_code_is_highlighted_and_escaped() -> None:
    html = markdown_to_html("```python\nx = '<b>' if a < b else None\n```")
    assert "&lt;b&gt;" in html and "<b>" not in html
    assert "style=" in html  # inline Pygments colours


def test_code_gets_numbered_lines_and_marked_lines_are_shaded() -> None:
    code = "def f(x):\n    return x < 1\n\nprint(f(0))\n"
    html = code_to_html(code, "python", LineRange(2, 2))
    assert html.count("│") == 4
    assert html.count("background-color") == 1 and "&lt;" in html
    assert code_to_html("<script>", "no-such-language").count("&lt;script&gt;") == 1
    assert "1 │" in code_to_html("", "python")


def test_qt_fetches_nothing_while_showing_hostile_markdown(qtbot: QtBot) -> None:
    requested: list[str] = []

    class Watching(QTextBrowser):
        def loadResource(self, kind: int, url: QUrl | str) -> object:
            requested.append(str(url))
            return super().loadResource(kind, url)

    view = Watching()
    qtbot.addWidget(view)
    view.setHtml(markdown_to_html(HOSTILE))
    view.show()
    view.grab()
    assert requested == []


@pytest.mark.parametrize(
    ("text", "end"),
    [
        ("> " * 2000 + "deep", "deep"),  # beyond the nesting shown: plain text, not dropped
        ("- " * 2000 + "deep", "deep"),
        ("*" * 20000 + "end", "*end"),
        ("x" * 200_000 + "end", "xend"),  # beyond the length formatted: plain text
        ("\u202e\u200b" * 500 + "end", "\u200bend"),
        ("[" * 40_000 + "end", "[end"),  # 45 s in Python-Markdown at 20,000
        ("![a](" * 8_000 + "end", "(end"),
    ],
)
def test_pathological_markdown_renders_whole_in_a_moment(text: str, end: str) -> None:
    started = time.monotonic()
    html = markdown_to_html(text)
    assert time.monotonic() - started < 3
    assert end in html


def test_a_text_not_formatted_by_its_deadline_is_shown_plain_with_a_note() -> None:
    text = "# Title\n\nSome *prose* and `code`.\n\n" * 50
    late = markdown_pages(text, deadline=time.monotonic() - 1)
    assert late.html == ["<p><i>Shown as plain text: too slow to format.</i></p>"]
    assert "".join(late.text) == text  # whole, as written
    assert "<h1>" in markdown_pages(text, deadline=time.monotonic() + 60).html[0]


def test_code_not_coloured_by_its_deadline_is_numbered_plain_text() -> None:
    code = "def f(x):\n    return x < 1\n" * 150
    late = code_pages(code, "python", LIGHT, deadline=time.monotonic() - 1)
    assert late.html == [] and not late.wrap
    lines = "".join(late.text).split("\n")
    assert len(lines) == 300 and lines[0] == "  1 │ def f(x):"
    assert lines[-1] == "300 │     return x < 1"
    coloured = code_pages(code, "python", LIGHT, deadline=time.monotonic() + 60)
    assert len(coloured.html) == 3 and "style=" in coloured.html[0]  # pages of 100 lines


@pytest.mark.parametrize("lines", [500, 8_000])
def test_rules_and_setext_underlines_are_formatted_only_in_numbers_that_take_no_time(
    lines: int,
) -> None:
    for text in ("a\n-\n" * lines, "---\n" * lines, "b\n===\n" * lines):
        started = time.monotonic()
        pages = markdown_pages(text)
        assert time.monotonic() - started < 1  # 8,000 took Python-Markdown seconds
        assert (lines > MAX_RULES) == ("rules or underlines" in pages.html[0])
