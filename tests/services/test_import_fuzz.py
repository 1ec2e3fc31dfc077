"""Any task file, JSONL or CSV, gives an import report or a refusal that names the file, and
each bad row's line and field, never a crash; a refused import leaves the workspace exactly as
it was, and --skip-invalid then imports exactly the rows the refusal did not name."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from support.builders import pair, record, write_jsonl
from support.fuzz_settings import FUZZ
from support.fuzz_workspace import Pristine

from evalstudio.core.errors import EvalStudioError, ImportRejected
from evalstudio.core.task_records import ALL_FIELDS
from evalstudio.io.task_files import MAX_RECORD_BYTES
from evalstudio.services.studies.importing import import_tasks
from evalstudio.services.workspace.opening import Workspace

pytestmark = pytest.mark.fuzz

# Ids already in the study, so that a record can clash with one.
HELD_IDS = ("held", "heldpair-ok", "heldpair-bug")
# How the importer numbers lines: a line ends at LF, CRLF or CR (a record spans lines in CSV).
LINE_END = re.compile(rb"\r\n?|\n")
# The fields the records below hold that the format does not know (a typo of flaw_lines).
UNKNOWN_FIELDS = ("extra", "flaw_line")
# In a well-formed file, the only problems of a whole row rather than of one of its fields:
# a record too large (in CSV, a cell past the csv module's limit, where reading stops).
ROW_PROBLEMS = ("record is ", "not valid CSV, reading stopped here: field larger than")

# Text as files carry it: any Unicode (NUL, line and paragraph separators, right-to-left),
# and U+DCFF, which the writers below put into the file as the byte 0xff (invalid UTF-8).
_valid_chars = st.characters(codec="utf-8") | st.sampled_from("\x00\u2028\u0085\u202e")
_text = st.text(_valid_chars | st.just("\udcff"), max_size=12)


@pytest.fixture
def pristine(workspace: Workspace, tmp_path: Path) -> Pristine:
    """The workspace with the study "Fuzz" holding a record and a pair already."""
    write_jsonl(tmp_path / "held.jsonl", [record("held"), *pair("heldpair")])
    import_tasks(workspace, tmp_path / "held.jsonl", "Fuzz")
    return Pristine(workspace, tmp_path)


# --- writing files ---------------------------------------------------------------------------


def _raw(text: str) -> bytes:
    return text.encode("utf-8", errors="surrogateescape")


def _jsonl(records: list[dict[str, object]]) -> bytes:
    return b"".join(_raw(json.dumps(r, ensure_ascii=False)) + b"\n" for r in records)


def _cell(value: object) -> str:
    """A value as a CSV cell: what a spreadsheet would hold for it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list) and len(value) == 2:
        return f"{value[0]}-{value[1]}"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _csv(records: list[dict[str, object]]) -> tuple[bytes, list[int]]:
    """The CSV file of the records, and the line each record starts on."""
    header = list(dict.fromkeys(k for r in records for k in r))
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(header)
    starts = []
    for r in records:
        starts.append(len(LINE_END.split(_raw(out.getvalue()))))
        writer.writerow([_cell(r.get(name)) for name in header])
    return _raw(out.getvalue()), starts


# --- the check every example makes ---------------------------------------------------------


@dataclass(frozen=True)
class Expect:
    """What a refusal of a file of known records must say beyond its form: a problem on
    `line` naming `field` (None: nothing in particular), and whether every problem names a
    field (the file's rows are well-formed) and how many records it holds."""

    records: int | None = None
    line: int | None = None
    field: str | None = None
    fields_named: bool = False


def _import(pristine: Pristine, path: Path, expect: Expect) -> None:
    """Import the file: a report, or a refusal that names the file, each bad row's line and
    field and left the workspace unchanged; --skip-invalid then takes the rows not named."""
    lines = len(LINE_END.split(path.read_bytes()))
    workspace = pristine.workspace
    try:
        try:
            report = import_tasks(workspace, path, "Fuzz")
        except ImportRejected as e:
            event("refused by row")
            assert pristine.unchanged()
            _names_every_problem(e, path, lines, expect)
            skipped = import_tasks(workspace, path, "Fuzz", skip_invalid=True)
            assert skipped.problems == e.problems
            if expect.records is not None:
                assert skipped.items + skipped.skipped_rows == expect.records
        except EvalStudioError as e:
            event("refused whole")
            assert e.where == str(path) and str(e).startswith(f"{path}: ")
            assert pristine.unchanged()
        else:
            event("imported")
            assert not report.problems
            assert expect.line is None, f"line {expect.line} ({expect.field}) was let through"
            if expect.records is not None:
                assert report.items == expect.records
    finally:
        pristine.restore()


