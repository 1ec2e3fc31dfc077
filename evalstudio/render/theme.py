"""Colours of rendered code and text for a light or a dark window."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Theme:
    pygments_style: str
    line_number: str
    marked_line: str
    revealed: str  # a hidden character shown as a mark (render/hidden_chars.py): text colour
    revealed_background: str
    evaluated_turn: str  # a conversation's turn under review: background of its marker


LIGHT = Theme(
    pygments_style="default",
    line_number="#8a8a8a",
    marked_line="#fff3b0",
    revealed="#8a4b00",
    revealed_background="#fbe9d0",
    evaluated_turn="#dcebff",
)
DARK = Theme(
    pygments_style="github-dark",
    line_number="#7d8590",
    marked_line="#5a4a00",
    revealed="#f0b072",
    revealed_background="#3d2a14",
    evaluated_turn="#1d3a5c",
)
