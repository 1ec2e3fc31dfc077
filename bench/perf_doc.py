"""Writes a benchmark's figures into its own section of docs/perf.md, with machine and date."""

from __future__ import annotations

import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

PERF_MD = Path(__file__).resolve().parents[1] / "docs" / "perf.md"
HEADER = """# Performance figures

Written by the scripts in `bench/` (`make bench`); each section is replaced by the next run
of its script.
"""


def machine() -> str:
    cpu = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores ({cpu}), "
        f"Python {platform.python_version()}"
    )


def write_section(name: str, body: str) -> None:
    """Replace section `name` of docs/perf.md with `body`, stamped with machine, date, command."""
    start, end = f"<!-- {name} -->", f"<!-- /{name} -->"
    stamp = (
        f"_{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {machine()} · "
        f"`python {' '.join(['bench/' + Path(sys.argv[0]).name, *sys.argv[1:]])}`_\n\n"
    )
    section = f"{start}\n{body.strip()}\n\n{stamp}{end}"
    text = PERF_MD.read_text(encoding="utf-8") if PERF_MD.exists() else HEADER
    if start in text and end in text:
        before, rest = text.split(start, 1)
        text = before + section + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    PERF_MD.write_text(text, encoding="utf-8")