def _names_every_problem(e: ImportRejected, path: Path, lines: int, expect: Expect) -> None:
    message = str(e)
    assert message.startswith(f"{path}: ") and e.problems
    for problem in e.problems:
        assert 1 <= problem.line <= lines
        assert problem.describe(str(path)) in message
        if expect.fields_named and problem.field is None:
            assert problem.message.startswith(ROW_PROBLEMS), problem
        elif expect.fields_named:
            assert problem.field in (*ALL_FIELDS, *UNKNOWN_FIELDS), problem
    if expect.line is not None:
        named = {(p.line, p.field) for p in e.problems}
        assert (expect.line, expect.field) in named, (expect, e.problems)


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# --- any records, any bytes ------------------------------------------------------------------

_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 50),
    _text,
    st.lists(st.integers(-2, 40), max_size=3),
    st.sampled_from(["code", "text", "correct", "flawed", "major", "3-5", "p1", "p2", "held"]),
)
_records = st.dictionaries(st.sampled_from([*ALL_FIELDS, *UNKNOWN_FIELDS]), _values, max_size=10)


@FUZZ
@given(records=st.lists(_records, min_size=1, max_size=6))
def test_any_jsonl_records_are_imported_or_refused_by_line(
    pristine: Pristine, tmp_path: Path, records: list[dict[str, object]]
) -> None:
    path = _write(tmp_path, "t.jsonl", _jsonl(records))
    _import(pristine, path, Expect(records=len(records), fields_named=True))


@FUZZ
@given(records=st.lists(_records, min_size=1, max_size=6))
def test_any_csv_records_are_imported_or_refused_by_line(
    pristine: Pristine, tmp_path: Path, records: list[dict[str, object]]
) -> None:
    data, _ = _csv(records)
    _import(pristine, _write(tmp_path, "t.csv", data), Expect(fields_named=True))


# JSON as it goes wrong: cut, doubled, nested past any limit, numbers past int()'s 4,300 digits.
_FRAGMENTS = [
    '{"id": "a", "prompt": "p", "candidate": "c", "kind": "code"}',
    "{",
    "}",
    "[",
    "]",
    '"id"',
    '"flaw_lines"',
    ":",
    ",",
    " ",
    "\n",
    "\r",
    "\u2028",
    '"',
    "\\",
    "9" * 5000,
    "1e999",
    "NaN",
    "[" * 3000,
    '{"a":' * 3000,
    "null",
]
_jsonish = st.lists(st.sampled_from(_FRAGMENTS) | _text, max_size=30).map("".join)


@FUZZ
@given(
    data=st.binary(max_size=400) | _jsonish.map(_raw), suffix=st.sampled_from([".jsonl", ".csv"])
)
def test_any_bytes_are_imported_or_refused_by_line(
    pristine: Pristine, tmp_path: Path, data: bytes, suffix: str
) -> None:
    header = b"id,prompt,candidate,kind\n" if suffix == ".csv" else b""
    _import(pristine, _write(tmp_path, f"t{suffix}", header + data), Expect())


# --- well-formed records with one thing wrong ------------------------------------------------

_line_text = st.text(_valid_chars, min_size=1, max_size=12).filter(str.strip)


@st.composite
def _valid_records(draw: st.DrawFn) -> list[dict[str, object]]:
    """One to six good records: singles and pairs, code and text, each with its own task."""
    records: list[dict[str, object]] = []
    for n in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["code", "text"]))
        truth = draw(st.sampled_from([None, "correct", "flawed"]))
        candidate = draw(_line_text)
        single = record(f"s{n}", prompt=f"{n}. {draw(_line_text)}", kind=kind, language=None)
        single["candidate"] = candidate
        if truth is not None:
            single["truth"] = truth
            single["gold"] = draw(st.booleans())
        if truth == "flawed":
            single["flaw_description"] = draw(_line_text)
            if kind == "code":
                single["flaw_lines"] = [1, len(candidate.splitlines())]
        records.append(single)
    for n in range(draw(st.integers(0 if records else 1, 2))):
        records += pair(f"p{n}", prompt=f"pair {n}: {draw(_line_text)}")
    return draw(st.permutations(records))


@dataclass(frozen=True)
class Corruption:
    """One thing made wrong in good records: `kind`, on record `index`, with the field and
    value it gets, or the record whose id it takes."""

    kind: str
    index: int
    field: str = ""
    value: object = None
    other: int = 0


