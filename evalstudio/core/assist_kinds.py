"""The registry of assistance kinds: what each kind is called, what produces its response, how
an evaluator asks for it and where a study offers it.

The review window (buttons, shortcuts, headings), the study setup dialog, the CLI, the prompt
book and the study definition iterate this table instead of naming kinds. Adding a kind the
model writes takes an `AssistKind` member (core/assistance.py), its entry here, its row in the
store's `assist_kinds` table (a migration) and its prompt file in resources/prompts/.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from evalstudio.core.assistance import AssistKind
from evalstudio.core.comparison import Layout
from evalstudio.core.model import Kind


class Source(StrEnum):
    """What produces a kind's response, which decides where the review window shows it."""

    WRITTEN = "written"  # the model writes it from resources/prompts/<kind>.md (the panel)
    DOUBT = "doubt"  # the model's yes/no doubt, line by line (the Suspicion box)
    PROBE = "probe"  # calls the model proposes, run in the sandbox (the run box)
    SANDBOX = "sandbox"  # no model: the candidate run in the sandbox (the run box)


class Fits(StrEnum):
    """An item a kind is offered on."""

    TEXT = "text"
    CODE = "code"
    CODE_WITH_REFERENCE = "code with a reference"  # the task has a reference solution


ANY_ITEM = frozenset({Fits.TEXT, Fits.CODE})
SINGLE_ONLY = frozenset({Layout.SINGLE})
PER_SIDE = frozenset({Layout.SINGLE, Layout.COMPARE})


@dataclass(frozen=True)
class KindSpec:
    kind: AssistKind
    label: str  # the option's name: study setup, cheat sheet, CLI help
    heading: str  # the title over its response in the assistant panel
    source: Source
    ask: str = ""  # the shortcut's description ("Ask for a critique")
    key: str | None = None  # the review window's default shortcut
    button: str | None = None  # the assistant panel's button, with its mnemonic
    placeholders: frozenset[str] = frozenset()  # what its prompt file may use
    structured: bool = False  # held to the critique schema, its lines to the candidate's
    stored: bool = False  # pre-generated for offline sessions and shown from the store
    offered: bool = True  # in a study's offer unless its study.toml lists its own
    fits: frozenset[Fits] = ANY_ITEM  # the items the review window offers it on
    # The item layouts it is offered on. On a compare item a kind about one answer is asked
    # of one side (the answer on screen); chat and compare are about all of them.
    layouts: frozenset[Layout] = SINGLE_ONLY

    @property
    def prompt(self) -> str | None:
        """Its prompt file's name (without .md) when the model writes it from one."""
        return self.kind.value if self.source in (Source.WRITTEN, Source.PROBE) else None


KINDS: tuple[KindSpec, ...] = (
    KindSpec(
        AssistKind.CRITIQUE,
        "Critique",
        "Critique",
        Source.WRITTEN,
        ask="Ask for a critique",
        key="C",
        button="&Critique",
        structured=True,
        stored=True,
        layouts=PER_SIDE,
    ),
    KindSpec(
        AssistKind.FACT_CHECK,
        "Fact-check",
        "Fact-check",
        Source.WRITTEN,
        ask="Ask for a fact-check",
        key="X",
        button="Fact-&check",
        stored=True,
        # Facts are in text; code has none to check unless a reference solution says what
        # the code should do.
        fits=frozenset({Fits.TEXT, Fits.CODE_WITH_REFERENCE}),
        layouts=PER_SIDE,
    ),
    KindSpec(
        AssistKind.EXPLAIN,
        "Explain",
        "Explanation",
        Source.WRITTEN,
        ask="Ask for an explanation",
        key="E",
        button="&Explain",
        stored=True,
        layouts=PER_SIDE,
    ),
    # Asked by typing a question (/ focuses the box), so no key or button of its own.
    KindSpec(
        AssistKind.CHAT,
        "Chat",
        "Answer",
        Source.WRITTEN,
        placeholders=frozenset({"question"}),
        layouts=frozenset(Layout),
    ),
    # Only where two answers stand side by side; held to assist/comparison.py's schema.
    KindSpec(
        AssistKind.COMPARE,
        "Compare",
        "Comparison",
        Source.WRITTEN,
        ask="Ask which answer is better",
        key="M",
        button="Co&mpare",
        layouts=frozenset({Layout.COMPARE}),
    ),
    KindSpec(AssistKind.SUSPICION, "Suspicion", "Suspicion", Source.DOUBT),
    # Opt-in: it runs code the model proposes.
    KindSpec(AssistKind.PROBE, "Probe", "Probe", Source.PROBE, offered=False),
    KindSpec(AssistKind.RUN, "Run", "Run", Source.SANDBOX),
    KindSpec(AssistKind.EXAMPLES, "Examples", "Examples", Source.SANDBOX),
)

_BY_KIND = {spec.kind: spec for spec in KINDS}  # tests/core/test_assist_kinds.py: one per kind


def spec(kind: AssistKind) -> KindSpec:
    return _BY_KIND[kind]


def fits(kind: AssistKind, item: Kind, has_reference: bool, layout: Layout = Layout.SINGLE) -> bool:
    """Whether `kind` applies to an item of kind `item` (whose task has a reference or not)
    and of `layout`."""
    if layout not in spec(kind).layouts:
        return False
    where = spec(kind).fits
    if item is Kind.TEXT:
        return Fits.TEXT in where
    return Fits.CODE in where or (has_reference and Fits.CODE_WITH_REFERENCE in where)


def kinds_from(*sources: Source) -> tuple[AssistKind, ...]:
    return tuple(s.kind for s in KINDS if s.source in sources)


# The kinds the model writes from their own prompt file.
WRITTEN_KINDS = kinds_from(Source.WRITTEN)
# The kinds that involve no model: the candidate run in the sandbox (not AI help).
EXECUTION_KINDS = kinds_from(Source.SANDBOX)
# The model's kinds, which a study's assist_kinds lists (the execution kinds go in `tools`).
MODEL_KINDS = kinds_from(Source.WRITTEN, Source.DOUBT, Source.PROBE)
# What a study offers unless it lists its own.
DEFAULT_ASSIST_KINDS = tuple(k for k in MODEL_KINDS if spec(k).offered)
DEFAULT_TOOLS = tuple(k for k in EXECUTION_KINDS if spec(k).offered)


def fits_all(kind: AssistKind, layout: Layout) -> bool:
    """Whether `kind` is asked about all the answers of an item of `layout` at once (a
    Comparison; a chat question on a compare or rank item), not about one of them."""
    return (
        layout is not Layout.SINGLE
        and layout in spec(kind).layouts
        and (kind is AssistKind.CHAT or Layout.SINGLE not in spec(kind).layouts)
    )


# Written kinds asked for by a button or key (not chat, which is asked by a question).
ASKED_KINDS = tuple(s.kind for s in KINDS if s.source is Source.WRITTEN and s.button)
# Those asked of a single answer (a compare item's side too): what a warm-up prepares.
ASKED_OF_ONE = tuple(k for k in ASKED_KINDS if Layout.SINGLE in spec(k).layouts)
# The kinds pre-generated for offline sessions and shown from the store.
STORED_KINDS = tuple(s.kind for s in KINDS if s.stored)
