"""Attacks on the pair-test sandbox: hostile candidate code, run by its pair's test as `study
create|validate` and `pair verify` run it, tries to start a shell, to write outside its
directory (through SQLite, a FIFO, an extended attribute, the C library), to read the user's
files or the app's environment, to signal the app, and to leave a process behind. Each attack
is the flawed twin of a pair whose correct twin is harmless: none may succeed, and the flawed
twin's outcome is a clean one-line refusal or failure, never a pass (so the pair reads as
verified, as with any flawed twin that fails).

No attack here signals anything but the test process itself, and it catches the signal: a
`kill(-1, ...)` that got through would reach every process of the user."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from evalstudio.cli.main import main
from evalstudio.core.verification import PairVerdict, PairVerification, TestStatus
from evalstudio.services.sandbox.pair_tests import TRUST_NOTE, verify_pair_tests
from evalstudio.services.workspace.resources import demo_dir

CORRECT = "def work():\n    return 1\n"
TEST = "def test_work():\n    assert work() == 1\n"
STOPPED = "stopped at a system call that reaches beyond the test's own process"

# What the attacks use past the audit hook. `spawn`: _posixsubprocess.fork_exec, what
# subprocess.Popen calls, which no audit event names; it starts argv (in a session of its own
# with setsid) and returns its pid. `libc`: a C library call, raising when it was refused.
ATTACKER_TOOLS = """
import ctypes, os, _posixsubprocess
def spawn(argv, setsid=False):
    r, w = os.pipe()
    return _posixsubprocess.fork_exec(
        [os.fsencode(a) for a in argv], (os.fsencode(argv[0]),), True, (w,), None, None,
        -1, -1, -1, -1, -1, -1, r, w, False, setsid, -1, None, None, None, -1, None, False)
def libc(name, *args):
    result = getattr(ctypes.CDLL(None, use_errno=True), name)(*args)
    if result < 0:
        raise OSError(ctypes.get_errno(), f'{name} refused')
    return result
"""


def attacked(attack: str, timeout_s: float = 10.0) -> PairVerification:
    """The verification of a pair whose flawed twin runs `attack` (the body of `work`)."""
    body = "".join(f"    {line}\n" for line in attack.strip().splitlines())
    flawed = f"{ATTACKER_TOOLS}\ndef work():\n{body}    return 1\n"
    return verify_pair_tests(CORRECT, flawed, TEST, timeout_s=timeout_s)


def assert_refused(verification: PairVerification, status: TestStatus) -> None:
    """The attack ended with `status` and a clean one-line reason; the pair reads verified."""
    flawed = verification.flawed
    assert verification.correct.status is TestStatus.PASSED, verification.correct
    assert flawed.status is status, flawed.output
    assert verification.verdict is PairVerdict.VERIFIED
    assert "Traceback" not in flawed.detail and "\n" not in flawed.detail


def printed_pids(output: str) -> list[int]:
    return [int(line.split("=")[1]) for line in output.splitlines() if line.startswith("pid=")]


def state(pid: int) -> str | None:
    """Process `pid`'s state letter, None when it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return None


def alive(pid: int) -> bool:
    return state(pid) not in {None, "Z"}  # a zombie only waits to be reaped


