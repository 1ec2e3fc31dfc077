"""The binary as a user runs it: built from packaging/ with PyInstaller, started with an empty
environment (`env -i`, a fresh HOME, no network where the machine allows a network
namespace), checked by its self-test, a CLI round trip, an offscreen window, and a second
instance on the same workspace; then the one file handed out (packaging/onefile/): unpacked
on its first start, reused on the next, unpacked again when damaged, and installed with a
menu entry naming it by its absolute path. Building takes minutes: once per session."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from support.builders import pair, write_jsonl

pytestmark = pytest.mark.slow  # builds the binary (minutes), then runs it

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    built = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [str(ROOT / "packaging" / "build.sh"), "--dist", str(built)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return built


@pytest.fixture(scope="session")
def binary(dist: Path) -> Path:
    executable = dist / "evalstudio" / "evalstudio"
    assert executable.is_file() and os.access(executable, os.X_OK)
    return executable


@pytest.fixture(scope="session")
def onefile(dist: Path) -> Path:
    (made,) = dist.glob("evalstudio-*-linux-x86_64")
    assert os.access(made, os.X_OK) and made.read_bytes()[:4] == b"\x7fELF"
    return made


@pytest.fixture
def home(tmp_path: Path) -> Path:
    fresh = tmp_path / "home"
    fresh.mkdir()
    return fresh


def _offline() -> list[str]:
    """`unshare -rn`: a network namespace with no interface, where this machine allows it."""
    if shutil.which("unshare") and subprocess.run(["unshare", "-rn", "true"]).returncode == 0:
        return ["unshare", "-rn"]
    print("no network namespace here: running with the network present")
    return []


def run(
    binary: Path, home: Path, *args: str, timeout: float = 120, **env: str
) -> subprocess.CompletedProcess[str]:
    """The binary with nothing of this environment: only HOME, a C locale, a minimal PATH."""
    clean = {"HOME": str(home), "PATH": "/usr/bin:/bin", "LANG": "C", **env}
    command = [*_offline(), "env", "-i", *(f"{k}={v}" for k, v in clean.items()), str(binary)]
    return subprocess.run(
        [*command, *args], capture_output=True, text=True, timeout=timeout, cwd=home
    )


def _bundle_files(binary: Path) -> set[Path]:
    return set(binary.parent.rglob("*"))


def test_the_self_test_passes_offline_in_an_empty_environment(binary: Path, home: Path) -> None:
    before = _bundle_files(binary)
    result = run(binary, home, "--self-test")
    assert result.returncode == 0, result.stdout + result.stderr
    for check in ("workspace", "model", "review and report", "qt"):
        assert f"ok   {check}" in result.stdout
    assert "Passed in" in result.stdout
    assert "Traceback" not in result.stderr
    assert _bundle_files(binary) == before  # nothing written inside the bundle


def test_every_cli_command_runs_and_data_goes_to_the_user_data_dir(
    binary: Path, home: Path
) -> None:
    version = run(binary, home, "--version")
    assert version.returncode == 0 and version.stdout.startswith("evalstudio, version ")
    tasks = write_jsonl(home / "tasks.jsonl", [r for n in range(3) for r in pair(f"p{n}")])
    imported = run(binary, home, "import", str(tasks), "--study", "S")
    assert imported.returncode == 0, imported.stderr
    assert (home / ".local" / "share" / "EvalStudio" / "workspace.sqlite").is_file()
    out = home / "judgments.jsonl"
    exported = run(binary, home, "export", str(out), "--study", "S", "--format", "judgments-jsonl")
    assert exported.returncode == 0, exported.stderr
    assert out.is_file()  # no judgments yet: an empty export, written whole
    report = run(binary, home, "report", "--study", "S", "--json", str(home / "r.json"))
    assert report.returncode == 0, report.stderr
    assert json.loads((home / "r.json").read_text())["format_version"] == 1
    # Pair tests run in a sandboxed child: the frozen app starts itself as that child.
    demo = ROOT / "resources" / "demo" / "tasks.jsonl"
    verified = run(binary, home, "pair", "verify", str(demo))
    assert verified.returncode == 0, verified.stderr
    assert "14 of 14 pairs verified." in verified.stdout
    bad = run(binary, home, "import", str(home / "missing.jsonl"), "--study", "S")
    assert bad.returncode != 0 and "missing.jsonl" in bad.stderr and "Traceback" not in bad.stderr


def test_the_window_opens_offscreen_and_is_drawn(binary: Path, home: Path) -> None:
    shot = home / "window.png"
    started = time.perf_counter()
    result = run(binary, home, "app", "--screenshot", str(shot), QT_QPA_PLATFORM="offscreen")
    assert result.returncode == 0, result.stdout + result.stderr
    assert time.perf_counter() - started < 60
    assert shot.read_bytes().startswith(b"\x89PNG")
    assert "window shown after" in result.stdout


def test_a_second_instance_on_the_same_workspace_is_told_so(binary: Path, home: Path) -> None:
    clean = {"HOME": str(home), "PATH": "/usr/bin:/bin", "QT_QPA_PLATFORM": "offscreen"}
    first = subprocess.Popen(
        ["env", "-i", *(f"{k}={v}" for k, v in clean.items()), str(binary), "app"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lock = home / ".local" / "share" / "EvalStudio" / "workspace.sqlite.lock"
        deadline = time.monotonic() + 60
        while not lock.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert lock.exists(), "the first instance did not take the workspace's lock"
        second = run(binary, home, "app", QT_QPA_PLATFORM="offscreen", timeout=60)
        assert second.returncode == 1
        assert "is open in another EvalStudio window (process" in second.stderr
        assert "Traceback" not in second.stderr
    finally:
        first.terminate()
        first.wait(timeout=30)


def _unpacked(home: Path) -> Path:
    (folder,) = (home / ".cache" / "evalstudio").glob("app-*")
    return folder


def test_the_one_file_unpacks_once_then_starts_from_its_cache(onefile: Path, home: Path) -> None:
    first = run(onefile, home, "--version")
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("evalstudio, version ")
    version = first.stdout.split()[-1]
    assert "unpacking EvalStudio" in first.stderr
    folder = _unpacked(home)
    assert folder.name.startswith(f"app-{version}-")
    marker = (folder / ".unpacked").stat().st_ino

    second = run(onefile, home, "--self-test")
    assert second.returncode == 0, second.stdout + second.stderr
    assert "Passed in" in second.stdout
    assert "unpacking" not in second.stderr
    assert (folder / ".unpacked").stat().st_ino == marker  # the same folder, not unpacked anew


def test_a_damaged_cache_is_unpacked_again(onefile: Path, home: Path) -> None:
    assert run(onefile, home, "--version").returncode == 0
    folder = _unpacked(home)
    (library,) = (folder / "_internal").glob("libpython3*.so*")
    library.unlink()  # what a start killed mid-way or a cache cleaner could leave
    again = run(onefile, home, "--version")
    assert again.returncode == 0, again.stderr
    assert "unpacking EvalStudio" in again.stderr
    assert library.is_file()


def test_install_gives_a_menu_entry_that_works_without_local_bin_on_path(
    onefile: Path, home: Path
) -> None:
    installed = run(onefile, home, "--install")
    assert installed.returncode == 0, installed.stderr
    program = home / ".local" / "bin" / "evalstudio"
    entry = (home / ".local" / "share" / "applications" / "evalstudio.desktop").read_text()
    (exec_line,) = [line for line in entry.splitlines() if line.startswith("Exec=")]
    assert exec_line == f'Exec="{program}"'
    # The menu runs that path; PATH here is /usr/bin:/bin, without ~/.local/bin.
    ran = run(program, home, "--version")
    assert ran.returncode == 0 and ran.stdout.startswith("evalstudio, version "), ran.stderr
