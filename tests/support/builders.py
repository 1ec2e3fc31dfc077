"""Builders of task records and files for tests: valid by default, one override makes them bad."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

CODE = "def add(a, b):\n    return a + b\n"
FLAWED_CODE = "def add(a, b):\n    return a - b\n"


def record(id: str = "r1", **fields: Any) -> dict[str, Any]:
    """A valid code record; keyword arguments override or add fields (None removes one)."""
    base: dict[str, Any] = {
        "id": id,
        "prompt": "Write add(a, b).",
        "candidate": CODE,
        "kind": "code",
        "language": "python",
    }
    base.update(fields)
    return {k: v for k, v in base.items() if v is not None}


def pair(pair_id: str, prompt: str = "Write add(a, b).") -> list[dict[str, Any]]:
    """A correct record and its flawed twin."""
    return [
        record(f"{pair_id}-ok", prompt=prompt, pair_id=pair_id, truth="correct"),
        record(
            f"{pair_id}-bug",
            prompt=prompt,
            pair_id=pair_id,
            truth="flawed",
            candidate=FLAWED_CODE,
            flaw_description="subtracts",
            flaw_lines=[2, 2],
        ),
    ]


def write_jsonl(path: Path, records: Iterable[dict[str, Any] | str]) -> Path:
    """Write records (dicts, or raw lines as str) one per line."""
    lines = (r if isinstance(r, str) else json.dumps(r) for r in records)
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


def write_csv(path: Path, header: list[str], rows: Iterable[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


# A short support chat; the last turn is the assistant answer under review.
MESSAGES: list[dict[str, str]] = [
    {"role": "system", "content": "You are the support assistant of a bicycle shop."},
    {"role": "user", "content": "Do you repair e-bikes?"},
    {"role": "assistant", "content": "Yes, all brands, in our workshop on Mill Street."},
    {"role": "user", "content": "How long does a battery check take?"},
    {
        "role": "assistant",
        "content": "A battery check takes about **30 minutes**.\nNo booking needed.",
    },
]


def chat(id: str = "c1", **fields: Any) -> dict[str, Any]:
    """A valid conversation record (text, `messages`, no prompt or candidate); keyword
    arguments override or add fields (None removes one)."""
    base: dict[str, Any] = {"id": id, "kind": "text", "messages": MESSAGES}
    base.update(fields)
    return {k: v for k, v in base.items() if v is not None}
