"""The child process of pair_tests: runs one candidate's tests under resource limits, an audit
hook and (on Linux) the kernel's Landlock and seccomp, and writes how that ended to a result
file.

`python -I -B -u pair_tests_child.py JOB_DIR` runs it; the app never imports it. It needs only
the standard library. JOB_DIR holds job.json (the limits), candidate.py and test.py (the texts
to run: read as data, never pasted into any source), and work/, the child's cwd, HOME and
TMPDIR and the only place it may write. The child writes result.json in JOB_DIR:
{"status": one of TestStatus's values except "timeout", "detail": one line}.

Order matters: limits first, then the result file is opened (the hook and Landlock would
refuse it later: it is outside work/), then the kernel's confinement, then the hook, and only
then candidate code runs. The first forbidden attempt ends the run at once, before the action
happens, so a candidate's `except Exception` cannot swallow it. How far this guard goes: see
pair_tests.
"""

from __future__ import annotations

import ctypes
import errno
import json
import linecache
import os
import re
import resource
import signal
import stat
import struct
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
    "os.setxattr": ((0, None, True),),
    "os.removexattr": ((0, None, True),),
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
            # SQLite writes its files in C, unseen by the "open" event. A URI's path ends at
            # its query or fragment, and SQLite decodes its %HH escapes (%2F is a slash).
            database = os.fsdecode(args[0])
            if database.startswith("file:"):
                path = re.split("[?#]", database.removeprefix("file:"), maxsplit=1)[0]
                database = re.sub("%([0-9A-Fa-f]{2})", lambda m: chr(int(m[1], 16)), path)
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


# -- Kernel confinement (Linux) -------------------------------------------------------------------
# The audit hook sees what Python code asks of the standard library; ctypes, the C helper behind
# subprocess (_posixsubprocess) and SQLite's own file access (ATTACH, VACUUM INTO) go around it.
# Two kernel features hold whatever the process does, set before the hook and never undone:
# Landlock (Linux 5.13+) lets it create, change or delete files only under work/, read only
# there and in the system's and Python's folders, reach no TCP port (6.7+) and signal no
# process but itself (6.12+); a seccomp filter ends it at a system call that starts a process
# or a program or reaches another process, and refuses those that raise a limit, reach an
# address, or change what Landlock does not govern (modes, owners, times, extended
# attributes). Where the kernel has neither (or off Linux), the hook alone stands. Both are set
# with ctypes here: on PyPI, `landlock` is a pre-release that stops before network and signal
# scoping, `seccompy` leaves the x32 numbers open, `pyseccomp` needs libseccomp's shared
# library (one more native file for the binary to carry).


def syscall_table(text: str) -> dict[str, tuple[int, int | None]]:
    """`name=X/A ...` as name → (number on x86-64, on aarch64; None: it has none there)."""
    table: dict[str, tuple[int, int | None]] = {}
    for entry in text.split():
        name, _, numbers = entry.partition("=")
        x86, _, arm = numbers.partition("/")
        table[name] = (int(x86), None if arm == "-" else int(arm))
    return table


