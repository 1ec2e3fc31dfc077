"""Rows of pair checks: the latest verdict of each pair's test on its two twins."""

from __future__ import annotations

from sqlite_utils import Database

from evalstudio.core.verification import PairVerdict, PairVerification


def record_check(db: Database, pair_id: str, check: PairVerification, at: str) -> None:
    db.table("pair_checks").upsert(
        {
            "pair_id": pair_id,
            "verdict": check.verdict.value,
            "explanation": check.explanation,
            "checked_at": at,
        },
        pk="pair_id",
    )


def checks_of_study(db: Database, study_id: str) -> dict[str, tuple[PairVerdict, str]]:
    """Pair external id → (verdict, explanation) for the study's checked pairs."""
    rows = db.query(
        "SELECT p.external_id, c.verdict, c.explanation FROM pair_checks c "
        "JOIN pairs p ON p.id = c.pair_id JOIN tasks t ON t.id = p.task_id "
        "WHERE t.study_id = ? ORDER BY p.external_id",
        [study_id],
    )
    return {r["external_id"]: (PairVerdict(r["verdict"]), r["explanation"]) for r in rows}
