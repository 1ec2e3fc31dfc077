"""The workspace file: migrations from empty, reopening, refusals, per-thread connections."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from pathlib import Path

import pytest

from evalstudio.core.errors import WorkspaceError
from evalstudio.services.workspace.opening import Workspace, default_workspace_path, open_workspace
from evalstudio.store.migrations import known_names

EXPECTED_TABLES = {
    "studies",
    "tasks",
    "candidates",
    "pairs",
    "study_items",
    "evaluators",
    "judgments",
}


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_an_empty_default_workspace_is_migrated_to_the_current_schema() -> None:
    """A first start cut short leaves an empty default workspace: it is made, not refused
    (any other empty file is refused, tests/cli/test_attack_files.py)."""
    path = default_workspace_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()
    ws = open_workspace()
    assert set(ws.db.table_names()) >= EXPECTED_TABLES
    assert ws.schema_version() == len(known_names())
    assert ws.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    ws.close()


def test_reopening_keeps_data_and_applies_nothing_twice(workspace_path: Path) -> None:
    ws = open_workspace(workspace_path)
    ws.db.table("evaluators").insert(
        {"id": "e1", "name": "Ada", "kind": "human", "created_at": "t"}
    )
    ws.close()
    again = open_workspace(workspace_path)
    assert again.db.table("evaluators").count == 1
    assert again.schema_version() == len(known_names())
    again.close()


def test_a_workspace_from_a_newer_version_is_refused_and_not_modified(workspace_path: Path) -> None:
    ws = open_workspace(workspace_path)
    ws.db.table("_sqlite_migrations").insert(
        {"migration_set": "evalstudio", "name": "m999_future", "applied_at": "2030-01-01"}
    )
    ws.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    ws.close()
    before = _digest(workspace_path)
    with pytest.raises(WorkspaceError, match=r"newer EvalStudio.*m999_future"):
        open_workspace(workspace_path)
    assert _digest(workspace_path) == before


def test_a_file_that_is_not_sqlite_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite"
    path.write_text("just some notes\n" * 100)
    before = _digest(path)
    with pytest.raises(WorkspaceError, match="not an EvalStudio workspace"):
        open_workspace(path)
    assert _digest(path) == before


def test_another_apps_sqlite_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE contacts (name TEXT)")
    with pytest.raises(WorkspaceError, match="not an EvalStudio workspace"):
        open_workspace(path)


def test_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="is a folder"):
        open_workspace(tmp_path)


def test_each_thread_gets_its_own_connection_with_foreign_keys_and_busy_timeout(
    workspace: Workspace,
) -> None:
    seen: dict[str, object] = {}

    def probe() -> None:
        db = workspace.db
        seen["conn"] = db.conn
        seen["fk"] = db.execute("PRAGMA foreign_keys").fetchone()[0]
        seen["busy"] = db.execute("PRAGMA busy_timeout").fetchone()[0]

    thread = threading.Thread(target=probe)
    thread.start()
    thread.join()
    assert seen["conn"] is not workspace.db.conn
    assert seen["fk"] == 1
    assert seen["busy"] == 5000
    assert workspace.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_a_connection_used_from_another_thread_is_an_error(workspace: Workspace) -> None:
    db = workspace.db
    errors: list[BaseException] = []

    def misuse() -> None:
        try:
            db.execute("SELECT 1")
        except sqlite3.ProgrammingError as e:
            errors.append(e)

    thread = threading.Thread(target=misuse)
    thread.start()
    thread.join()
    assert errors, "a connection crossed threads unnoticed"


def test_foreign_keys_are_enforced(workspace: Workspace) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        workspace.db.table("tasks").insert(
            {
                "id": "t",
                "study_id": "no-such-study",
                "external_id": "t",
                "prompt": "p",
                "kind": "code",
                "language": "python",
            }
        )


def test_judgments_are_append_only(workspace: Workspace) -> None:
    db = workspace.db
    db.table("studies").insert({"id": "s", "name": "S", "created_at": "t"})
    db.table("tasks").insert(
        {
            "id": "t",
            "study_id": "s",
            "external_id": "t",
            "prompt": "p",
            "kind": "code",
            "language": "python",
        }
    )
    db.table("candidates").insert({"id": "c", "task_id": "t", "external_id": "c", "text": "x"})
    db.table("study_items").insert(
        {"id": "i", "study_id": "s", "candidate_id": "c", "external_id": "c", "position": 0}
    )
    db.table("evaluators").insert({"id": "e", "name": "E", "created_at": "t"})
    db.table("judgments").insert(
        {
            "id": "j",
            "study_item_id": "i",
            "evaluator_id": "e",
            "verdict": "flawed",
            "created_at": "t",
        }
    )
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("UPDATE judgments SET verdict = 'acceptable'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("DELETE FROM judgments")


def test_a_failed_transaction_writes_nothing(workspace: Workspace) -> None:
    db = workspace.db
    with pytest.raises(sqlite3.IntegrityError), db.atomic():
        db.table("studies").insert({"id": "s1", "name": "One", "created_at": "t"})
        db.table("studies").insert({"id": "s2", "name": "One", "created_at": "t"})
    assert db.table("studies").count == 0