# Calls that reach beyond the process: the first ends it at once (SIGSYS, which pair_tests
# reports as forbidden), as the hook ends the run, so no `except` hides the attempt. Numbers
# from the kernel's tables (arch/x86/entry/syscalls, include/uapi/asm-generic/unistd.h); from
# 424 on they are the same everywhere.
FORBIDDEN_CALLS = syscall_table(
    # A process or a program; leaving the session and group the app kills.
    "fork=57/- vfork=58/- execve=59/221 execveat=322/281 setsid=112/157 setpgid=109/154 "
    # Another process: signals (kill and its kin are checked below), tracing, its memory.
    "tkill=200/130 pidfd_open=434/434 pidfd_send_signal=424/424 pidfd_getfd=438/438 "
    "ptrace=101/117 process_vm_readv=310/270 process_vm_writev=311/271 kcmp=312/272 "
    "process_madvise=440/440 "
    # What widens the sandbox or changes the machine (root may), and io_uring, whose
    # operations seccomp does not see.
    "unshare=272/97 setns=308/268 mount=165/40 umount2=166/39 pivot_root=155/41 chroot=161/51 "
    "mount_setattr=442/442 move_mount=429/429 open_tree=428/428 fsopen=430/430 fsmount=432/432 "
    "fsconfig=431/431 fspick=433/433 open_by_handle_at=304/265 name_to_handle_at=303/264 "
    "init_module=175/105 finit_module=313/273 delete_module=176/106 kexec_load=246/104 "
    "kexec_file_load=320/294 reboot=169/142 swapon=167/224 swapoff=168/225 acct=163/89 "
    "quotactl=179/60 bpf=321/280 perf_event_open=298/241 userfaultfd=323/282 keyctl=250/219 "
    "add_key=248/217 request_key=249/218 settimeofday=164/170 clock_settime=227/112 "
    "clock_adjtime=305/266 adjtimex=159/171 sethostname=170/161 setdomainname=171/162 "
    "iopl=172/- ioperm=173/- io_uring_setup=425/425 io_uring_enter=426/426 "
    "io_uring_register=427/427"
)
# Calls that fail instead (EPERM), because ordinary library code makes them and copes: the C
# library asks a name service over a socket before reading /etc/passwd, SQLite running as root
# gives its journal the database's owner, shutil.copy2 copies modes, times and attributes.
REFUSED_CALLS = syscall_table(
    # An address: a socket reaches no one (socket and sendto are checked below).
    "connect=42/203 bind=49/200 sendmsg=46/211 sendmmsg=307/269 "
    # Limits: root may raise them (prlimit64 is checked below).
    "setrlimit=160/164 "
    # Changes Landlock does not govern: refused inside work/ too, the kernel cannot tell where.
    "chmod=90/- fchmod=91/52 fchmodat=268/53 fchmodat2=452/452 chown=92/- fchown=93/55 "
    "lchown=94/- fchownat=260/54 utime=132/- utimes=235/- utimensat=280/88 futimesat=261/- "
    "setxattr=188/5 lsetxattr=189/6 fsetxattr=190/7 setxattrat=463/463 removexattr=197/14 "
    "lremovexattr=198/15 fremovexattr=199/16 removexattrat=466/466 mknod=133/- mknodat=259/33"
)
# Allowed with some arguments only (see seccomp_program).
CHECKED_CALLS = syscall_table(
    "kill=62/129 tgkill=234/131 rt_sigqueueinfo=129/138 rt_tgsigqueueinfo=297/240 "
    "clone=56/220 clone3=435/435 socket=41/198 sendto=44/206 prlimit64=302/261 ioctl=16/29 "
    "fcntl=72/25"
)
# The audit architecture seccomp reports, and the column of the tables, per machine.
ARCHITECTURES = {"x86_64": (0xC000003E, 0), "aarch64": (0xC00000B7, 1)}

SECCOMP_RET_KILL_PROCESS = 0x80000000
SECCOMP_RET_ERRNO = 0x00050000
SECCOMP_RET_ALLOW = 0x7FFF0000
FORBID = SECCOMP_RET_KILL_PROCESS
REFUSE = SECCOMP_RET_ERRNO | errno.EPERM
X32_SYSCALL_BIT = 0x40000000  # x86-64's x32 ABI: the same calls under other numbers
CLONE_THREAD = 0x00010000
AF_UNIX, AF_INET, AF_INET6 = 1, 2, 10
# Requests acting outside the process: typing into a terminal, and having the kernel signal a
# process of the caller's choice when a descriptor is ready.
OUTWARD_IOCTLS = (0x5412, 0x541C, 0x8901, 0x8902)  # TIOCSTI, TIOCLINUX, FIOSETOWN, SIOCSPGRP
OUTWARD_FCNTLS = (8, 15)  # F_SETOWN, F_SETOWN_EX

