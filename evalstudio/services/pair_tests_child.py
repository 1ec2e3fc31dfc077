"""The child process of pair_tests: runs one candidate's tests under resource limits and an
audit hook, and writes how that ended to a result file.

`python -I -B -u pair_tests_child.py JOB_DIR` runs it; the app never imports it. It needs only
the standard library. JOB_DIR holds job.json (the limits), candidate.py and test.py (the texts
to run: read as data, never pasted into any source), and work/, the child's cwd, HOME and
TMPDIR and the only place it may write. The child writes result.json in JOB_DIR:
{"status": one of TestStatus's values except "timeout", "detail": one line}.

Order matters: limits first, then the result file is opened (the hook would refuse it later:
it is outside work/), then the hook is installed, and only then candidate code runs. The first
forbidden attempt ends the run at once, before the action happens, so a candidate's
`except Exception` cannot swallow it. How far this guard goes: see pair_tests.
"""

from __future__ import annotations

import json
import linecache
import os
import resource
import signal
import sys
import traceback
from pathlib import Path
from types import CodeType
from typing import Any, NoReturn, TextIO

# Flags of an open() that may create or change a file.
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC

# Audited calls that name paths they create, change or delete: for each path, the index of the
# argument holding it, of its dir_fd argument (None: no dir_fd), and whether a symlink at the
# path is followed (chmod changes the target; remove deletes the link itself).
PATH_EVENTS: dict[str, tuple[tuple[int, int | None, bool], ...]] = {
    "os.remove": ((0, 1, False),),
    "os.rmdir": ((0, 1, False),),
    "os.mkdir": ((0, 2, False),),
    "os.rename": ((0, 2, False), (1, 3, False)),
    # A hard link to an outside file would let a write "inside" change it.
    "os.link": ((0, 2, False), (1, 3, False)),
    # The target of a symlink is checked when something writes through it.
    "os.symlink": ((1, 2, False),),
    "os.chmod": ((0, 2, True),),
    "os.chown": ((0, 3, True),),
    "os.utime": ((0, 3, True),),
    "os.truncate": ((0, None, True),),
    "shutil.rmtree": ((0, 1, False),),
}

# Audited calls that reach the network, with the index of the argument that says where to.
NETWORK_EVENTS = {
    "socket.connect": 1,
    "socket.bind": 1,
    "socket.sendto": 1,
    "socket.sendmsg": 1,
    "socket.getaddrinfo": 0,
    "socket.gethostbyname": 0,
    "socket.gethostbyaddr": 0,
    "socket.getnameinfo": 0,
}

# Audited calls that start a program or a process, with the index of the argument naming it
# (None: there is none).
PROCESS_EVENTS: dict[str, int | None] = {
    "subprocess.Popen": 1,
    "os.system": 0,
    "os.exec": 0,
    "os.posix_spawn": 0,
    "os.spawn": 1,
    "os.fork": None,
    "os.forkpty": None,
    "pty.spawn": 0,
}


class Report:
    """The result file, opened before the hook; `finish` writes it once and ends the process."""

    def __init__(self, result: TextIO) -> None:
        self.result = result

    def finish(self, status: str, detail: str) -> NoReturn:
        self.result.write(json.dumps({"status": status, "detail": detail}))
        self.result.close()
        # os._exit: no atexit handler or finalizer of the candidate runs after the verdict.
        # Output is not lost: the interpreter runs unbuffered (-u).
        os._exit(0)


