"""The row that makes a workspace file a session package (table `package_info`, migration m009)."""

from __future__ import annotations

import json

from sqlite_utils import Database

from evalstudio.core.session_package import PackageInfo, PackageModel
from evalstudio.store import workspace_settings


def is_package(db: Database) -> bool:
    return any(True for _ in db.query("SELECT 1 FROM package_info LIMIT 1"))


def write(db: Database, info: PackageInfo) -> None:
    """Mark the file a package. A package keeps no secret of its own: the one its migrations
    made would only look like the owner's."""
    db.execute("DELETE FROM workspace_settings WHERE key = ?", [workspace_settings.SECRET])
    db.table("package_info").insert(
        {
            "id": 1,
            "format_version": info.format_version,
            "study_id": info.study_id,
            "evaluator_id": info.evaluator_id,
            "source": info.source,
            "model": json.dumps(info.model.to_json()),
            "created_at": info.created_at,
            "token": info.token,
        }
    )


def read(db: Database) -> PackageInfo | None:
    """The package's row, or None in a workspace. Raises one of core/session_package.py's
    UNREADABLE when the row was edited into something unreadable."""
    rows = list(db.query("SELECT * FROM package_info"))
    if not rows:
        return None
    row = rows[0]
    return PackageInfo(
        study_id=row["study_id"],
        evaluator_id=row["evaluator_id"],
        source=row["source"],
        model=PackageModel.from_json(json.loads(row["model"])),
        created_at=row["created_at"],
        format_version=row["format_version"],
        token=row["token"],
    )