# Classic BPF, as seccomp runs it on struct seccomp_data {int nr; u32 arch; u64 ip; u64 args[6]}.
BPF_LOAD, BPF_JEQ, BPF_JGE, BPF_JSET, BPF_RET = 0x20, 0x15, 0x35, 0x45, 0x06
Instruction = tuple[int, int, int, int]  # code, jump if true, jump if false, constant


def bpf_load(offset: int) -> Instruction:
    return (BPF_LOAD, 0, 0, offset)


def bpf_ret(action: int) -> Instruction:
    return (BPF_RET, 0, 0, action)


def low_word(index: int) -> int:
    """Where argument `index`'s low 32 bits are (little-endian): all an int argument is."""
    return 16 + 8 * index


def argument_in(
    index: int, values: tuple[int, ...], then: int, otherwise: int
) -> list[Instruction]:
    jumps = [(BPF_JEQ, len(values) - n, 0, value) for n, value in enumerate(values)]
    return [bpf_load(low_word(index)), *jumps, bpf_ret(otherwise), bpf_ret(then)]


def null_argument(index: int) -> list[Instruction]:
    """Allowed when 64-bit argument `index` is 0 (a null pointer), refused otherwise."""
    return [
        bpf_load(low_word(index)),
        (BPF_JEQ, 0, 2, 0),
        bpf_load(low_word(index) + 4),
        (BPF_JEQ, 1, 0, 0),
        bpf_ret(REFUSE),
        bpf_ret(SECCOMP_RET_ALLOW),
    ]


def seccomp_program(machine: str, pid: int) -> bytes | None:
    """The filter for this process (`pid`) on `machine`; None for a machine without tables."""
    if machine not in ARCHITECTURES or sys.byteorder != "little":
        return None
    audit_arch, column = ARCHITECTURES[machine]
    allow, own = SECCOMP_RET_ALLOW, (pid,)
    checks: dict[str, list[Instruction]] = {
        # Signals reach only this process (0 is its own group, which is only itself).
        "kill": argument_in(0, (0, pid), allow, FORBID),
        "tgkill": argument_in(0, own, allow, FORBID),
        "rt_sigqueueinfo": argument_in(0, own, allow, FORBID),
        "rt_tgsigqueueinfo": argument_in(0, own, allow, FORBID),
        # A thread, never a process. clone3 passes its flags in memory, out of the filter's
        # sight: "not implemented" makes the C library fall back to clone for threads.
        "clone": [
            bpf_load(low_word(0)),
            (BPF_JSET, 1, 0, CLONE_THREAD),
            bpf_ret(FORBID),
            bpf_ret(allow),
        ],
        "clone3": [bpf_ret(SECCOMP_RET_ERRNO | errno.ENOSYS)],
        # Internet sockets may be made (the hook names what a test then tries with one);
        # netlink and raw packets, which reach the kernel's network settings, may not.
        "socket": argument_in(0, (AF_UNIX, AF_INET, AF_INET6), allow, REFUSE),
        "sendto": null_argument(4),  # to the connected peer, never to an address
        "prlimit64": null_argument(2),  # reading a limit, never setting one
        "ioctl": argument_in(1, OUTWARD_IOCTLS, FORBID, allow),
        "fcntl": argument_in(1, OUTWARD_FCNTLS, FORBID, allow),
    }
    # A call made through another ABI (32-bit x86, x32) has other numbers: forbidden.
    program = [bpf_load(4), (BPF_JEQ, 1, 0, audit_arch), bpf_ret(FORBID), bpf_load(0)]
    if machine == "x86_64":
        program += [(BPF_JGE, 0, 1, X32_SYSCALL_BIT), bpf_ret(FORBID)]
    rules = [(numbers[column], [bpf_ret(FORBID)]) for numbers in FORBIDDEN_CALLS.values()]
    rules += [(numbers[column], [bpf_ret(REFUSE)]) for numbers in REFUSED_CALLS.values()]
    rules += [(CHECKED_CALLS[name][column], block) for name, block in checks.items()]
    for number, block in rules:
        if number is not None:  # each rule's block ends in a return: the number stays loaded
            program += [(BPF_JEQ, 0, len(block), number), *block]
    program.append(bpf_ret(allow))
    return b"".join(struct.pack("=HBBI", *instruction) for instruction in program)


