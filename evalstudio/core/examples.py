"""The examples a task states, read from its prompt (issue 19 §2, Examples).

Two forms are recognised; nothing else is guessed at:
- doctest: a `>>> call` line (with `... ` continuation lines) and the lines after it up to a
  blank line or the next `>>>` as the expected output; a `Traceback` output expects the
  exception named on its last line.
- a call and its result on one line or in one `code span`: `f(x) -> y`, `f(x) → y`,
  `f(x) == y`, `f(x) returns y`, `f(x) gives y`, `f(x) should return y`, or
  `f(x) raises ValueError` — in an "Example:" block or anywhere in the prompt.

Only calls of a name the candidate defines count (`defined`), both sides must be Python
(parsed here, never run here), and the expected value must be a literal (numbers, strings,
lists, tuples, dicts, sets, True/False/None, negative numbers, float('inf')-free), so a
sentence that merely mentions `a -> b` is not taken for an example.
"""

from __future__ import annotations

import ast
import itertools
import re

from evalstudio.core.code_runs import Example

MAX_EXAMPLES = 20
MAX_EXAMPLE_CHARS = 500
_ARROWS = re.compile(
    r"\s*(?:->|→|==|\breturns\b|\bgives\b|\bshould return\b|\bevaluates to\b|\bis\b)\s*"
)
_RAISES = re.compile(r"\s+(?:raises|should raise)\s+`?([A-Za-z_][\w.]*)`?\s*\.?\s*$")
_CODE_SPAN = re.compile(r"`([^`\n]+)`")
_TRACEBACK_LAST = re.compile(r"^([A-Za-z_][\w.]*)(?::|$)")


def task_examples(prompt: str, defined: set[str]) -> list[Example]:
    """The examples of the prompt that call a function the candidate defines, in the order
    they appear, each once, at most MAX_EXAMPLES."""
    found: list[Example] = []
    seen: set[tuple[str, str | None, str | None]] = set()

    def add(example: Example | None) -> None:
        if example is None or len(found) >= MAX_EXAMPLES:
            return
        key = (example.call, example.expected, example.raises)
        if key not in seen and calls_defined(example.call, defined):
            seen.add(key)
            found.append(example)

    lines = prompt.splitlines()
    doctest_lines: set[int] = set()
    i = 0
    while i < len(lines):
        stripped = lines[i].strip()
        if stripped.startswith(">>> "):
            example, used = _doctest(lines, i)
            doctest_lines.update(range(i, i + used))
            add(example)
            i += used
            continue
        i += 1
    for number, line in enumerate(lines):
        if number in doctest_lines:
            continue
        spans = _CODE_SPAN.findall(line)
        candidates = spans or [line.strip().lstrip("-*•").strip()]
        for piece in candidates:
            add(_one_line(piece, line.strip()))
        if spans:  # `f(x)` gives `y`: a call and its value in two spans of one line
            add(_two_spans(line, spans))
    return found


def _doctest(lines: list[str], start: int) -> tuple[Example | None, int]:
    """The doctest example starting at `start` and how many lines it spans."""
    indent = lines[start].index(">>>")
    source = [lines[start].strip()[4:]]
    i = start + 1
    while i < len(lines) and lines[i].strip().startswith("... "):
        source.append(lines[i].strip()[4:])
        i += 1
    expected: list[str] = []
    while i < len(lines) and lines[i].strip() and not lines[i].strip().startswith(">>>"):
        expected.append(lines[i][indent:] if lines[i][:indent].isspace() else lines[i].strip())
        i += 1
    call = "\n".join(source)
    if len(call) > MAX_EXAMPLE_CHARS or not _parses(call, "exec"):
        return None, i - start
    text = "\n".join(expected).strip()
    if text.startswith("Traceback (most recent call last)"):
        match = _TRACEBACK_LAST.match(expected[-1].strip()) if expected else None
        raises = match.group(1) if match else None
        return Example(call, None, raises, doctest=True, source=lines[start].strip()), i - start
    if not text:
        return None, i - start  # nothing to compare with (a call for its side effect)
    return Example(call, text, None, doctest=True, source=lines[start].strip()), i - start


def _one_line(piece: str, source: str) -> Example | None:
    piece = piece.strip().rstrip(".;,")
    if not piece or len(piece) > MAX_EXAMPLE_CHARS:
        return None
    raised = _RAISES.search(piece)
    if raised:
        call = piece[: raised.start()].strip().strip("`")
        return Example(call, None, raised.group(1), source=source) if _is_call(call) else None
    for match in _ARROWS.finditer(piece):
        call, expected = piece[: match.start()].strip(), piece[match.end() :].strip()
        if _is_call(call) and _is_literal(expected):
            return Example(call, expected, None, source=source)
    return None


def _two_spans(line: str, spans: list[str]) -> Example | None:
    """`f(x)` returns `y` / `f(x)` -> `y` / `f(x)` raises `E`: a span, a word, a span."""
    for first, second in itertools.pairwise(spans):
        between = line.split(f"`{first}`", 1)[-1].split(f"`{second}`", 1)[0].strip()
        if not _is_call(first.strip()):
            continue
        word = between.rstrip(":").strip().lower()
        if word in {"raises", "should raise"}:
            return Example(first.strip(), None, second.strip(), source=line.strip())
        arrows = {"->", "→", "==", "returns", "gives", "should return", "is", "evaluates to"}
        if word in arrows and _is_literal(second.strip()):
            return Example(first.strip(), second.strip(), None, source=line.strip())
    return None


def _parses(text: str, mode: str) -> bool:
    try:
        ast.parse(text, "<example>", mode)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _is_call(text: str) -> bool:
    if not text or len(text) > MAX_EXAMPLE_CHARS or not _parses(text, "eval"):
        return False
    node = ast.parse(text, "<example>", "eval").body
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name | ast.Attribute)


def _is_literal(text: str) -> bool:
    return bool(text) and len(text) <= MAX_EXAMPLE_CHARS and literal(text)


def literal(text: str | None) -> bool:
    """Whether `text` is a Python literal (parsed, never run)."""
    if text is None:
        return False
    try:
        ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, RecursionError, MemoryError):
        return False
    return True


def calls_defined(call: str, defined: set[str]) -> bool:
    """Whether the code calls a name the candidate defines (its first call, for a doctest)."""
    try:
        tree = ast.parse(call, "<example>", "exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            while isinstance(func, ast.Attribute):
                func = func.value
            if isinstance(func, ast.Name) and func.id in defined:
                return True
    return False


# Read from the text, not parsed: Python's parser holds the GIL for the whole parse, and a
# million-line candidate froze the window for 11 s. Top-level names sit at column 0 (a line
# inside a triple-quoted string can be misread; an example calling it then fails in the run).
_TOP_LEVEL = re.compile(
    r"^(?:(?:async[ \t]+)?def[ \t]+(?P<function>[A-Za-z_]\w*)"
    r"|class[ \t]+(?P<cls>[A-Za-z_]\w*)"
    r"|(?P<assigned>[A-Za-z_]\w*)[ \t]*=(?!=))",
    re.MULTILINE,
)


def defined_names(candidate: str) -> set[str]:
    """The names the candidate's top level defines (functions, classes, assignments)."""
    return {next(name for name in m.groups() if name) for m in _TOP_LEVEL.finditer(candidate)}


def main_function(candidate: str) -> str | None:
    """The candidate's first public top-level function (what a probe calls), if any."""
    for m in _TOP_LEVEL.finditer(candidate):
        name = m.group("function")
        if name and not name.startswith("_"):
            return name
    return None
