"""What proves a returned file came from the owner's workspace: the workspace's secret (made
by migration m011, kept only in the owner's workspace and its whole copies) signs each session
package for its one study and evaluator. A package edited to speak for anyone else, or a
"workspace" made from a package by removing its mark, has no valid proof and is refused."""

from __future__ import annotations

import hashlib
import hmac


def package_token(secret: str, study_id: str, evaluator_id: str) -> str:
    """The signature a package written for `evaluator_id` in `study_id` carries."""
    message = "\x1f".join(("package", study_id, evaluator_id)).encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def same_secret(theirs: str | None, ours: str | None) -> bool:
    """Whether two values are the same secret (in constant time); a missing one never is.
    Compared as UTF-8 bytes: compare_digest refuses non-ASCII text, and a forged package's
    token may hold any (the session fuzz test found '\x80')."""
    if theirs is None or ours is None:
        return False
    return hmac.compare_digest(theirs.encode(), ours.encode())
