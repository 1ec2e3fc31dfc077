"""The shape of the workspace schema — its tables with their columns (name, type,
constraints, order) — and a file's differences from it.

A file to merge is checked against the shape this version's migrations build, after its own
migration: a missing or extra table, a table with an extra, missing, renamed, retyped or
reordered column is refused before a row is read. Merge statements are built from the
workspace's own columns; this check means the incoming file has exactly those. Its indexes,
triggers and views are not compared: a merge only reads the file's tables, and an attached
file's triggers fire only on writes to it, which a merge never makes.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlite_utils import Database

from evalstudio.store.migrations import migrations

# SQLite's own tables (sqlite_sequence, sqlite_stat1 after ANALYZE): kept by the library,
# never read by a merge.
_INTERNAL = "sqlite\\_%"

Column = tuple[Any, ...]  # PRAGMA table_xinfo: name, type, notnull, default, pk, hidden


def quoted(name: str) -> str:
    """An identifier as SQL text; only ever given names from the workspace's own schema."""
    return '"' + name.replace('"', '""') + '"'


def columns(db: Database, table: str, schema: str = "main") -> list[str]:
    """The table's column names, in order."""
    return [c[0] for c in _columns(db, table, schema)]


def declared_defaults(db: Database, table: str) -> dict[str, Any]:
    """Each column of the workspace's own `table` with the value a row gets that names none
    (None where the column declares no default)."""
    return {
        c[0]: None if c[3] is None else db.execute(f"SELECT {c[3]}").fetchone()[0]
        for c in _columns(db, table, "main")
    }


def _columns(db: Database, table: str, schema: str) -> list[Column]:
    rows = db.execute(f"PRAGMA {quoted(schema)}.table_xinfo({quoted(table)})").fetchall()
    return [tuple(r[1:]) for r in rows]


def _shape(db: Database, schema: str = "main") -> dict[str, list[Column]]:
    """Table name → its columns."""
    tables = db.execute(
        f"SELECT name FROM {quoted(schema)}.sqlite_master "
        "WHERE type = 'table' AND name NOT LIKE ? ESCAPE '\\' ORDER BY name",
        [_INTERNAL],
    ).fetchall()
    return {table: _columns(db, table, schema) for (table,) in tables}


@functools.cache
def _expected() -> dict[str, list[Column]]:
    reference = Database(memory=True)
    migrations.apply(reference)
    return _shape(reference)


def differences(db: Database) -> list[str]:
    """How the database's schema differs from the one this version builds, in words; empty
    when it is the same."""
    found, expected = _shape(db), _expected()
    problems = [f"an unexpected table {_shown(n)}" for n in sorted(found.keys() - expected.keys())]
    problems += [f"no table {_shown(n)}" for n in sorted(expected.keys() - found.keys())]
    for table, want in expected.items():
        have = found.get(table)
        if have is not None and have != want:
            problems.append(
                f"table {table!r} has the columns ({', '.join(_shown(c[0]) for c in have)}), "
                f"not ({', '.join(_shown(c[0]) for c in want)})"
                if [c[0] for c in have] != [c[0] for c in want]
                else f"table {table!r} has columns of other types or constraints"
            )
    return problems


def _shown(name: Any) -> str:
    """A name from the file, quoted and cut short: it may be long, or SQL."""
    text = repr(str(name))
    return text if len(text) <= 60 else text[:57] + "..."
