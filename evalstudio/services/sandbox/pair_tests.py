"""Running a candidate's tests in a sandboxed child process, and verifying a perturbation pair
by its test: the correct twin must pass and the flawed twin must not.

Each run starts a fresh interpreter (`sys.executable -I -B -u pair_tests_child.py JOB_DIR`,
see pair_tests_child) in its own session, in a new temporary directory that is deleted
afterwards. What a run is given and held to:

- cwd, HOME and TMPDIR are a fresh empty directory; the environment is only PATH, HOME,
  TMPDIR, LANG and LC_ALL, so no secret of the app's environment (such as
  EVALSTUDIO_API_KEY) is inherited; isolated mode ignores PYTHON* variables and the user's
  site-packages (the app's own stay importable); stdin is /dev/null.
- Limits set by the child on itself before any candidate code runs: CPU seconds, 1 GiB of
  address space, 10 MiB per written file (its output included), 64 open files, no core file.
  They are set in the child, not in a `preexec_fn`: that runs between fork and exec, which
  Python documents as unsafe in a process with threads, and the app has worker threads.
- The wall-clock timeout kills the child's whole process group; the outcome is a timeout. An
  alarm a little later ends the child by itself if the app died before it could.
- An audit hook, installed before the candidate runs, ends the run as "forbidden" at the first
  attempt to reach the network (connect, bind, sendto, name lookups), to start a process
  (subprocess, os.system, exec, fork, spawn), to signal another process, to change its
  limits, or to create, change or delete a file outside its directory (open for writing,
  remove, rename, mkdir, rmdir, rmtree, chmod, link, truncate, extended attributes, SQLite
  files). The attempt is stopped before it happens, and the reason is the outcome's detail.
- On Linux, the kernel holds what the hook cannot see (ctypes, _posixsubprocess, SQLite's
  ATTACH). Landlock lets the child create, change or delete files only in its directory, read
  only there and in the system's and Python's own folders (not the user's files, not another
  process's /proc entry: the app's environment may hold an API key), reach no TCP port and
  signal no other process. A seccomp filter ends it (SIGSYS, reported as forbidden) at any
  system call that starts a process or a program, or signals, traces or reads another
  process, and refuses (EPERM) the network, raising a limit and the file changes Landlock does
  not govern (modes, owners, times, extended attributes, device nodes), inside its directory
  too. So the child can start nothing, and RLIMIT_NPROC is not needed (Linux does not enforce
  it for root, and for everyone else it counts all of the user's processes and threads, so no
  value both stops a fork bomb and lets a test start threads).

What is left open: where the kernel lacks Landlock (before 5.13, or disabled at boot; TCP
from 6.7, signals from 6.12) or seccomp, or off Linux (macOS), the audit hook alone stands,
and hostile code gets past it (ctypes calls libc directly). Candidate code is run: run studies
from sources you trust, or in a container (TRUST_NOTE, shown where it runs).

POSIX only: `resource`, sessions and process groups do not exist on Windows.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import BinaryIO

from evalstudio.core.verification import PairVerification, TestOutcome, TestStatus, verify_pair

_CHILD_SCRIPT = Path(__file__).with_name("pair_tests_child.py")
# How the one-file binary (packaging/launcher.py) is told to be a child: it has no `python -I`.
CHILD_FLAG = "--pair-test-child"
MEMORY_LIMIT_BYTES = 1 << 30
FILE_SIZE_LIMIT_BYTES = 10 << 20
OPEN_FILES_LIMIT = 64
OUTPUT_LIMIT_BYTES = 4096  # what a TestOutcome keeps of the output: its start and its end
TRUST_NOTE = (
    "Pair tests run candidate code on this machine; run studies from sources you trust or in a "
    "container."
)


def run_candidate_tests(
    candidate: str, test_source: str, *, timeout_s: float = 10.0
) -> TestOutcome:
    """Run the test_ functions of `test_source` against `candidate` in a sandboxed child; the
    outcome says how it ended. Takes at most `timeout_s` seconds (plus the cleanup)."""
    cpu_s = math.ceil(timeout_s) + 1  # above the wall-clock limit: it is the backstop
    with tempfile.TemporaryDirectory(prefix="evalstudio-tests-") as name:
        job = Path(name)
        work = job / "work"
        work.mkdir()
        (job / "candidate.py").write_text(candidate, encoding="utf-8")
        (job / "test.py").write_text(test_source, encoding="utf-8")
        limits = {
            "cpu_s": cpu_s,
            "alarm_s": cpu_s + 1,
            "memory_bytes": MEMORY_LIMIT_BYTES,
            "file_bytes": FILE_SIZE_LIMIT_BYTES,
            "open_files": OPEN_FILES_LIMIT,
        }
        (job / "job.json").write_text(json.dumps(limits), encoding="utf-8")
        started = time.monotonic()
        # A file, not a pipe: a test printing in a loop fills at most FILE_SIZE_LIMIT_BYTES of
        # disk instead of the app's memory.
        with (job / "output.txt").open("wb") as output:
            returncode = run_child(_CHILD_SCRIPT, CHILD_FLAG, job, output, timeout_s)
        duration_s = time.monotonic() - started
        printed = _read_output(job / "output.txt")
        if returncode is None:
            detail = f"stopped after {timeout_s:g} s, the time limit"
            return TestOutcome(TestStatus.TIMEOUT, detail, printed, duration_s)
        status, detail = _reported(job, returncode, cpu_s)
        return TestOutcome(status, detail, printed, duration_s)


def verify_pair_tests(
    correct_code: str, flawed_code: str, test_source: str, *, timeout_s: float = 10.0
) -> PairVerification:
    """Run the pair's test on both twins and give the verdict.

    One twin after the other, not in parallel: the app shares two cores or so with the model,
    and two children at once would slow both, make a timeout more likely to hit a correct
    twin, and save little, since a typical run is one interpreter start (tens of ms).
    """
    correct = run_candidate_tests(correct_code, test_source, timeout_s=timeout_s)
    flawed = run_candidate_tests(flawed_code, test_source, timeout_s=timeout_s)
    return verify_pair(correct, flawed)


def run_child(
    script: Path, frozen_flag: str, job: Path, output: BinaryIO, timeout_s: float
) -> int | None:
    """Run a sandbox child (`script`; in the one-file binary, the binary with `frozen_flag`) on
    `job` to its end; its exit code, or None when the timeout killed it. The pair tests' child
    and the candidate runs' child both start this way."""
    work = job / "work"
    env = {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": str(work),
        "TMPDIR": str(work),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
    }
    # -B: importing a module without cached bytecode must not try to write a .pyc beside it
    # (the hook would call that a write outside). -u: output printed before a kill is kept.
    command = [sys.executable, "-I", "-B", "-u", str(script), str(job)]
    if getattr(sys, "frozen", False):
        command = [sys.executable, frozen_flag, str(job)]
    process = subprocess.Popen(
        command,
        cwd=work,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=output,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so one kill reaches all of it
    )
    try:
        returncode: int | None = process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        returncode = None
    # On a timeout this kills the child (not reaped yet, so the group id is still its own);
    # after an exit, whatever it left running, which only code past the audit hook can do.
    _kill_group(process.pid)
    process.wait()
    return returncode


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # nothing left in the group
        os.killpg(pgid, signal.SIGKILL)


