"""Derived ids: the HMAC-SHA256 of the name under the study's secret, shaped as a version 4
UUID (core/ids.py computes it in one `hmac.digest` call: the same bytes as `hmac.new`)."""

from __future__ import annotations

import hashlib
import hmac
import uuid

from hypothesis import given
from hypothesis import strategies as st

from evalstudio.core.ids import derived_id


@given(st.text(max_size=40), st.lists(st.text(max_size=20), max_size=3), st.text(min_size=1))
def test_a_derived_id_is_the_uuid_of_the_hmac(scope: str, parts: list[str], secret: str) -> None:
    name = "\x1f".join((scope, *parts)).encode("utf-8", "surrogatepass")
    try:
        digest = hmac.new(secret.encode(), name, hashlib.sha256).digest()
        expected = str(uuid.UUID(bytes=digest[:16], version=4))
    except UnicodeEncodeError:
        return  # not text an import can hold (a lone surrogate)
    assert derived_id(scope, *parts, secret=secret) == expected