class Guard:
    """The audit hook: ends the run as "forbidden" on the network, on a process, on a signal to
    another process, on a change of limits, and on a write outside the work directory."""

    def __init__(self, work: str, report: Report) -> None:
        self.work = work
        self.report = report

    def __call__(self, event: str, args: tuple[Any, ...]) -> None:
        reason = self.check(event, args)
        if reason is not None:
            # Straight to the descriptor: the candidate may have replaced sys.stderr.
            os.write(2, f"forbidden: {reason}\n".encode())
            self.report.finish("forbidden", reason)

    def check(self, event: str, args: tuple[Any, ...]) -> str | None:
        if event in NETWORK_EVENTS:
            return (
                f"{event} {shown(args[NETWORK_EVENTS[event]])}: the tests may not use the network"
            )
        if event in PROCESS_EVENTS:
            index = PROCESS_EVENTS[event]
            what = "" if index is None else f" {shown(args[index])}"
            return f"{event}{what}: the tests may not start processes"
        # The child leads its own process group, so 0 and its pid both name only itself.
        if event in {"os.kill", "os.killpg"} and args[0] not in {0, os.getpid()}:
            return f"{event} {args[0]}: the tests may signal only their own process"
        if event in {"resource.setrlimit", "resource.prlimit"}:
            return f"{event}: the tests may not change their resource limits"
        return self.check_write(event, args)

    def check_write(self, event: str, args: tuple[Any, ...]) -> str | None:
        if event == "open":
            path, _, flags = args
            if isinstance(path, int) or not (isinstance(flags, int) and flags & WRITE_FLAGS):
                return None
            return self.outside("open for writing", resolve(path, None, follow=True))
        if event == "sqlite3.connect":
            # SQLite writes its files in C, unseen by the "open" event.
            database = os.fsdecode(args[0]).removeprefix("file:").partition("?")[0]
            if database in {"", ":memory:"}:
                return None
            return self.outside(event, resolve(database, None, follow=True))
        for path_index, fd_index, follow in PATH_EVENTS.get(event, ()):
            dir_fd = None if fd_index is None else args[fd_index]
            reason = self.outside(event, resolve(args[path_index], dir_fd, follow=follow))
            if reason is not None:
                return reason
        return None

    def outside(self, action: str, path: str | None) -> str | None:
        """Why writing to `path` is forbidden, or None when it is inside the work directory
        (or is the null device, or an already open file descriptor)."""
        if path is None or path in {self.work, os.devnull}:
            return None
        if path.startswith(self.work + os.sep):
            return None
        return f"{action} {path!r}: the tests may write only inside their own directory"


def resolve(path: Any, dir_fd: Any, *, follow: bool) -> str | None:
    """The absolute, symlink-free path an audited call names; None when it names an open file
    descriptor instead. With follow=False a symlink in the last component stays unresolved."""
    if isinstance(path, int):
        return None
    named = Path(os.fsdecode(path))
    if not named.is_absolute():
        base = descriptor_path(dir_fd) if isinstance(dir_fd, int) and dir_fd >= 0 else Path.cwd()
        named = base / named
    if follow or named.name in {"", ".."}:
        return str(named.resolve())
    return str(named.parent.resolve() / named.name)


def descriptor_path(fd: int) -> Path:
    """The directory an open descriptor refers to. Linux names it in /proc; elsewhere the
    unresolved name is returned, which counts as outside the work directory."""
    link = Path(f"/proc/self/fd/{fd}")
    try:
        return link.readlink()
    except OSError:
        return link


