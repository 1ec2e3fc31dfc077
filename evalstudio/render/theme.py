"""Colours of rendered code and text for a light or a dark window."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Theme:
    pygments_style: str
    line_number: str
    marked_line: str


LIGHT = Theme(pygments_style="default", line_number="#8a8a8a", marked_line="#fff3b0")
DARK = Theme(pygments_style="github-dark", line_number="#7d8590", marked_line="#5a4a00")
