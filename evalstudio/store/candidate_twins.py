"""A candidate's twin in its perturbation pair (the owner's side: never shown to an evaluator)."""

from __future__ import annotations

from sqlite_utils import Database


def correct_twin_text(db: Database, flawed_id: str) -> str | None:
    """The text of the correct twin of the flawed candidate `flawed_id`; None when it is no
    pair's flawed twin."""
    rows = list(
        db.query(
            "SELECT c.text FROM pairs p JOIN candidates c ON c.id = p.correct_id "
            "WHERE p.flawed_id = ? LIMIT 1",
            [flawed_id],
        )
    )
    return str(rows[0]["text"]) if rows else None
