"""A session package damaged on its way back, by bytes or by hand in an SQLite tool, is merged
or refused with one line naming the file, never another error; a refused file leaves the
owner's workspace exactly as it was, and no merge changes the file sent. Opening the damaged
package gives its evaluator's session or a refusal naming it."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from support.fuzz_settings import FUZZ
from support.fuzz_workspace import Pristine
from support.scripted_study import log_request
from support.study_builders import two_evaluator_study

from evalstudio.core.assistance import AssistKind
from evalstudio.core.errors import EvalStudioError, SessionError
from evalstudio.core.model import LineRange, Severity, Verdict
from evalstudio.core.review import FlawSource, JudgmentForm, PointMark, ReportedFlaw, Stage
from evalstudio.services.review.session import ReviewSession
from evalstudio.services.sessions.merge import merge_file
from evalstudio.services.sessions.package import export_package, package_of
from evalstudio.services.workspace.evaluators import list_evaluators
from evalstudio.services.workspace.opening import Workspace, open_workspace

pytestmark = pytest.mark.fuzz

Cell = tuple[str, int, str]  # table, rowid, column


@dataclass(frozen=True)
class Returned:
    """The owner's workspace as it was when Ada's package was written; the package with her
    work in it; its cells by table with the JSON they hold, and every value either file holds
    (ids, times, names)."""

    owner: Path
    package: Path
    cells: dict[str, list[Cell]]
    json_cells: dict[Cell, object]
    values: list[object]

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """A failing example's report names the package, not every cell of it."""
        printer.text(f"Returned({self.package})")


@pytest.fixture(scope="session")
def returned(tmp_path_factory: pytest.TempPathFactory) -> Returned:
    """Built once per session without the model: a study without the misleading condition
    needs no pre-generation; its stored critiques are logged as the assistance service writes
    them. Ada judges one item in the owner's workspace, then in the package she is shown
    critiques, marks a point, asks in the chat, judges with a flaw from a critique, leaves a
    draft and undoes her last judgment."""
    folder = tmp_path_factory.mktemp("returned")
    owner = open_workspace(folder / "owner.sqlite")
    study, _ = two_evaluator_study(
        owner,
        folder,
        "Fuzz",
        pairs=6,
        seed=3,
        options='conditions = ["unassisted", "assisted"]\npregenerated = true\n',
    )
    ada = next(e for e in list_evaluators(owner) if e.name == "Ada")
    session = ReviewSession(owner, study, ada)
    for n, entry in enumerate(session.queue):
        if entry.condition.assisted:
            log_request(owner, f"pre-{n}", entry.item.item_id, None, pregenerated=True)
    first = session.queue[0].item.item_id
    session.opened(first)
    session.submit(first, Stage.FINAL, JudgmentForm(Verdict.ACCEPTABLE, 6, 4, rationale="fine"))
    package = export_package(owner, "Fuzz", "Ada", folder / "ada.evs").path
    owner.close()
    _work_in_package(package)
    cells, json_cells = _cells(package)
    return Returned(folder / "owner.sqlite", package, cells, json_cells, _values(folder))


def _work_in_package(path: Path) -> None:
    opened = open_workspace(path)
    found = package_of(opened)
    assert found is not None
    session = ReviewSession(opened, found.study, found.evaluator)
    rest = session.queue[1:]
    for n, entry in enumerate(rest):
        item = entry.item.item_id
        session.opened(item)
        event_id = None
        if entry.condition.assisted:
            stored = session.stored_response(entry, AssistKind.CRITIQUE, "m")
            assert stored is not None
            session.shown(item, stored.id)
            session.mark_point(item, stored.id, 0, PointMark.VALID)
            event_id = stored.id
            chat = [{"role": "user", "content": "Is line 2 right?"}]
            log_request(opened, f"live-{n}", item, found.evaluator.id, kind="chat", chat=chat)
        if entry is rest[-1]:
            session.save_draft(item, Stage.FINAL, JudgmentForm(Verdict.FLAWED, rationale="hm"))
            continue
        flaw = ReportedFlaw(
            Severity.MAJOR,
            "subtracts",
            lines=LineRange(2, 2),
            source=FlawSource.ASSISTANT if event_id else FlawSource.OWN,
            assist_event_id=event_id,
            point_index=0 if event_id else None,
        )
        session.submit(item, Stage.FINAL, JudgmentForm(Verdict.FLAWED, 3, 2, flaws=(flaw,)))
    session.undo_last()
    opened.close()


