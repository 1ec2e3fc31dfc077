"""Writing export records to files: JSON Lines, CSV for spreadsheets, and a target file that
appears only whole (docs/export-format.md)."""

from __future__ import annotations

import csv
import json
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from evalstudio.core.errors import EvalStudioError
from evalstudio.core.rubric import Question
from evalstudio.io.export_records import (
    EVENT_FIELDS,
    EVENT_TRUTH_FIELDS,
    JUDGMENT_FIELDS,
    JUDGMENT_TRUTH_FIELDS,
    Record,
)

# The CSV has no room for whole responses: the events file holds them, by id. A compare or
# rank item's order (and first pick) is also spelt in the letters of the sides shown (`B>A`),
# as a sheet shows it.
JUDGMENT_CSV_SUMMARY = (
    "assist_event_ids",
    "points_marked_valid",
    "points_marked_invalid",
    "order_sides",
    "first_order_sides",
)
JUDGMENT_CSV_TRUTH_SUMMARY = ("manipulated_responses",)

Write = Callable[[Record], None]

# Records are fresh trees, never cyclic: skipping the check saves a tenth of the time.
_encode = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode


def jsonl_writer(out: TextIO) -> Write:
    """Each record as one line of JSON (UTF-8, not ASCII-escaped)."""

    def write(record: Record) -> None:
        out.write(_encode(record) + "\n")

    return write


def judgments_csv_writer(
    out: TextIO, with_truth: bool, questions: tuple[Question, ...] = ()
) -> Write:
    """Judgment records as CSV rows: the JSONL fields, `assistance` summed up (ids and marks),
    `answers` spread into one column per rubric question (`q_<key>`)."""
    nested = ("assistance", "answers")
    columns = [f for f in JUDGMENT_FIELDS if f not in nested] + list(JUDGMENT_CSV_SUMMARY)
    columns += [f"q_{q.key}" for q in questions]
    if with_truth:
        columns += [*JUDGMENT_TRUTH_FIELDS, *JUDGMENT_CSV_TRUTH_SUMMARY]
    write_row = _csv_writer(out, columns)

    def write(record: Record) -> None:
        used = record["assistance"]
        marks = [m["mark"] for a in used for m in a["marks"]]
        summary = {
            "assist_event_ids": [a["assist_event_id"] for a in used],
            "points_marked_valid": marks.count("valid"),
            "points_marked_invalid": marks.count("invalid"),
            "order_sides": _order_sides(record["order"], record["candidates"]),
            "first_order_sides": _order_sides(record["first_order"], record["candidates"]),
        }
        if with_truth:
            summary["manipulated_responses"] = sum(a["manipulated"] for a in used)
        for key, value in record["answers"].items():
            # Options hold no ';' (core/rubric.py), so the joined list splits back exactly.
            summary[f"q_{key}"] = ";".join(value) if isinstance(value, list) else value
        write_row(record | summary)

    return write


def _order_sides(order: list[list[str]] | None, sides: list[Record]) -> str | None:
    """An order in the letters of the sides shown: `>` between tiers, `=` within a tie."""
    if order is None:
        return None
    letter = {side["candidate_id"]: side["side"] for side in sides}
    return ">".join("=".join(letter[c] for c in tier) for tier in order)


def events_csv_writer(out: TextIO, with_truth: bool) -> Write:
    """Event records as CSV rows, the same fields as the JSONL."""
    return _csv_writer(out, [*EVENT_FIELDS, *(EVENT_TRUTH_FIELDS if with_truth else ())])


def _csv_writer(out: TextIO, columns: list[str]) -> Write:
    """A header row, then one row per record: null is an empty cell, true/false are words,
    lists and objects are JSON text."""
    writer = csv.writer(out)
    writer.writerow(columns)

    def write(record: Record) -> None:
        writer.writerow([_cell(record[c]) for c in columns])

    return write


def _cell(value: Any) -> Any:
    kind = type(value)
    if kind is str or kind is int:  # most cells: no test below needs to run
        return value
    if value is None:
        return ""
    if kind is bool:
        return "true" if value else "false"
    return _encode(value)  # a list or an object


# -- the target file ------------------------------------------------------------------------------


@contextmanager
def whole_file(path: Path) -> Iterator[TextIO]:
    """A UTF-8 text file that appears at `path` only when complete: it is written next to the
    target under a temporary name and renamed over it at the end; on any failure the partial
    file is removed and `path` is left as it was."""
    where = str(path)
    if path.is_dir():
        raise EvalStudioError("is a folder; give a file name to export to", where=where)
    if not path.parent.is_dir():
        raise EvalStudioError(f"the folder {path.parent} does not exist", where=where)
    partial = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
    try:
        out = partial.open("x", encoding="utf-8", newline="")
    except OSError as e:
        raise EvalStudioError(f"cannot be written: {e.strerror or e}", where=where) from e
    try:
        with out:
            yield out
        partial.replace(path)
    except OSError as e:
        partial.unlink(missing_ok=True)
        raise EvalStudioError(f"cannot be written: {e.strerror or e}", where=where) from e
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
