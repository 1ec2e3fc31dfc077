"""The study owner's role: a passphrase that keeps evaluators out of the owner's tools.

It keeps an evaluator on a shared machine from what is the owner's in the app — the Owner menu,
import, merge, restore from a backup, exports with the truth (ui/owner_gate.py); it does not
protect the workspace file, which anyone who can read it can open with SQLite. Keep a study's
workspace where evaluators cannot read it, or give them session packages (issue 8) instead.
"""

from __future__ import annotations

from evalstudio.core.errors import EvalStudioError
from evalstudio.core.passphrase import MIN_LENGTH, check_passphrase, hash_passphrase
from evalstudio.services.workspace.opening import Workspace
from evalstudio.store import workspace_settings

_KEY = "owner_passphrase"


def is_protected(workspace: Workspace) -> bool:
    return workspace_settings.get(workspace.db, _KEY) is not None


def set_passphrase(workspace: Workspace, new: str, current: str | None = None) -> None:
    """Set or change the owner's passphrase; changing it needs the current one."""
    if len(new) < MIN_LENGTH:
        raise EvalStudioError(f"a passphrase needs at least {MIN_LENGTH} characters")
    if is_protected(workspace) and not unlock(workspace, current or ""):
        raise EvalStudioError("the current owner passphrase is not right")
    db = workspace.db
    with db.atomic():
        workspace_settings.put(db, _KEY, hash_passphrase(new))


def unlock(workspace: Workspace, passphrase: str) -> bool:
    """Whether `passphrase` opens the owner's tools (always, when none is set)."""
    stored = workspace_settings.get(workspace.db, _KEY)
    return stored is None or check_passphrase(passphrase, stored)