def _tables(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    return [name for (name,) in rows if not name.startswith("sqlite_")]


def _cells(package: Path) -> tuple[dict[str, list[Cell]], dict[Cell, object]]:
    """The cells of each table that has rows; and the JSON objects and arrays cells hold."""
    conn = sqlite3.connect(package)
    cells: dict[str, list[Cell]] = {}
    json_cells: dict[Cell, object] = {}
    for table in _tables(conn):
        columns = [row[1] for row in conn.execute(f"PRAGMA table_info([{table}])")]
        for rowid, *row in conn.execute(f"SELECT rowid, * FROM [{table}]"):
            for column, value in zip(columns, row, strict=True):
                cells.setdefault(table, []).append((table, rowid, column))
                if isinstance(value, str) and value[:1] in ("{", "["):
                    json_cells[(table, rowid, column)] = json.loads(value)
    conn.close()
    return cells, json_cells


def _values(folder: Path) -> list[object]:
    """Every short value of both files: an edit that moves one elsewhere makes a reference
    dangle, or point at another evaluator's item, or a time land in the wrong column."""
    values: set[object] = set()
    for name in ("owner.sqlite", "ada.evs"):
        conn = sqlite3.connect(folder / name)
        for table in _tables(conn):
            for row in conn.execute(f"SELECT * FROM [{table}]"):
                values.update(v for v in row if v is not None and len(str(v)) <= 200)
        conn.close()
    return sorted(values, key=repr)


@pytest.fixture
def pristine(returned: Returned, workspace_path: Path, tmp_path: Path) -> Iterator[Pristine]:
    """A copy of the owner's workspace, kept as it is for every example."""
    shutil.copyfile(returned.owner, workspace_path)
    owner = Workspace.open(workspace_path)
    yield Pristine(owner, tmp_path)
    owner.close()


def _merge_and_open(pristine: Pristine, package: Path) -> None:
    """Merge the package: merged, or refused naming it with the workspace as it was; the file
    sent unchanged either way. Then open it: the session, or a refusal naming it."""
    sent = package.read_bytes()
    try:
        try:
            merge_file(pristine.workspace, package)
            event("merged")
        except SessionError as e:
            event("refused")
            assert str(e).startswith(f"{package}: ") and "\n" not in str(e), e
            assert pristine.unchanged(), e
        assert package.read_bytes() == sent
    finally:
        pristine.restore()
    try:
        opened = open_workspace(package)
        try:
            package_of(opened)
        finally:
            opened.close()
    except EvalStudioError as e:
        assert e.where == str(package), e


# --- bytes -----------------------------------------------------------------------------------

_OPS = st.sampled_from(["flip", "cut", "insert", "set"])


# The header, the first page (the schema's text), anywhere.
_WHERE = st.integers(0, 99) | st.integers(0, 4095) | st.integers(0, 2**20)


@FUZZ
@given(changes=st.lists(st.tuples(_OPS, _WHERE, st.binary(min_size=1)), min_size=1, max_size=4))
def test_a_package_with_bytes_flipped_cut_or_added_is_merged_or_refused_by_name(
    pristine: Pristine,
    returned: Returned,
    tmp_path: Path,
    changes: list[tuple[str, int, bytes]],
) -> None:
    data = bytearray(returned.package.read_bytes())
    for op, at, some in changes:
        at %= len(data) + 1
        if op == "flip":
            data[at % len(data)] ^= 1 << some[0] % 8
        elif op == "cut":
            del data[at:]
        elif op == "insert":
            data[at:at] = some
        else:
            data[at : at + len(some)] = some
        if not data:
            data = bytearray(some)
    package = tmp_path / "returned.evs"
    package.write_bytes(bytes(data))
    _merge_and_open(pristine, package)


# --- edits in an SQLite tool -----------------------------------------------------------------


_huge = st.sampled_from([10**4, 10**6]).map(lambda n: "x" * n)
_text = st.text(st.characters(codec="utf-8"), max_size=20)
_json = st.sampled_from(
    [
        "[]",
        "{}",
        "null",
        "not JSON",
        '{"verdict": "flawed", "active_ms": 1e999}',
        '{"verdict": "maybe"}',
        '{"flaws": [{"severity": "major", "lines": [9, 2]}]}',
        '{"backend": "local", "model_id": "m", "max_tokens": 1e999, "temperature": 0}',
        '{"backend": "local", "model_id": "m", "max_tokens": "x", "temperature": 0}',
        "[" * 5000,
        '{"a": ' * 3000 + "1" + "}" * 3000,
        "9" * 5000,
    ]
)


# Words other columns hold: in the wrong column, a value no reader expects there.
_words = st.sampled_from(
    [
        *("human", "model", "first", "final", "flawed", "acceptable", "assisted", "misleading"),
        *("critique", "chat", "done", "open", "valid", "major", "", " "),
    ]
)
# Leaves that break a reader: beyond any int (inf), not a number, the wrong type, empty.
_json_breakers: st.SearchStrategy[object] = st.sampled_from(
    [float("inf"), float("-inf"), float("nan"), 10**100, "x" * 10**4, None, True, "", -1, [], {}]
)
_json_values = st.recursive(
    _json_breakers | st.integers() | st.floats() | _words,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_words, inner, max_size=3),
    max_leaves=6,
)


