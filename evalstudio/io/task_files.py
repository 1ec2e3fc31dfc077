"""Reads task files (JSONL, CSV) into raw records numbered by the line they start on.

Decoding keeps undecodable bytes as surrogate escapes so that one bad byte costs one row, not
the file: the record checks then name the field that holds it.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

from evalstudio.core.errors import EvalStudioError, Problem
from evalstudio.core.task_records import GIVEN_BY_MESSAGES, REQUIRED_FIELDS

# A record is one answer under review; beyond this it is a mistake (a log file, a dump).
MAX_RECORD_BYTES = 4 * 1024 * 1024

RawRow = tuple[int, dict[str, object]] | Problem

# JSON strings cannot hold a raw CR or LF, but may hold U+2028, U+0085 and others that
# str.splitlines also breaks at: a record is a physical line, ended by LF, CRLF or CR only.
_LINE_END = re.compile(r"\r\n?|\n")


def read_task_file(path: Path) -> Iterator[RawRow]:
    """Yield (line, record) for each record of a .jsonl or .csv file, or a Problem for a bad one."""
    suffix = path.suffix.lower()
    if suffix not in (".jsonl", ".ndjson", ".csv"):
        raise EvalStudioError(
            f"unknown file type '{suffix or '(none)'}': use .jsonl or .csv", where=str(path)
        )
    try:
        data = path.read_bytes()
    except OSError as e:
        raise EvalStudioError(f"cannot be read: {e.strerror}", where=str(path)) from e
    text = data.decode("utf-8", errors="surrogateescape").removeprefix("\ufeff")
    if suffix == ".csv":
        yield from _csv_rows(text)
    else:
        yield from _jsonl_rows(text)


def _too_long(line: int, size: int) -> Problem:
    return Problem(
        line,
        None,
        f"record is {size / 1e6:.1f} MB; a record may be at most {MAX_RECORD_BYTES / 1e6:.1f} MB",
    )


def _jsonl_rows(text: str) -> Iterator[RawRow]:
    for number, line in enumerate(_LINE_END.split(text), start=1):
        if not line.strip():
            continue
        if len(line) > MAX_RECORD_BYTES:
            yield _too_long(number, len(line.encode("utf-8", errors="surrogateescape")))
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as e:
            yield Problem(number, None, f"not valid JSON: {e.msg} (column {e.colno})")
            continue
        except ValueError:  # Python's int() refuses integer strings over 4,300 digits
            yield Problem(number, None, "holds a number of more than 4,300 digits")
            continue
        except RecursionError:
            yield Problem(number, None, "is nested too deeply to read")
            continue
        if not isinstance(value, dict):
            yield Problem(
                number, None, f"a record must be a JSON object, not {type(value).__name__}"
            )
            continue
        yield number, value


def _csv_rows(text: str) -> Iterator[RawRow]:
    csv.field_size_limit(MAX_RECORD_BYTES)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        yield Problem(1, None, "the file is empty (a CSV needs a header row)")
        return
    except csv.Error as e:
        yield Problem(1, None, f"header is not valid CSV: {e}")
        return
    header = [h.strip() for h in header]
    # A file of conversations may leave out the columns its `messages` give; a file of
    # several answers per record, the `candidate` column.
    given: tuple[str, ...] = GIVEN_BY_MESSAGES if "messages" in header else ()
    given += ("candidate",) if "candidates" in header else ()
    missing = [f for f in REQUIRED_FIELDS if f not in header and f not in given]
    if missing:
        for name in missing:
            yield Problem(1, name, "required column is missing from the header")
        return
    start = reader.line_num + 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            # The csv module cannot resync after a broken quote or an oversized field.
            yield Problem(start, None, f"not valid CSV, reading stopped here: {e}")
            return
        line, start = start, reader.line_num + 1
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            yield Problem(line, None, f"row has {len(cells)} cells, the header has {len(header)}")
            continue
        # An empty optional cell means "not given"; an empty required one is reported as empty.
        yield (
            line,
            {
                name: value
                for name, value in zip(header, cells, strict=True)
                if value != "" or name in REQUIRED_FIELDS
            },
        )
