"""The documented fields of each export format, read from docs/export-format.md's tables, and
a check that a record has exactly them (the doc-driven tests of test_exports.py and
test_comparison_exports.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

DOC = Path(__file__).resolve().parents[2] / "docs" / "export-format.md"


def documented(heading: str) -> list[list[tuple[str, str]]]:
    """The (field, type) rows of each table in the section of docs/export-format.md that
    starts with `heading`, up to the next heading."""
    lines = DOC.read_text(encoding="utf-8").splitlines()
    start = lines.index(heading) + 1
    tables: list[list[tuple[str, str]]] = []
    for line in lines[start:]:
        if line.startswith("#"):
            break
        if line.startswith("|---"):  # under a table's header row
            tables.append([])
        elif line.startswith("| `") and tables:
            name, kind, _ = (c.strip() for c in line.strip().strip("|").split("|"))
            tables[-1].append((name.strip("`"), kind))
    return tables


def fields(heading: str, with_truth: bool = False) -> list[tuple[str, str]]:
    tables = documented(heading)
    return tables[0] + (tables[1] if with_truth else [])


def assert_conforms(value: dict[str, Any], schema: list[tuple[str, str]], where: str) -> None:
    """The record has exactly the documented fields, in order, each of its documented type."""
    assert list(value) == [name for name, _ in schema], where
    for name, kind in schema:
        assert _of_type(value[name], kind), f"{where}.{name} = {value[name]!r} is not {kind}"


def _of_type(value: Any, kind: str) -> bool:
    allowed = kind.split(" or ")
    if value is None:
        return "null" in allowed
    types = {"string": str, "integer": int, "boolean": bool, "list": list, "object": dict}
    return any(
        isinstance(value, types[t]) and not (t == "integer" and isinstance(value, bool))
        for t in allowed
        if t != "null"
    )
