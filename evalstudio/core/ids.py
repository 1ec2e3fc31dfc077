"""Stable ids: random for new things, derived for imported ones, so workspaces can be merged."""

from __future__ import annotations

import hmac
import secrets
import uuid

# Fixed namespace so that the same study + external id gives the same id on every machine.
_NAMESPACE = uuid.UUID("6f1c1f52-2f3a-4d0e-9a55-2b7c0b9e6a11")


def new_id() -> str:
    """A fresh random id for something created here (a study, an evaluator, a judgment)."""
    return str(uuid.uuid4())


def new_secret() -> str:
    """A study's id secret: 256 random bits as hex, kept in the owner's workspace only."""
    return secrets.token_hex(32)


def derived_id(scope: str, *parts: str, secret: str | None = None) -> str:
    """The id of the thing named `parts` inside `scope` (e.g. a study id): same input, same id.

    With the study's `secret`, the id is an HMAC-SHA256 of the input under it, shaped as a
    random (version 4) UUID: whoever lacks the secret cannot recompute an id from a guessed
    record id, so a session package's ids say nothing of the owner's record ids (which may
    name the twin). Without one (a study from before secrets, docs/session-packages.md), the
    plain UUID5 that anyone can recompute, kept so that study's ids stay what they were."""
    name = "\x1f".join((scope, *parts))
    if secret is None:
        return str(uuid.uuid5(_NAMESPACE, name))
    digest = hmac.digest(secret.encode(), name.encode(), "sha256")  # one C call, same bytes
    return str(uuid.UUID(bytes=digest[:16], version=4))