# Landlock's system calls (the same numbers everywhere), and the rights this policy handles.
LANDLOCK_CREATE_RULESET, LANDLOCK_ADD_RULE, LANDLOCK_RESTRICT_SELF = 444, 445, 446
LANDLOCK_CREATE_RULESET_VERSION = 1
LANDLOCK_RULE_PATH_BENEATH = 1
PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
# Every file right, by the ABI version that brought it: execute, write, read a file or a
# directory, remove a directory or a file, make a device, directory, file, socket, FIFO or
# symlink (1); move or link a file to another directory (2); truncate (3); ioctl on a device (5).
LANDLOCK_FS_RIGHTS = ((1, 0b1_1111_1111_1111), (2, 1 << 13), (3, 1 << 14), (5, 1 << 15))
LANDLOCK_WRITE_FILE, LANDLOCK_READ_FILE, LANDLOCK_READ_DIR = 1 << 1, 1 << 2, 1 << 3
# What may be read besides work/: the system's programs, libraries and settings, Python's own
# files (see readable_places), this process's /proc entry and harmless devices. Not the user's
# files, nor /proc of another process (the app's environment may hold an API key), nor a disk.
SYSTEM_DIRECTORIES = ("/usr", "/lib", "/lib32", "/lib64", "/libx32", "/bin", "/sbin", "/etc")
SYSTEM_EXTRAS = ("/sys", "/nix", "/gnu")  # the CPU count; where Nix and Guix keep libraries
DEVICES = ("/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")
LANDLOCK_NET_TCP = (4, 0b11)  # bind, connect
LANDLOCK_SCOPES = (6, 0b11)  # abstract UNIX sockets, signals


class RulesetAttr(ctypes.Structure):
    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


class PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


class SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def system_call(libc: ctypes.CDLL, name: str, *args: Any) -> int:
    """A variadic C call with every integer passed as a long, as the kernel reads them."""
    function = getattr(libc, name)
    return int(function(*(ctypes.c_long(a) if isinstance(a, int) else a for a in args)))


def checked(result: int, call: str) -> int:
    if result < 0:
        number = ctypes.get_errno()
        raise OSError(number, f"{call}: {os.strerror(number)}")
    return result