@st.composite
def _json_mutant(draw: st.DrawFn, original: object) -> object:
    """`original` with one value somewhere inside it replaced (or the whole of it)."""
    if not isinstance(original, dict | list) or not original or not draw(st.integers(0, 3)):
        return draw(_json_breakers | _json_values)
    copy = json.loads(json.dumps(original))
    keys = sorted(copy) if isinstance(copy, dict) else list(range(len(copy)))
    key = keys[draw(st.integers(0, len(keys) - 1))]
    copy[key] = draw(_json_mutant(copy[key]))
    return copy


def _pick(values: list[Any]) -> st.SearchStrategy[Any]:
    """One of `values`, by index: a failure's report shows the value, not the whole list."""
    return st.integers(0, len(values) - 1).map(values.__getitem__)


def _value_for(returned: Returned, cell: Cell) -> st.SearchStrategy[object]:
    """What a hand edit puts in a cell: nothing, a value from elsewhere in the files, a word
    another column holds, wrong types, huge text, times with and without an offset, broken
    JSON, a dangling id; in a cell holding JSON, mostly that JSON changed inside."""
    anything = st.one_of(
        st.none(),
        _pick(returned.values),
        _words,
        st.integers(-(2**63), 2**63 - 1),
        st.floats(allow_nan=False),
        st.binary(max_size=8),
        _text,
        _huge,
        _json,
        st.datetimes(timezones=st.none() | st.just(UTC)).map(datetime.isoformat),
        st.just("no-such-id"),
    )
    inside = returned.json_cells.get(cell)
    if inside is None:
        return anything
    return _json_mutant(inside).map(lambda v: json.dumps(v)) | anything


@dataclass(frozen=True)
class Edit:
    """A change made by hand: set `cell` to `value`, or delete its row."""

    cell: Cell
    value: object
    delete: bool


def _apply(package: Path, edits: list[Edit]) -> None:
    """As someone with an SQLite tool would: checks and triggers out of the way (the triggers
    of an edited table are dropped and put back), one edit at a time; an edit SQLite itself
    refuses (a type in a STRICT table, NOT NULL, a unique key) is not made."""
    conn = sqlite3.connect(package)
    conn.execute("PRAGMA ignore_check_constraints = ON")
    for edit in edits:
        table, rowid, column = edit.cell
        triggers = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", [table]
        ).fetchall()
        for name, _ in triggers:
            conn.execute(f"DROP TRIGGER [{name}]")
        try:
            if edit.delete:
                conn.execute(f"DELETE FROM [{table}] WHERE rowid = ?", [rowid])
            else:
                conn.execute(
                    f"UPDATE [{table}] SET [{column}] = ? WHERE rowid = ?", [edit.value, rowid]
                )
            event(f"edited {table}")
        except sqlite3.Error:
            event("an edit SQLite refused")
        for _, sql in triggers:
            conn.execute(sql)
    conn.commit()
    conn.close()


@st.composite
def _edit(draw: st.DrawFn, returned: Returned) -> Edit:
    """A cell of a table (a table first: the one row of package_info is edited as often as
    the review events), or a cell holding JSON; its new value; or its row deleted (one in
    five)."""
    if draw(st.booleans()):
        cells = returned.cells[draw(st.sampled_from(sorted(returned.cells)))]
    else:
        cells = sorted(returned.json_cells)
    cell = draw(_pick(cells))
    return Edit(cell, draw(_value_for(returned, cell)), not draw(st.integers(0, 4)))


@FUZZ
@given(data=st.data())
def test_a_package_edited_by_hand_is_merged_or_refused_by_name(
    pristine: Pristine, returned: Returned, tmp_path: Path, data: st.DataObject
) -> None:
    edits = data.draw(st.lists(_edit(returned), min_size=1, max_size=3))
    package = tmp_path / "returned.evs"
    shutil.copyfile(returned.package, package)
    _apply(package, edits)
    _merge_and_open(pristine, package)


def test_the_package_unchanged_merges(pristine: Pristine, returned: Returned) -> None:
    """The baseline of the damage above: the package as sent merges, Ada's work comes in."""
    summary = merge_file(pristine.workspace, returned.package)
    assert summary.tables["judgments"].added >= 2
    assert not pristine.unchanged()
