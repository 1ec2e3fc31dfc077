"""The assistant's comparison of two answers: the JSON schema its reply is held to, and a
parser that never fails (a reply cut short or not JSON reads as what could be read).

Bounded like the critique's (assist/critique.py): a few reasons of a few sentences, so a small
model cannot run to max_tokens. The misleading assistant's schema fixes `better` to the side
it argues for; everything else is the honest reply's shape, so nothing in it tells them apart.
"""

from __future__ import annotations

import json
import re
from typing import Any

import jiter

from evalstudio.core.comparison import BETTER, MUCH_BETTER, Advice

SAME = "same"
MAX_REASONS = 3
MAX_REASON = 300
_STRENGTHS = {"better": BETTER, "much better": MUCH_BETTER}
_CONTROL = re.compile("[\x00-\x1f]")


def advice_schema(labels: tuple[str, ...], forced: str | None = None) -> dict[str, Any]:
    """The schema of a comparison of the sides `labels` ("A", "B"); with `forced`, its
    `better` is that label."""
    better: dict[str, Any] = {"const": forced} if forced else {"enum": [*labels, SAME]}
    return {
        "type": "object",
        "properties": {
            "better": better,
            "strength": {"enum": list(_STRENGTHS)},
            "reasons": {
                "type": "array",
                "items": {"type": "string", "minLength": 1, "maxLength": MAX_REASON},
                "minItems": 1,
                "maxItems": MAX_REASONS,
            },
        },
        "required": ["better", "strength", "reasons"],
        "additionalProperties": False,
    }


def advice_text(better: str | None, strength: int | None, reasons: tuple[str, ...]) -> str:
    """A comparison written as the model is asked to write one (the expert's template)."""
    said = {v: k for k, v in _STRENGTHS.items()}
    return json.dumps(
        {
            "better": better or SAME,
            "strength": said.get(strength or BETTER, "better"),
            "reasons": list(reasons),
        },
        ensure_ascii=False,
    )


def parse_advice(text: str, labels: tuple[str, ...]) -> Advice:
    """The reply as a comparison; whatever it holds, an Advice (a label it does not know, or
    no reply, reads as no preference)."""
    # Raw control characters in a JSON string (a newline in a reason: the local grammar
    # excludes them, assist/grammar.py, a server's model need not) read as spaces, not as a
    # reason to drop the reply (assist/critique.py reads them leniently too).
    readable = _CONTROL.sub(" ", text)
    try:
        data = jiter.from_json(readable.encode(), partial_mode="trailing-strings")
    except ValueError:
        return Advice(None, None, (), structured=False)
    if not isinstance(data, dict):
        return Advice(None, None, (), structured=False)
    better, said_strength, reasons = data.get("better"), data.get("strength"), data.get("reasons")
    strength = _STRENGTHS.get(said_strength) if isinstance(said_strength, str) else None
    listed = reasons if isinstance(reasons, list) else []
    said = tuple(r.strip() for r in listed if isinstance(r, str) and r.strip())
    known = better in labels
    return Advice(
        better if known else None,
        strength if known else None,
        said,
        structured=known or better == SAME,
    )