def confine(work: str) -> None:
    """Hold this process (and its threads) to the policy above; the limits are already set."""
    if sys.platform != "linux":
        return
    libc = ctypes.CDLL(None, use_errno=True)
    # Needed by both, and kept by every thread: no program can gain privileges by running.
    checked(system_call(libc, "prctl", PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "PR_SET_NO_NEW_PRIVS")
    restrict_files(libc, work)
    program = seccomp_program(os.uname().machine, os.getpid())
    if program is not None:
        buffer = ctypes.create_string_buffer(program, len(program))
        fprog = SockFprog(len(program) // 8, ctypes.cast(buffer, ctypes.c_void_p))
        result = system_call(
            libc, "prctl", PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0
        )
        if result < 0 and ctypes.get_errno() != errno.EINVAL:  # EINVAL: a kernel without it
            checked(result, "PR_SET_SECCOMP")


def restrict_files(libc: ctypes.CDLL, work: str) -> None:
    """Landlock: no file created, changed or deleted outside `work` (writing to /dev/null
    aside), none read outside it but `readable_places`, no TCP port reached, no signal sent
    out, as far as the kernel's ABI version goes."""
    abi = system_call(
        libc, "syscall", LANDLOCK_CREATE_RULESET, None, 0, LANDLOCK_CREATE_RULESET_VERSION
    )
    if abi < 0 and ctypes.get_errno() in {errno.ENOSYS, errno.EOPNOTSUPP}:
        return  # not in this kernel, or disabled at boot
    checked(abi, "landlock_create_ruleset")
    rights = sum(bits for since, bits in LANDLOCK_FS_RIGHTS if abi >= since)
    attr = RulesetAttr(
        rights,
        LANDLOCK_NET_TCP[1] if abi >= LANDLOCK_NET_TCP[0] else 0,
        LANDLOCK_SCOPES[1] if abi >= LANDLOCK_SCOPES[0] else 0,
    )
    size = ctypes.sizeof(attr)  # fields an older kernel lacks are 0: it accepts them
    created = system_call(libc, "syscall", LANDLOCK_CREATE_RULESET, ctypes.byref(attr), size, 0)
    ruleset = checked(created, "landlock_create_ruleset")
    read = LANDLOCK_READ_FILE | LANDLOCK_READ_DIR
    rules = [(work, rights), (os.devnull, LANDLOCK_READ_FILE | LANDLOCK_WRITE_FILE)]
    rules += [(device, LANDLOCK_READ_FILE) for device in DEVICES]
    rules += [(place, read) for place in readable_places()]
    try:
        for path, allowed in rules:
            try:
                parent = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue  # not on this system
            try:
                if not stat.S_ISDIR(os.fstat(parent).st_mode):
                    allowed &= ~LANDLOCK_READ_DIR  # a file takes file rights only
                rule = PathBeneathAttr(allowed, parent)
                added = system_call(
                    libc,
                    "syscall",
                    LANDLOCK_ADD_RULE,
                    ruleset,
                    LANDLOCK_RULE_PATH_BENEATH,
                    ctypes.byref(rule),
                    0,
                )
                checked(added, "landlock_add_rule")
            finally:
                os.close(parent)
        restricted = system_call(libc, "syscall", LANDLOCK_RESTRICT_SELF, ruleset, 0)
        checked(restricted, "landlock_restrict_self")
    finally:
        os.close(ruleset)


def readable_places() -> set[str]:
    """Where the interpreter and what it imports live (the frozen app's folder is on sys.path),
    the system's directories, and this process's /proc entry."""
    python = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, *sys.path}
    python.add(str(Path(sys.executable).resolve().parent))
    own = f"/proc/{os.getpid()}"
    return {*SYSTEM_DIRECTORIES, *SYSTEM_EXTRAS, *(p for p in python if p), own}


def lower_limit(kind: int, value: int, hard: int | None = None) -> None:
    """Set a resource's soft limit to `value` and its hard limit to `hard` (default: the same),
    never above the hard limit already in force (lowering needs no privilege)."""
    _, current_hard = resource.getrlimit(kind)

    def capped(limit: int) -> int:
        return limit if current_hard == resource.RLIM_INFINITY else min(limit, current_hard)

    resource.setrlimit(kind, (capped(value), capped(value if hard is None else hard)))


def apply_limits(job: dict[str, Any]) -> None:
    """The job's resource limits, on this process (the candidate runs' child too)."""
    # At the soft CPU limit the kernel sends SIGXCPU, at the hard one SIGKILL.
    lower_limit(resource.RLIMIT_CPU, job["cpu_s"], job["cpu_s"] + 1)
    lower_limit(resource.RLIMIT_AS, job["memory_bytes"])
    lower_limit(resource.RLIMIT_FSIZE, job["file_bytes"])
    lower_limit(resource.RLIMIT_NOFILE, job["open_files"])
    lower_limit(resource.RLIMIT_CORE, 0)  # a run killed by a limit leaves no core file


def main(job_dir: Path) -> NoReturn:
    job = json.loads((job_dir / "job.json").read_text(encoding="utf-8"))
    apply_limits(job)
    # Ends the child by itself should the app die mid-run: a sleeping test spends no CPU time,
    # so the CPU limit would not. A test that sets an alarm of its own replaces this one.
    signal.alarm(job["alarm_s"])
    candidate = (job_dir / "candidate.py").read_text(encoding="utf-8")
    test_source = (job_dir / "test.py").read_text(encoding="utf-8")
    report = Report((job_dir / "result.json").open("x", encoding="utf-8"))
    work = str((job_dir / "work").resolve())
    confine(work)
    sys.addaudithook(Guard(work, report))
    report.finish(*run_tests(candidate, test_source, job["memory_bytes"]))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
