"""Rows of workspace settings (key → value)."""

from __future__ import annotations

from sqlite_utils import Database


def get(db: Database, key: str) -> str | None:
    rows = list(db.query("SELECT value FROM workspace_settings WHERE key = ?", [key]))
    return str(rows[0]["value"]) if rows else None


def put(db: Database, key: str, value: str) -> None:
    db.table("workspace_settings").upsert({"key": key, "value": value}, pk="key")


SECRET = "workspace_secret"


def secret(db: Database, schema: str = "main") -> str | None:
    """The workspace's secret (migration m011); None in a session package."""
    rows = list(db.query(f"SELECT value FROM {schema}.workspace_settings WHERE key = ?", [SECRET]))
    return str(rows[0]["value"]) if rows else None


def delete(db: Database, key: str) -> None:
    db.execute("DELETE FROM workspace_settings WHERE key = ?", [key])
