"""The workspace every example of a fuzz test shares: a refusal must leave it exactly as it
was (same digest of every row of every table and of the schema), and an example that changed
it puts it back from a copy, so each example starts from the same content and a failure found
late replays on its own."""

from __future__ import annotations

import shutil
from pathlib import Path

from evalstudio.services.workspace.opening import Workspace
from support.session_study import digest


class Pristine:
    """`workspace` as it is now, kept in `folder`, and the digest of that content."""

    def __init__(self, workspace: Workspace, folder: Path) -> None:
        self.workspace = workspace
        self.copy = folder / "pristine.sqlite"
        workspace.close()  # the last connection folds the WAL into the file
        shutil.copyfile(workspace.path, self.copy)
        self.digest = digest(workspace)

    def unchanged(self) -> bool:
        return digest(self.workspace) == self.digest

    def restore(self) -> None:
        """Put the kept content back (if an example changed it)."""
        if self.unchanged():
            return
        self.workspace.close()
        for sidecar in ("-wal", "-shm"):
            Path(f"{self.workspace.path}{sidecar}").unlink(missing_ok=True)
        shutil.copyfile(self.copy, self.workspace.path)
