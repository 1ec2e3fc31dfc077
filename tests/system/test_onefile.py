"""The one file handed to evaluators (packaging/onefile/), made around a stand-in app folder
so each start takes milliseconds: the first start unpacks into a versioned cache folder, later
starts reuse it, a partial, damaged or concurrent unpack is handled, and `--install` puts a
menu entry naming the program by its absolute path. tests/system/test_binary.py runs the same
on the real app."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
VERSION = "9.9.9"
# Stands in for the PyInstaller program: says where it runs from and what it was given.
FAKE_APP = '#!/bin/sh\nprintf "app in %s:" "$(dirname "$0")"; printf " [%s]" "$@"; echo\n'


@pytest.fixture(scope="module")
def onefile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    folder = dist / "evalstudio"
    (folder / "_internal" / "lib").mkdir(parents=True)
    (folder / "_internal" / "lib" / "data.bin").write_bytes(os.urandom(50_000))
    (folder / "evalstudio").write_text(FAKE_APP)
    (folder / "evalstudio").chmod(0o755)
    for name in (
        "install.sh",
        "evalstudio.desktop",
        "evalstudio-open.desktop",
        "evalstudio-mime.xml",
        "evalstudio.svg",
    ):
        shutil.copy2(PACKAGING / name, folder / name)
    out = dist / "evalstudio-onefile"
    subprocess.run(
        [
            sys.executable,
            str(PACKAGING / "onefile" / "make_onefile.py"),
            "--version",
            VERSION,
            str(folder),
            str(out),
        ],
        check=True,
        capture_output=True,
    )
    return out


@pytest.fixture
def home(tmp_path: Path) -> Path:
    fresh = tmp_path / "a home"  # a space in every path the scripts handle
    fresh.mkdir()
    return fresh


def start(program: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [str(program), *args], env=env, capture_output=True, text=True, timeout=60, cwd=home
    )


def app_folder(home: Path) -> Path:
    (folder,) = (home / ".cache" / "evalstudio").glob(f"app-{VERSION}-*")
    return folder


def test_the_file_is_a_program_a_file_manager_runs(onefile: Path) -> None:
    assert onefile.read_bytes()[:4] == b"\x7fELF"  # not a script: opened, not run, on a click
    assert os.access(onefile, os.X_OK)


def test_the_first_start_unpacks_once_and_later_starts_reuse_it(onefile: Path, home: Path) -> None:
    first = start(onefile, home, "review", "two words")
    assert first.returncode == 0, first.stderr
    folder = app_folder(home)
    assert first.stdout == f"app in {folder}: [review] [two words]\n"
    assert "unpacking EvalStudio 9.9.9 once" in first.stderr
    marker = (folder / ".unpacked").stat()

    second = start(onefile, home, "--version")
    assert second.returncode == 0, second.stderr
    assert second.stdout == f"app in {folder}: [--version]\n"
    assert second.stderr == ""  # no unpacking
    assert (folder / ".unpacked").stat().st_ino == marker.st_ino
    assert {p.name for p in folder.parent.iterdir()} == {folder.name, f".{folder.name}.lock"}


def test_a_start_killed_while_unpacking_leaves_nothing_that_is_used(
    onefile: Path, home: Path
) -> None:
    start(onefile, home)
    folder = app_folder(home)
    # What a killed start leaves: its half-written temporary folder, and (from an older
    # layout or a person's copy) a folder without the marker.
    leftover = folder.parent / f".{folder.name}.unpack-Ab12Cd"
    (leftover / "evalstudio").mkdir(parents=True)
    (folder / ".unpacked").unlink()
    again = start(onefile, home, "x")
    assert again.returncode == 0, again.stderr
    assert "unpacking" in again.stderr
    assert again.stdout == f"app in {folder}: [x]\n"
    assert (folder / ".unpacked").is_file()
    assert not leftover.exists()


def test_a_damaged_unpacked_folder_is_unpacked_again(onefile: Path, home: Path) -> None:
    start(onefile, home)
    folder = app_folder(home)
    (folder / "_internal" / "lib" / "data.bin").unlink()  # e.g. a cache cleaner took it
    again = start(onefile, home, "x")
    assert again.returncode == 0, again.stderr
    assert "unpacking" in again.stderr
    assert (folder / "_internal" / "lib" / "data.bin").stat().st_size == 50_000


def test_concurrent_first_starts_unpack_once_and_all_run(onefile: Path, home: Path) -> None:
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin"}
    starts = [
        subprocess.Popen(
            [str(onefile), str(n)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(4)
    ]
    results = [(p.communicate(timeout=60), p.returncode) for p in starts]
    folder = app_folder(home)
    for n, ((out, err), code) in enumerate(results):
        assert code == 0, err
        assert out == f"app in {folder}: [{n}]\n"
    assert sum("unpacking" in err for (_, err), _ in results) == 1


def test_an_incomplete_download_says_so_and_leaves_no_folder(
    onefile: Path, home: Path, tmp_path: Path
) -> None:
    truncated = tmp_path / "evalstudio-truncated"
    truncated.write_bytes(onefile.read_bytes()[:-5000])
    truncated.chmod(0o755)
    result = start(truncated, home)
    assert result.returncode == 1
    assert "is damaged or incomplete: download it again" in result.stderr
    left = [p.name for p in (home / ".cache" / "evalstudio").iterdir()]
    assert [name for name in left if not name.endswith(".lock")] == []


def test_install_puts_an_absolute_menu_entry_that_runs_without_path(
    onefile: Path, home: Path
) -> None:
    installed = start(onefile, home, "--install")
    assert installed.returncode == 0, installed.stderr
    program = home / ".local" / "bin" / "evalstudio"
    assert program.read_bytes() == onefile.read_bytes()  # a copy: the download may go
    assert "is not on your PATH" in installed.stdout
    applications = home / ".local" / "share" / "applications"
    entry = (applications / "evalstudio.desktop").read_text()
    assert f'\nExec="{program}"\n' in entry
    assert f'\nExec="{program}" open %f\n' in (applications / "evalstudio-open.desktop").read_text()
    assert (home / ".local/share/icons/hicolor/scalable/apps/evalstudio.svg").is_file()
    # What the menu runs, with a PATH that lacks ~/.local/bin.
    ran = start(program, home, "open", "s.evs")
    assert ran.stdout == f"app in {app_folder(home)}: [open] [s.evs]\n"

    removed = start(program, home, "--uninstall")
    assert removed.returncode == 0, removed.stderr
    assert not program.exists() and not (applications / "evalstudio.desktop").exists()


def test_the_folder_install_also_names_the_program_absolutely(tmp_path: Path, home: Path) -> None:
    folder = tmp_path / "evalstudio"
    folder.mkdir()
    for name in (
        "install.sh",
        "evalstudio.desktop",
        "evalstudio-open.desktop",
        "evalstudio-mime.xml",
        "evalstudio.svg",
    ):
        shutil.copy2(PACKAGING / name, folder / name)
    (folder / "evalstudio").write_text(FAKE_APP)
    (folder / "evalstudio").chmod(0o755)
    done = start(folder / "install.sh", home)
    assert done.returncode == 0, done.stderr
    program = home / ".local" / "bin" / "evalstudio"
    assert program.resolve() == folder / "evalstudio"
    entry = (home / ".local/share/applications/evalstudio.desktop").read_text()
    assert f'\nExec="{program}"\n' in entry