def _reported(job: Path, returncode: int, cpu_s: int) -> tuple[TestStatus, str]:
    """The status and detail the child wrote, or why it ended without writing them."""
    try:
        report = json.loads((job / "result.json").read_text(encoding="utf-8"))
        # One line, as a TestOutcome's detail must be, whatever is in the file.
        return TestStatus(report["status"]), " ".join(str(report["detail"]).splitlines())
    except (OSError, ValueError, KeyError, TypeError):
        pass  # no result (killed, crashed) or not one the child writes: judge by how it ended
    if returncode == -signal.SIGXCPU:
        return TestStatus.TIMEOUT, f"stopped by the CPU-time limit of {cpu_s} s"
    if returncode == -signal.SIGSYS:
        # The kernel's filter ends the child at a call that reaches beyond it (see the child).
        return TestStatus.FORBIDDEN, (
            "stopped at a system call that reaches beyond the test's own process (to start a "
            "process or a program, or to signal or trace another): the tests may not make it"
        )
    if (job / "output.txt").stat().st_size >= FILE_SIZE_LIMIT_BYTES:
        # Python ignores SIGXFSZ: past the limit a print raises, and so does the traceback.
        mib = FILE_SIZE_LIMIT_BYTES >> 20
        return TestStatus.ERROR, f"stopped after printing {mib} MiB, the output limit"
    if returncode < 0:
        name = signal.Signals(-returncode).name
        return TestStatus.ERROR, f"the test process was killed by {name}"
    return TestStatus.ERROR, f"the test process exited with code {returncode} without a result"


def _read_output(path: Path) -> str:
    """What the child printed, keeping its start and its end when longer than the limit."""
    size = path.stat().st_size
    with path.open("rb") as output:
        if size <= OUTPUT_LIMIT_BYTES:
            return output.read().decode("utf-8", "replace")
        head = output.read(OUTPUT_LIMIT_BYTES // 4)
        tail_bytes = OUTPUT_LIMIT_BYTES - len(head)
        output.seek(size - tail_bytes)
        tail = output.read()
    cut = size - len(head) - len(tail)
    start, end = head.decode("utf-8", "replace"), tail.decode("utf-8", "replace")
    return f"{start}\n[... {cut} bytes of output cut ...]\n{end}"
