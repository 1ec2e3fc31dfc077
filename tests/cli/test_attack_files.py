"""Issue 17 §5, the smaller holes around files, each performed: a huge sparse package, an
empty file opened as a workspace, a damaged workspace backed up and restored, a second
EvalStudio through a symlink or a hard link, and a workspace on read-only media. Each is
refused with a clear message, or (read-only) served without a byte written; nothing is lost."""

from __future__ import annotations

import hashlib
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlite_utils import Database
from support.session_study import digest
from support.study_builders import two_evaluator_study

from evalstudio.cli.main import main
from evalstudio.core.errors import EvalStudioError, SessionError, WorkspaceError
from evalstudio.services.sessions.merge import merge_file
from evalstudio.services.sessions.package import export_package
from evalstudio.services.studies import studies
from evalstudio.services.workspace.backups import list_backups, take_backup
from evalstudio.services.workspace.lock import WorkspaceLock
from evalstudio.services.workspace.opening import Workspace, open_workspace
from evalstudio.store.migrations import migrations

GIB = 1 << 30


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _beside(path: Path) -> set[str]:
    return {p.name for p in path.parent.iterdir()}


@pytest.fixture
def package(workspace: Workspace, tmp_path: Path) -> Path:
    two_evaluator_study(
        workspace, tmp_path, "S", pairs=2, seed=1, options='conditions = ["unassisted"]\n'
    )
    return export_package(workspace, "S", "Ada", tmp_path / "ada.evs").path


# -- 1. a package far larger than any package: refused from its size, before any copy ---------


def test_a_3_gib_sparse_package_is_refused_before_a_byte_is_copied(
    workspace: Workspace, package: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with package.open("r+b") as f:
        f.truncate(3 * GIB)  # sparse: 3 GiB long, a few KB on disk
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(temp))
    copied: list[int] = []
    real_copy = shutil.copyfile

    def copyfile(src: Path, dst: Path, **kwargs: bool) -> Path:
        size = Path(src).stat().st_size
        copied.append(size)
        assert size < GIB, "the huge file is being copied whole"
        return real_copy(src, dst, **kwargs)

    monkeypatch.setattr(shutil, "copyfile", copyfile)
    before = digest(workspace)
    started = time.perf_counter()
    with pytest.raises(SessionError, match=r"3072 MB.*larger than a package may be \(1024 MB"):
        merge_file(workspace, package)
    refused_in = time.perf_counter() - started
    assert refused_in < 1.0 and copied == []
    assert sum(p.stat().st_size for p in temp.rglob("*") if p.is_file()) < 1 << 20
    assert digest(workspace) == before and list_backups(workspace.path) == []
    print(
        f"\nrefused a 3 GiB sparse package in {refused_in * 1000:.1f} ms, "
        f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )
    # Opening it as the workspace (`evalstudio open`, File › Open) is refused the same way.
    with pytest.raises(EvalStudioError, match="larger than a package may be"):
        open_workspace(package)
    assert package.stat().st_size == 3 * GIB and package.stat().st_blocks * 512 < 1 << 20