def in_session_or_group(sid: int) -> list[int]:
    """Live processes whose session or process group is `sid`, read from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue  # ended while we looked
            if fields[0] != "Z" and sid in {int(fields[2]), int(fields[3])}:
                found.append(int(entry.name))
    return found


def survivors(pids: list[int]) -> list[int]:
    """Which of `pids` (the child first) still run, or run in its session or group, after up
    to a second: a process killed a moment ago may take that long to be gone."""
    deadline = time.monotonic() + 1.0
    while True:
        left = [p for p in pids if alive(p)] + (in_session_or_group(pids[0]) if pids else [])
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


@pytest.fixture
def sweep() -> Iterator[list[int]]:
    """Pids an attack printed; any still alive after the test is killed."""
    pids: list[int] = []
    yield pids
    for pid in pids:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize(
    "start",
    [
        "os.waitpid(spawn(['/bin/sh', '-c', 'touch ' + MARKER]), 0)\n",
        # fork and exec straight from the C library: the hook sees neither.
        "lib = ctypes.CDLL(None)\n"
        "pid = lib.fork()\n"
        "if pid == 0:\n"
        "    lib.execl(b'/bin/sh', b'sh', b'-c', b'touch ' + MARKER.encode(), None)\n"
        "    lib._exit(1)\n"
        "os.waitpid(pid, 0)\n",
    ],
    ids=["posixsubprocess", "libc-fork-exec"],
)
def test_a_shell_never_runs(tmp_path: Path, start: str) -> None:
    marker = tmp_path / "shell-ran"
    verification = attacked(f"MARKER = {str(marker)!r}\n{start}")
    assert not marker.exists()
    assert_refused(verification, TestStatus.FORBIDDEN)
    assert verification.flawed.detail.startswith(STOPPED)


@pytest.mark.parametrize(
    "statements",
    [
        # The hook read the URI's path as written: %2F is a slash only to SQLite.
        "sqlite3.connect('file:' + TARGET.replace('/', '%2F') + '?mode=rwc', uri=True)"
        ".execute('create table t(a)')\n",
        "db = sqlite3.connect(':memory:')\n"
        "db.execute('attach database ? as x', (TARGET,))\n"
        "db.execute('create table x.t(a)')\n",
        "db = sqlite3.connect(':memory:')\n"
        "db.execute('create table t(a)')\n"
        "db.execute('vacuum into ?', (TARGET,))\n",
    ],
    ids=["uri-escaped-slashes", "attach", "vacuum-into"],
)
def test_sqlite_never_writes_outside(tmp_path: Path, statements: str) -> None:
    target = tmp_path / "escaped.sqlite"
    verification = attacked(f"import sqlite3\nTARGET = {str(target)!r}\n{statements}")
    assert not target.exists()
    uri = statements.startswith("sqlite3.connect")  # the hook names it; SQLite's C is refused
    assert_refused(verification, TestStatus.FORBIDDEN if uri else TestStatus.FAILED)
    expected = "sqlite3.connect" if uri else "OperationalError: unable to open database"
    assert expected in verification.flawed.detail


@pytest.mark.parametrize(
    "write",
    [
        "os.mkfifo(TARGET)\n",
        # The C library's open, and os.open relative to a directory descriptor: neither is
        # seen by the hook as a write outside.
        "libc('open', TARGET.encode(), os.O_WRONLY | os.O_CREAT, 0o644)\n",
        "os.open('escaped', os.O_WRONLY | os.O_CREAT, dir_fd=os.open(HERE, os.O_RDONLY))\n",
    ],
    ids=["fifo", "libc-open", "open-dir-fd"],
)
def test_no_file_is_made_outside(tmp_path: Path, write: str) -> None:
    target = tmp_path / "escaped"
    verification = attacked(f"TARGET = {str(target)!r}\nHERE = {str(tmp_path)!r}\n{write}")
    assert list(tmp_path.iterdir()) == []
    assert_refused(verification, TestStatus.FAILED)
    assert "PermissionError" in verification.flawed.detail


def test_an_extended_attribute_is_never_set_outside(tmp_path: Path) -> None:
    victim = tmp_path / "someone-elses.txt"
    victim.write_text("their work")
    path = str(victim).encode()
    statuses = []
    for attack in (
        f"os.setxattr({path!r}, b'user.evil', b'1')",
        f"libc('setxattr', {path!r}, b'user.evil', b'1', 1, 0)",
    ):
        verification = attacked(attack)
        assert os.listxattr(victim) == []
        statuses.append(verification.flawed.status)
        assert verification.verdict is PairVerdict.VERIFIED
    assert statuses == [TestStatus.FORBIDDEN, TestStatus.FAILED]  # the hook names the first


@pytest.mark.parametrize(
    "read",
    ["open(SECRET).read()", "open(f'/proc/{os.getppid()}/environ').read()", "os.listdir(HOME)"],
    ids=["user-file", "app-environment", "user-folder"],
)
def test_nothing_of_the_user_or_the_app_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, read: str
) -> None:
    # Read, it would reach the app's output and the stored check's explanation.
    secret = tmp_path / "id_key"
    secret.write_text("k3y-of-the-user")
    monkeypatch.setenv("EVALSTUDIO_API_KEY", "k3y-of-the-user")
    verification = attacked(f"SECRET = {str(secret)!r}\nHOME = {str(tmp_path)!r}\nprint({read})\n")
    assert "k3y-of-the-user" not in verification.flawed.output
    assert_refused(verification, TestStatus.FAILED)
    assert "PermissionError" in verification.flawed.detail


@pytest.mark.parametrize(
    "send",
    [
        "import signal\nsignal.pidfd_send_signal(os.pidfd_open(os.getppid()), signal.SIGUSR1)\n",
        "import signal\nlibc('kill', os.getppid(), signal.SIGUSR1)\n",
    ],
    ids=["pidfd", "libc-kill"],
)
def test_the_app_is_never_signalled(send: str) -> None:
    # The attack sent SIGKILL to the app; SIGUSR1, caught here, shows the same reach.
    received: list[int] = []
    previous = signal.signal(signal.SIGUSR1, lambda number, frame: received.append(number))
    try:
        verification = attacked(send)
        time.sleep(0.05)  # a signal sent is delivered by now
    finally:
        signal.signal(signal.SIGUSR1, previous)
    assert received == []
    assert_refused(verification, TestStatus.FORBIDDEN)
    assert verification.flawed.detail.startswith(STOPPED)


@pytest.mark.parametrize("setsid", [True, False], ids=["own-session", "same-group"])
def test_no_process_outlives_the_run(sweep: list[int], setsid: bool) -> None:
    attack = (
        "print(f'pid={os.getpid()}', flush=True)\n"
        f'print(f\'pid={{spawn(["/bin/sleep", "30"], setsid={setsid})}}\', flush=True)\n'
    )
    verification = attacked(attack)
    sweep.extend(printed_pids(verification.flawed.output))
    assert sweep and survivors(sweep) == []
    assert_refused(verification, TestStatus.FORBIDDEN)


def test_no_process_outlives_a_timeout(sweep: list[int]) -> None:
    attack = (
        "print(f'pid={os.getpid()}', flush=True)\n"
        'print(f\'pid={spawn(["/bin/sleep", "30"], setsid=True)}\', flush=True)\n'
        "import time\n"
        "time.sleep(60)\n"
    )
    verification = attacked(attack, timeout_s=1.0)
    sweep.extend(printed_pids(verification.flawed.output))
    assert sweep and survivors(sweep) == []
    assert_refused(verification, TestStatus.FORBIDDEN)


def test_a_normal_test_still_uses_threads_files_sqlite_and_signals_in_its_directory() -> None:
    test = (
        "import os, signal, sqlite3, threading\n"
        "def test_work():\n"
        "    results = []\n"
        "    add = lambda: results.append(work())\n"
        "    threads = [threading.Thread(target=add) for _ in range(4)]\n"
        "    for thread in threads: thread.start()\n"
        "    for thread in threads: thread.join()\n"
        "    assert results == [1] * 4\n"
        "    db = sqlite3.connect('local.sqlite')\n"
        "    db.execute('attach database ? as x', ('other.sqlite',))\n"
        "    db.execute('create table x.t(a)')\n"
        "    db.commit()\n"
        "    os.rename('other.sqlite', 'moved.sqlite')\n"
        "    with open(os.devnull, 'w') as null: null.write('x')\n"
        "    signal.signal(signal.SIGUSR2, lambda *_: results.append(2))\n"
        "    os.kill(os.getpid(), signal.SIGUSR2)\n"
        "    assert results[-1] == 2\n"
    )
    verification = verify_pair_tests(CORRECT, CORRECT.replace("1", "2"), test)
    assert verification.correct.status is TestStatus.PASSED, verification.correct.output
    assert verification.verdict is PairVerdict.VERIFIED


def test_study_validate_runs_a_hostile_pair_in_the_sandbox_and_says_code_is_run(
    tmp_path: Path,
) -> None:
    marker = tmp_path / "shell-ran"
    records = [json.loads(line) for line in (demo_dir() / "tasks.jsonl").read_text().splitlines()]
    kept = [r for r in records if r["kind"] != "code" or r.get("pair_id") == "binsearch"]
    for record in kept:
        if record.get("pair_id") == "binsearch" and record["truth"] == "flawed":
            shell = f"spawn(['/bin/sh', '-c', 'touch {marker}'])"
            record["candidate"] += f"\n{ATTACKER_TOOLS}\n{shell}\n"
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text("".join(json.dumps(r) + "\n" for r in kept), encoding="utf-8")
    definition = tmp_path / "study.toml"
    definition.write_text(
        'name = "Trial"\ntasks = "tasks.jsonl"\nseed = 7\nevaluators = ["Ada"]\n'
        'conditions = ["unassisted", "assisted"]\n',
        encoding="utf-8",
    )
    db = str(tmp_path / "w.sqlite")
    checked = CliRunner().invoke(main, ["--db", db, "study", "validate", str(definition)])
    assert checked.exit_code == 0, checked.output
    assert not marker.exists()
    assert "Pairs checked by their tests: 1 verified" in checked.output
    assert checked.output.rstrip().endswith(TRUST_NOTE)
