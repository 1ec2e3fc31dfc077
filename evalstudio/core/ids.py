"""Stable ids: random for new things, derived for imported ones, so workspaces can be merged."""

from __future__ import annotations

import uuid

# Fixed namespace so that the same study + external id gives the same id on every machine.
_NAMESPACE = uuid.UUID("6f1c1f52-2f3a-4d0e-9a55-2b7c0b9e6a11")


def new_id() -> str:
    """A fresh random id for something created here (a study, an evaluator, a judgment)."""
    return str(uuid.uuid4())


def derived_id(scope: str, *parts: str) -> str:
    """The id of the thing named `parts` inside `scope` (e.g. a study id): same input, same id."""
    return str(uuid.uuid5(_NAMESPACE, "\x1f".join((scope, *parts))))
