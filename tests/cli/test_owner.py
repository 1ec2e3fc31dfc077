"""The owner's passphrase: salted and slow, never stored in clear, needed to change it."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from evalstudio.cli.main import main
from evalstudio.core.errors import EvalStudioError
from evalstudio.core.passphrase import check_passphrase, hash_passphrase
from evalstudio.services.workspace import owner
from evalstudio.services.workspace.opening import Workspace, open_workspace


def test_a_hash_is_salted_and_checks_only_the_right_passphrase() -> None:
    first, second = hash_passphrase("open sesame"), hash_passphrase("open sesame")
    assert first != second and "open sesame" not in first
    assert check_passphrase("open sesame", first) and check_passphrase("open sesame", second)
    assert not check_passphrase("open sesame!", first)
    assert not check_passphrase("open sesame", "garbage")


def test_an_unprotected_workspace_opens_and_a_protected_one_needs_the_passphrase(
    workspace: Workspace,
) -> None:
    assert not owner.is_protected(workspace) and owner.unlock(workspace, "")
    owner.set_passphrase(workspace, "long enough")
    assert owner.is_protected(workspace)
    assert owner.unlock(workspace, "long enough") and not owner.unlock(workspace, "guess")
    with pytest.raises(EvalStudioError, match="current owner passphrase is not right"):
        owner.set_passphrase(workspace, "taking over", current="guess")
    with pytest.raises(EvalStudioError, match="at least 8"):
        owner.set_passphrase(workspace, "short", current="long enough")
    owner.set_passphrase(workspace, "a new one!", current="long enough")
    assert owner.unlock(workspace, "a new one!")
    stored = [row["value"] for row in workspace.db.query("SELECT value FROM workspace_settings")]
    assert stored and all("a new one" not in value for value in stored)


def test_the_command_sets_it_with_a_confirmation(tmp_path: Path) -> None:
    db = tmp_path / "w.sqlite"
    result = CliRunner().invoke(
        main, ["--db", str(db), "owner", "passphrase"], input="open sesame\nopen sesame\n"
    )
    assert result.exit_code == 0 and "now ask for this passphrase" in result.output
    workspace = open_workspace(db)
    assert owner.unlock(workspace, "open sesame")
    workspace.close()