_bad_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.lists(st.integers(-3, 10**20), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    _text,
    st.sampled_from(["", "   ", "\x00", "a\udcffb", "x" * 201, "0-3", "5-2", "٣", "9" * 5000]),
    st.sampled_from(["code", "text", "correct", "flawed", "critical", "yes", "held", "p0"]),
    st.sampled_from([100_000, MAX_RECORD_BYTES + 1]).map(lambda n: "x" * n),
)


@st.composite
def _corruption(draw: st.DrawFn, records: list[dict[str, object]]) -> Corruption:
    index = draw(st.integers(0, len(records) - 1))
    kinds = ["value", "value", "duplicate id", "held id"]
    if "pair_id" in records[index]:
        kinds.append("missing twin")
    if records[index].get("truth") == "flawed":
        kinds.append("flaw out of range")
    kind = draw(st.sampled_from(kinds))
    if kind == "value":
        field = draw(st.sampled_from([*ALL_FIELDS, *UNKNOWN_FIELDS]))
        return Corruption(kind, index, field, draw(_bad_values))
    if kind == "duplicate id":
        return Corruption(kind, index, other=draw(st.integers(0, len(records) - 1)))
    if kind == "flaw out of range":
        text = str(records[index]["candidate"])
        code = records[index]["kind"] == "code"
        count = len(text.splitlines()) if code else len(text)
        field = "flaw_lines" if code else "flaw_span"
        start = draw(st.integers(0, 1) if code else st.integers(0, 0))
        return Corruption(kind, index, field, [start, count + draw(st.integers(1, 10**30))])
    return Corruption(kind, index)


def _wrong_type(field: str, value: object) -> bool:
    """Whether the importer must refuse `value` in `field` of a JSON record for its type."""
    if value is None or value == "":
        return False
    if field == "gold":
        return not isinstance(value, bool | str)
    if field in ("flaw_lines", "flaw_span"):
        whole = isinstance(value, int) and not isinstance(value, bool)
        two = isinstance(value, list) and len(value) == 2
        return not (whole or two or isinstance(value, str))
    return field in ALL_FIELDS and not isinstance(value, str)


def _corrupt(
    records: list[dict[str, object]], c: Corruption, jsonl: bool
) -> tuple[list[dict[str, object]], int | None, str | None]:
    """The records made wrong, and the record (index) and field a refusal must name, if any."""
    found = [dict(r) for r in records]
    target = found[c.index]
    if c.kind == "value":
        target[c.field] = c.value
        if isinstance(c.value, str) and "\udcff" in c.value:
            return found, c.index, c.field  # invalid UTF-8 in any field, known or not
        if c.field not in ALL_FIELDS and c.value not in (None, ""):
            return found, c.index, c.field
        return found, (c.index if jsonl and _wrong_type(c.field, c.value) else None), c.field
    if c.kind == "duplicate id":
        if c.other == c.index:
            return found, None, None
        target["id"] = found[c.other]["id"]
        return found, max(c.other, c.index), "id"
    if c.kind == "held id":
        target["id"] = HELD_IDS[c.index % len(HELD_IDS)]
        return found, c.index, "id"
    if c.kind == "missing twin":
        twin = next(r for r in found if r is not target and r.get("pair_id") == target["pair_id"])
        found.remove(twin)
        return found, found.index(target), "pair_id"
    target[c.field] = c.value
    return found, c.index, c.field


@FUZZ
@given(data=st.data(), jsonl=st.booleans())
def test_good_records_with_one_thing_wrong_are_refused_at_that_line_and_field(
    pristine: Pristine, tmp_path: Path, data: st.DataObject, jsonl: bool
) -> None:
    records = data.draw(_valid_records())
    corruption = data.draw(_corruption(records))
    bad, index, field = _corrupt(records, corruption, jsonl)
    if jsonl:
        path = _write(tmp_path, "t.jsonl", _jsonl(bad))
        line = None if index is None else index + 1
    else:
        text, starts = _csv(bad)
        path = _write(tmp_path, "t.csv", text)
        line = None if index is None else starts[index]
    big = isinstance(corruption.value, str) and len(corruption.value) > MAX_RECORD_BYTES
    expect = Expect(
        records=len(bad) if jsonl else None,
        line=None if big else line,  # a record too large is refused whole, by no field
        field=field,
        fields_named=True,
    )
    _import(pristine, path, expect)


def test_the_good_records_import_whole(workspace: Workspace, tmp_path: Path) -> None:
    """The baseline of the corruptions above: good records, as these writers write them, are
    taken whole."""
    records = [record("s0", candidate="x\u2028y\x00"), *pair("p0")]
    assert import_tasks(workspace, _write(tmp_path, "t.jsonl", _jsonl(records)), "A").items == 3
    text, _ = _csv(records)
    assert import_tasks(workspace, _write(tmp_path, "t.csv", text), "B").items == 3
