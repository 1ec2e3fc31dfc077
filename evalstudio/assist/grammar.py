"""JSON schema to llama.cpp grammar, with bounded integers and strings without control
characters.

llama-cpp-python's converter (llama_grammar.SchemaConverter, pinned with the wheel) ignores
`minimum` / `maximum` on integers; llama.cpp's own C++ converter and other servers honour
them. A critique's line numbers are bounded to the candidate's lines that way, so the local
model must be held to the bounds too: an integer with `minimum` 1 and a `maximum` becomes a
rule of digit patterns that matches exactly 1..maximum (a dozen alternatives for any bound,
where an enum of every number would give the sampler one grammar stack per number).

Its JSON string character is `[^"\\]`, so the bundled model wrote raw newlines inside strings
(one Comparison reason ran to max_tokens of them): a character here is JSON's, as llama.cpp's
own converter has it (no raw control character). And a string with `minLength` 1 or more
starts with a visible character: a critique point's claim of " " says as little as "" (the
bundled model wrote empty claims, and a misleading critique lost the point that carried its
flagged line). A server gets the schema as it is; `minLength` asks the same of it, but for
the first character being visible.
"""

from __future__ import annotations

import json
import re
from typing import Any

from llama_cpp.llama_grammar import BuiltinRule, LlamaGrammar, SchemaConverter, _build_repetition

from evalstudio.assist.llama_log import route_llama_log


def up_to(bound: int) -> str:
    """A GBNF alternation matching the decimal numbers 1..bound (no leading zeros)."""
    if bound < 1:
        raise ValueError(f"no whole number from 1 to {bound}")
    digits = str(bound)
    width = len(digits)
    parts = ["[1-9]" + " [0-9]" * (k - 1) for k in range(1, width)]  # the shorter numbers
    for i, d in enumerate(digits):  # same width: equal up to i, then smaller at i
        low = 1 if i == 0 else 0
        if int(d) > low:
            top = int(d) - 1
            digit = f"[{low}-{top}]" if top > low else f"[{low}]"
            parts.append(
                " ".join([*(f'"{c}"' for c in digits[:i]), digit, *["[0-9]"] * (width - i - 1)])
            )
    parts.append(f'"{digits}"')
    return "(" + " | ".join(parts) + ")"


# A GBNF literal matches the JSON text character for character, so it escapes the backslash
# too: the pinned converter does not, and an enum holding one (a fixed quote of a line like
# `"""Doc."""`, which JSON writes as \"\"\") became a grammar llama.cpp could not parse — and
# it killed the process. A constant's JSON keeps other characters as they are
# (ensure_ascii=False), so the model writes "ü" as the character, not as six of escape.
_LITERAL_ESCAPES = {"\\": "\\\\", "\r": "\\r", "\n": "\\n", '"': '\\"'}
_LITERAL_SPECIAL = re.compile(r'[\\\r\n"]')


_HEX = "[0-9a-fA-F] " * 3 + "[0-9a-fA-F]"
_JSON_CHAR = BuiltinRule(r'[^"\\\x7F\x00-\x1F] | "\\" (["\\/bfnrt] | "u" ' + _HEX + ")", [])
# A first character that shows: no space, and of the escapes only the quote and the slashes.
_VISIBLE = r'[^"\\\x7F\x00-\x20] | "\\" ["\\/]'


class _Converter(SchemaConverter):
    def _format_literal(self, literal: str) -> str:
        return '"' + _LITERAL_SPECIAL.sub(lambda m: _LITERAL_ESCAPES[m.group(0)], literal) + '"'

    def _generate_constant_rule(self, value: object) -> str:
        return self._format_literal(json.dumps(value, ensure_ascii=False))

    def visit(self, schema: dict[str, Any], name: str) -> str:
        rule = name or "root"
        if schema.get("type") == "integer" and schema.get("minimum") == 1 and "maximum" in schema:
            return str(self._add_rule(rule, up_to(int(schema["maximum"])) + " space"))  # type: ignore[no-untyped-call]
        if _plain_string(schema) and int(schema.get("minLength", 0)) >= 1:
            least, most = int(schema["minLength"]), schema.get("maxLength")
            char = self._add_primitive("char", _JSON_CHAR)
            rest = _build_repetition(char, least - 1, None if most is None else int(most) - 1)  # type: ignore[no-untyped-call]
            visible = self._add_rule("visible-char", _VISIBLE)  # type: ignore[no-untyped-call]
            return str(self._add_rule(rule, rf'"\"" {visible} {rest} "\"" space'))  # type: ignore[no-untyped-call]
        return str(super().visit(schema, name))  # type: ignore[no-untyped-call]

    def _add_primitive(self, name: str, rule: BuiltinRule) -> str:
        return str(super()._add_primitive(name, _JSON_CHAR if name == "char" else rule))


def _plain_string(schema: dict[str, Any]) -> bool:
    """A string schema whose characters only its lengths bound (no enum, pattern or format)."""
    return schema.get("type") == "string" and not {"enum", "const", "pattern", "format"} & set(
        schema
    )


def grammar_of(schema: dict[str, Any]) -> LlamaGrammar:
    """The grammar of `schema`, as llama_grammar.json_schema_to_gbnf builds it, with bounded
    integers (see the module's docstring)."""
    route_llama_log()  # a grammar llama.cpp cannot parse is logged there, then raised here
    converter = _Converter(  # type: ignore[no-untyped-call]
        prop_order={}, allow_fetch=False, dotall=False, raw_pattern=False
    )
    resolved = converter.resolve_refs(json.loads(json.dumps(schema)), "stdin")
    converter.visit(resolved, "")
    gbnf = converter.format_grammar()  # type: ignore[no-untyped-call]
    return LlamaGrammar.from_string(gbnf, verbose=False)