def clipped(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def shown(value: object) -> str:
    """An argument of an audited call, short enough for a one-line reason."""
    return clipped(repr(value))


def described(error: BaseException) -> str:
    """An exception's type and the first line of its message, for a one-line detail."""
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {clipped(lines[0])}" if lines else type(error).__name__


def counted(tests: int) -> str:
    return f"{tests} test" if tests == 1 else f"{tests} tests"


def print_error(error: BaseException, *, frames: bool = True) -> None:
    """The traceback on stderr, without this module's own frame: it starts in the candidate's
    or the test's code. A syntax error has no frames of its own, only the line it is in."""
    below_us = error.__traceback__.tb_next if frames and error.__traceback__ else None
    traceback.print_exception(type(error), error, below_us)


def load(code: CodeType, namespace: dict[str, Any]) -> str | None:
    """Run the candidate's or the test source's top level; what went wrong, or None."""
    try:
        # Running this text is what the process exists for; the guard is already in place.
        exec(code, namespace)
    except BaseException as error:  # a SystemExit must not end the run unreported either
        print_error(error)
        return f"loading {code.co_filename} raised {described(error)}"
    return None


def run_tests(candidate: str, test_source: str, memory_bytes: int) -> tuple[str, str]:
    """Load the candidate, then the tests in the same namespace, then call every test_ function
    the test source defined; (status, detail). Tracebacks go to stderr, into the output."""
    try:
        candidate_code = compile(candidate, "<candidate>", "exec")
        test_code = compile(test_source, "<test>", "exec")
    except SyntaxError as error:
        print_error(error, frames=False)
        return (
            "error",
            f"{type(error).__name__} in {error.filename} line {error.lineno}: {error.msg}",
        )
    for filename, source in (("<candidate>", candidate), ("<test>", test_source)):
        # Tracebacks then show the failing lines, although neither text is a file.
        linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    namespace: dict[str, Any] = {"__name__": "__candidate__"}
    problem = load(candidate_code, namespace)
    if problem is not None:
        return "error", problem
    candidate_names = dict(namespace)
    problem = load(test_code, namespace)
    if problem is not None:
        return "error", problem
    # Only tests the test source defined: a candidate's own test_bit() is not a test.
    tests = [
        (name, value)
        for name, value in namespace.items()
        if name.startswith("test_") and callable(value) and candidate_names.get(name) is not value
    ]
    if not tests:
        return "no_tests", "the test source defines no test_ function"
    failures: list[str] = []
    for name, test in tests:
        try:
            test()
        except MemoryError as error:
            # The limit was hit: that says nothing about whether the candidate is correct.
            print_error(error)
            return "error", f"{name} ran out of memory (the limit is {memory_bytes >> 20} MiB)"
        except BaseException as error:
            print_error(error)
            failures.append(f"{name} ({described(error)})")
    if not failures:
        return "passed", f"{counted(len(tests))} passed"
    more = f"; and {len(failures) - 3} more" if len(failures) > 3 else ""
    listed = "; ".join(failures[:3])
    return "failed", f"{len(failures)} of {counted(len(tests))} failed: {listed}{more}"


def lower_limit(kind: int, value: int, hard: int | None = None) -> None:
    """Set a resource's soft limit to `value` and its hard limit to `hard` (default: the same),
    never above the hard limit already in force (lowering needs no privilege)."""
    _, current_hard = resource.getrlimit(kind)

    def capped(limit: int) -> int:
        return limit if current_hard == resource.RLIM_INFINITY else min(limit, current_hard)

    resource.setrlimit(kind, (capped(value), capped(value if hard is None else hard)))


def main(job_dir: Path) -> NoReturn:
    job = json.loads((job_dir / "job.json").read_text(encoding="utf-8"))
    # At the soft CPU limit the kernel sends SIGXCPU, at the hard one SIGKILL.
    lower_limit(resource.RLIMIT_CPU, job["cpu_s"], job["cpu_s"] + 1)
    lower_limit(resource.RLIMIT_AS, job["memory_bytes"])
    lower_limit(resource.RLIMIT_FSIZE, job["file_bytes"])
    lower_limit(resource.RLIMIT_NOFILE, job["open_files"])
    lower_limit(resource.RLIMIT_CORE, 0)  # a run killed by a limit leaves no core file
    # Ends the child by itself should the app die mid-run: a sleeping test spends no CPU time,
    # so the CPU limit would not. A test that sets an alarm of its own replaces this one.
    signal.alarm(job["alarm_s"])
    candidate = (job_dir / "candidate.py").read_text(encoding="utf-8")
    test_source = (job_dir / "test.py").read_text(encoding="utf-8")
    report = Report((job_dir / "result.json").open("x", encoding="utf-8"))
    sys.addaudithook(Guard(str((job_dir / "work").resolve()), report))
    report.finish(*run_tests(candidate, test_source, job["memory_bytes"]))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
