"""Rendering is inert: markup in candidates and model output is shown, never obeyed."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QTextBrowser
from pytestqt.qtbot import QtBot

from evalstudio.core.model import LineRange
from evalstudio.render.code_html import code_to_html
from evalstudio.render.safe_markdown import markdown_to_html

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


def test_images_become_their_alt_text_and_only_web_links_keep_a_target() -> None:
    html = markdown_to_html(HOSTILE)
    assert "<img" not in html and "[image: tracker]" in html
    assert "javascript:" not in html and "file:" not in html
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
        def loadResource(self, kind: int, url: object) -> object:
            requested.append(str(url))
            return super().loadResource(kind, url)

    view = Watching()
    qtbot.addWidget(view)
    view.setHtml(markdown_to_html(HOSTILE))
    view.show()
    view.grab()
    assert requested == []


@pytest.mark.parametrize(
    "text",
    ["> " * 2000 + "deep", "- " * 2000 + "deep", "*" * 20000, "x" * 200_000, "\u202e\u200b" * 500],
)
def test_pathological_markdown_renders(text: str) -> None:
    assert isinstance(markdown_to_html(text), str)
