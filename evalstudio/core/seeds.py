"""Seeds derived from a run's seed, so a run replays exactly: the same parts give the same
31-bit seed on every machine (SHA-256, not Python's salted hash); and the digest that says
two seeded requests are the same request."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def derived_seed(*parts: object) -> int:
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:4], "big") >> 1


def request_digest(model: str, messages: list[dict[str, str]], params: dict[str, Any]) -> str:
    """SHA-256 of a request: with a fixed seed and a fresh evaluation, its response is a pure
    function of these, so an equal digest may replay the response instead of computing it."""
    text = json.dumps({"model": model, "messages": messages, "params": params}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()
