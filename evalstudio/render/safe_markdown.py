"""Markdown (from candidates, prompts and model output) to HTML that is shown, never obeyed.

Raw HTML in the source is escaped and shown as text; images become their alt text (nothing is
fetched); links keep only http, https and mailto targets; fenced code is highlighted by
Pygments with inline styles (Qt's text views have no stylesheet for classes).
"""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import markdown
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

from evalstudio.render.theme import LIGHT, Theme

SAFE_SCHEMES = {"http", "https", "mailto"}


class _Inert(Treeprocessor):
    def run(self, root: ET.Element) -> None:
        for parent in root.iter():
            for child in list(parent):
                if child.tag == "img":
                    _replace_with_text(parent, child, f"[image: {child.get('alt') or ''}]")
                elif child.tag == "a":
                    href = child.get("href", "")
                    if urlsplit(href.strip()).scheme.lower() not in SAFE_SCHEMES:
                        child.attrib.pop("href", None)
                    child.attrib.pop("title", None)


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
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        md.treeprocessors.register(_Inert(md), "evalstudio_inert", 0)


def markdown_to_html(text: str, theme: Theme = LIGHT) -> str:
    """Inert HTML for `text`: formatting kept, markup and remote resources defused."""
    codehilite = {"noclasses": True, "guess_lang": False, "pygments_style": theme.pygments_style}
    converter = markdown.Markdown(
        extensions=["fenced_code", "codehilite", "tables", "sane_lists", _SafeExtension()],
        extension_configs={"codehilite": codehilite},
        output_format="html",
    )
    try:
        return converter.convert(text)
    except RecursionError:
        # Nesting deeper than the parser can follow (e.g. 2,000 nested list markers): show the
        # source as plain text rather than fail.
        return f"<pre>{html.escape(text)}</pre>"