def test_a_header_claiming_gigabytes_is_refused_and_the_cap_is_a_setting(
    workspace: Workspace, package: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with package.open("r+b") as f:  # a few KB that say they are 786432 pages of 4 KB
        f.seek(28)
        f.write((786432).to_bytes(4, "big"))
        f.seek(92)
        f.write(package.read_bytes()[24:28])  # "valid for" this change: SQLite believes it
    before = digest(workspace)
    with pytest.raises(SessionError, match="says it holds 3072 MB"):
        merge_file(workspace, package)
    assert digest(workspace) == before
    monkeypatch.setenv("EVALSTUDIO_MAX_PACKAGE_MB", "4096")  # now within the cap: it is the
    with pytest.raises(SessionError, match="is damaged"):  # damage that refuses it
        merge_file(workspace, package)
    monkeypatch.setenv("EVALSTUDIO_MAX_PACKAGE_MB", "lots")
    with pytest.raises(SessionError, match="EVALSTUDIO_MAX_PACKAGE_MB"):
        merge_file(workspace, package)
    assert digest(workspace) == before


# -- 2. an empty or foreign file is not made into a workspace ----------------------------------


@pytest.mark.parametrize("content", [b"", b"hello, not a database\n", b"SQLite format 3\x00"])
def test_an_empty_or_foreign_file_is_refused_and_left_untouched(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "ada.evs"
    path.write_bytes(content)
    with pytest.raises(WorkspaceError, match="not an EvalStudio workspace or session package"):
        open_workspace(path)
    result = CliRunner().invoke(main, ["open", str(path)])
    assert result.exit_code != 0 and "not an EvalStudio workspace" in result.output
    written = CliRunner().invoke(main, ["--db", str(path), "import", str(path), "--study", "S"])
    assert written.exit_code != 0 and "not an EvalStudio workspace" in written.output
    assert path.read_bytes() == content and _beside(path) == {"ada.evs"}


def test_only_a_new_path_or_the_default_workspace_is_created(tmp_path: Path) -> None:
    new = open_workspace(tmp_path / "new.sqlite")
    assert studies.ensure_demo_study(new) is not None
    new.close()
    default = open_workspace()  # an empty default workspace: a first start cut short
    default.close()
    default.path.write_bytes(b"")
    open_workspace().close()
    assert default.path.stat().st_size > 0


# -- 3. a damaged workspace is not backed up, a damaged backup not restored ---------------------


def _damage(path: Path, table: str = "tasks") -> None:
    """Overwrite the head of one of `table`'s pages, as a failing disk would."""
    conn = sqlite3.connect(path)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", [table]).fetchone()[0]
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    with path.open("r+b") as f:
        f.seek((root - 1) * page_size)
        f.write(b"\xee" * 64)


@pytest.fixture
def damaged(workspace: Workspace, workspace_path: Path, tmp_path: Path) -> Iterator[Path]:
    """A workspace with a study and one good backup, then a page of it overwritten."""
    two_evaluator_study(workspace, tmp_path, "S", pairs=2, seed=1, options="")
    assert take_backup(workspace_path, "manual") is not None
    workspace.close()
    _damage(workspace_path)
    yield workspace_path


def test_a_damaged_workspace_is_not_backed_up_and_the_good_backups_stay(damaged: Path) -> None:
    db = ["--db", str(damaged)]
    (good,) = list_backups(damaged)
    before = _file_digest(damaged)
    refused = CliRunner().invoke(main, [*db, "backup", "now"])
    assert refused.exit_code != 0 and "is damaged" in refused.output
    assert "not backed up" in refused.output and good.path.name in refused.output
    with pytest.raises(EvalStudioError, match="is damaged"):
        take_backup(damaged, "periodic")
    assert list_backups(damaged) == [good] and _file_digest(damaged) == before
    listed = CliRunner().invoke(main, [*db, "backup", "list"])
    assert listed.exit_code == 0 and "newest good" in listed.output.splitlines()[0]
    # Restoring the good backup over the damaged workspace works, and keeps the damaged one.
    restored = CliRunner().invoke(main, [*db, "backup", "restore", "--latest"])
    assert restored.exit_code == 0, restored.output
    assert good.path.name in restored.output and "damaged" in restored.output
    reopened = open_workspace(damaged)
    assert reopened.db.execute("PRAGMA quick_check").fetchone()[0] == "ok"
    assert [s.study.name for s in studies.list_studies(reopened)] == ["S"]
    reopened.close()
    reasons = [b.reason for b in list_backups(damaged)]
    assert reasons == ["damaged-before-restore", "manual"]


def test_thinning_never_deletes_the_newest_good_backup(damaged: Path) -> None:
    """Many backups of the damaged workspace taken before a restore: the good one stays."""
    (good,) = list_backups(damaged)
    for _ in range(15):
        CliRunner().invoke(main, ["--db", str(damaged), "backup", "restore", good.path.name])
        _damage(damaged)
    assert good.path.exists()


def test_a_damaged_backup_is_not_restored_and_latest_takes_the_newest_good(
    workspace: Workspace, workspace_path: Path, tmp_path: Path
) -> None:
    two_evaluator_study(workspace, tmp_path, "S", pairs=2, seed=1, options="")
    old = take_backup(workspace_path, "manual")
    newer = take_backup(workspace_path, "periodic")
    assert old is not None and newer is not None
    workspace.close()
    _damage(newer.path)
    before = _file_digest(workspace_path)
    db = ["--db", str(workspace_path)]
    refused = CliRunner().invoke(main, [*db, "backup", "restore", newer.path.name])
    assert refused.exit_code != 0 and "is damaged" in refused.output
    assert _file_digest(workspace_path) == before
    listed = CliRunner().invoke(main, [*db, "backup", "list"]).output.splitlines()
    assert "damaged" in listed[0] and "newest good" in listed[1]
    latest = CliRunner().invoke(main, [*db, "backup", "restore", "--latest"])
    assert latest.exit_code == 0 and old.path.name in latest.output, latest.output


# -- 4. one EvalStudio per workspace file, however it is named ------------------------------------


def test_a_symlink_or_hard_link_to_an_open_workspace_is_locked_too(
    workspace: Workspace, workspace_path: Path, tmp_path: Path
) -> None:
    two_evaluator_study(workspace, tmp_path, "S", pairs=2, seed=1, options="")
    assert take_backup(workspace_path, "manual") is not None
    workspace.close()
    (tmp_path / "elsewhere").mkdir()
    link = tmp_path / "elsewhere" / "link.sqlite"
    link.symlink_to(workspace_path)
    hard = tmp_path / "elsewhere" / "hard.sqlite"
    os.link(workspace_path, hard)
    app = WorkspaceLock()
    assert app.take(link) is None  # the app opened it through the symlink
    try:
        before = _file_digest(workspace_path)
        for path in (workspace_path, hard):
            held = WorkspaceLock().take(path)
            assert held is not None and f"window (process {os.getpid()})" in held
            restore = CliRunner().invoke(main, ["--db", str(path), "backup", "restore", "--latest"])
            assert restore.exit_code != 0
            assert f"open in another EvalStudio window (process {os.getpid()})" in restore.output
        written = CliRunner().invoke(main, ["--db", str(hard), "owner", "passphrase"], input="x\n")
        assert written.exit_code != 0 and "open in another EvalStudio" in written.output
        assert _file_digest(workspace_path) == before
        # Reading needs no lock.
        assert CliRunner().invoke(main, ["--db", str(hard), "studies"]).exit_code == 0
    finally:
        app.release()
    assert WorkspaceLock().take(hard) is None


def test_the_lock_needs_no_qt_and_is_released_when_its_process_dies(tmp_path: Path) -> None:
    path = tmp_path / "workspace.sqlite"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path\n"
            "from evalstudio.services.workspace.lock import WorkspaceLock\n"
            f"lock = WorkspaceLock(); assert lock.take(Path({str(path)!r})) is None\n"
            "assert not any(m.startswith('PySide6') for m in sys.modules)\n"
            "print('locked', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    held = WorkspaceLock().take(path)
    assert held is not None and f"(process {holder.pid})" in held
    holder.kill()
    holder.wait()
    taker = WorkspaceLock()
    assert taker.take(path) is None
    taker.release()


# -- 5. commands that only read work on a read-only workspace, and write nothing -----------------


@pytest.fixture
def read_only(workspace: Workspace, workspace_path: Path, tmp_path: Path) -> Iterator[Path]:
    """A workspace with a study, its file and folder then made read-only: by permissions, or
    for root (whom permissions do not stop) by chattr +i, as on a write-protected stick."""
    (tmp_path / "def").mkdir()
    two_evaluator_study(workspace, tmp_path / "def", "S", pairs=2, seed=1, options="")
    workspace.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    workspace.close()
    for leftover in workspace_path.parent.glob(workspace_path.name + "-*"):
        leftover.unlink()
    yield from _frozen(workspace_path)


def _frozen(path: Path) -> Iterator[Path]:
    targets = [str(path), str(path.parent)]
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", *targets], check=True)
    else:
        path.chmod(0o444)
        path.parent.chmod(0o555)
    try:
        yield path
    finally:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", *targets], check=True)
        else:
            path.parent.chmod(0o755)
            path.chmod(0o644)


@pytest.fixture
def out(tmp_path: Path) -> Path:
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def test_commands_that_only_read_work_on_a_read_only_workspace(out: Path, read_only: Path) -> None:
    db = ["--db", str(read_only)]
    before, beside = _file_digest(read_only), _beside(read_only)
    commands = [
        ["studies"],
        ["report", "--study", "S", "--json", str(out / "r.json")],
        ["export", str(out / "j.jsonl"), "--study", "S", "--format", "judgments-jsonl"],
        ["flaws", "list", "--study", "S"],
        ["session", "export", "--study", "S", "--evaluator", "Ada", str(out / "ada.evs")],
    ]
    for command in commands:
        result = CliRunner().invoke(main, [*db, *command])
        assert result.exit_code == 0, (command, result.output)
    assert "S" in CliRunner().invoke(main, [*db, "studies"]).output
    assert (out / "r.json").exists() and (out / "ada.evs").exists()
    assert _file_digest(read_only) == before and _beside(read_only) == beside
    written = CliRunner().invoke(main, [*db, "flaws", "mark", "--study", "S", "x", "--real"])
    assert written.exit_code != 0 and "read-only" in written.output


def test_reading_writes_no_sidecar_and_an_old_read_only_workspace_is_refused(
    tmp_path: Path,
) -> None:
    path = tmp_path / "ro" / "old.sqlite"
    path.parent.mkdir()
    old = Database(path)
    migrations.apply(old, stop_before="m008_flaw_reviews")
    old.close()
    before = _file_digest(path)
    for _ in _frozen(path):
        result = CliRunner().invoke(main, ["--db", str(path), "studies"])
        assert result.exit_code != 0 and "older EvalStudio" in result.output
        assert "Traceback" not in result.output
    assert _file_digest(path) == before and _beside(path) == {"old.sqlite"}
    assert list_backups(path) == []
