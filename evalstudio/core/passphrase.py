"""The owner's passphrase as a salted, slow hash (scrypt): stored and checked, never kept."""

from __future__ import annotations

import hashlib
import hmac
import secrets

# scrypt cost: ~50 ms and 16 MiB per check here; slow enough to make guessing expensive.
_N, _R, _P = 2**14, 8, 1
MIN_LENGTH = 8


def hash_passphrase(passphrase: str) -> str:
    """'scrypt$N$r$p$salt$hash' (hex) for a new passphrase."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(passphrase.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


def check_passphrase(passphrase: str, stored: str) -> bool:
    """Whether `passphrase` matches the stored hash (constant-time comparison)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        found = hashlib.scrypt(
            passphrase.encode("utf-8"), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p)
        )
    except ValueError:
        return False
    return hmac.compare_digest(found.hex(), digest)
