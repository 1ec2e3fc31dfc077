"""docs/schema.sql is what the migrations build: a newcomer reads the schema there."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from evalstudio.services.workspace.opening import Workspace
from evalstudio.store.schema_doc import schema_sql

DOC = Path(__file__).resolve().parents[2] / "docs" / "schema.sql"


def test_docs_schema_sql_is_current() -> None:
    assert DOC.read_text(encoding="utf-8") == schema_sql(), "stale: run `make schema`"


def test_the_document_builds_the_same_tables_and_columns_as_a_workspace(
    workspace: Workspace, tmp_path: Path
) -> None:
    """Reformatting for reading changed no column: the document, run as SQL, gives every table
    the columns, types and constraints flags of a workspace the app opened."""
    built = sqlite3.connect(tmp_path / "from-doc.sqlite")
    built.executescript(DOC.read_text(encoding="utf-8"))

    def shape(db: sqlite3.Connection) -> dict[str, list[tuple[object, ...]]]:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {
            t: list(db.execute(f"PRAGMA table_xinfo('{t}')"))
            for t in tables
            if not t.startswith(("sqlite_", "_sqlite"))
        }

    ours = workspace.db.conn
    assert shape(built) == shape(ours)
    indexes = "SELECT type, name, tbl_name FROM sqlite_master WHERE type IN ('index', 'trigger')"
    assert sorted(built.execute(indexes)) == sorted(
        r for r in ours.execute(indexes) if not str(r[2]).startswith("_sqlite")
    )
