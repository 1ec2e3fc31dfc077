"""Every review action with its default key; the keys a user chose override them.

Single keys act only when focus is not in a text field (Qt gives typed characters to the
field first), so J, F or 3 never interrupt typing a rationale or a chat question.
"""

from __future__ import annotations

from dataclasses import dataclass

from evalstudio.core.assist_kinds import ASKED_KINDS, spec
from evalstudio.core.assistance import AssistKind
from evalstudio.core.comparison import SIDE_LETTERS


@dataclass(frozen=True)
class ShortcutAction:
    id: str
    label: str
    group: str
    default: str  # QKeySequence text; several keys separated by ", "


def _quality(n: int) -> ShortcutAction:
    """A digit: the quality of a single answer; a comparison's scale point; an answer to rank."""
    also = f"compare: point {n}; rank: answer {SIDE_LETTERS[n - 1]} next"
    return ShortcutAction(f"quality_{n}", f"Quality {n} ({also})", "Judgment", str(n))


def _ask(kind: AssistKind) -> ShortcutAction:
    """A kind's shortcut: its id is the kind's name (a user's chosen key is stored under it)."""
    asked = spec(kind)
    return ShortcutAction(kind.value, asked.ask, "Assistant", asked.key or "")


def _pick(n: int) -> ShortcutAction:
    """The digits past the quality scale's 7, for a ranking's eighth and ninth answers."""
    return ShortcutAction(
        f"pick_{n}", f"Rank answer {SIDE_LETTERS[n - 1]} next", "Compare and rank", str(n)
    )


def _confidence(n: int) -> ShortcutAction:
    return ShortcutAction(f"confidence_{n}", f"Confidence {n}", "Judgment", f"Alt+{n}")


ACTIONS: tuple[ShortcutAction, ...] = (
    ShortcutAction("next_item", "Next item", "Navigate", "J"),
    ShortcutAction("previous_item", "Previous item", "Navigate", "K"),
    ShortcutAction("next_undone", "Next item not done", "Navigate", "Shift+J"),
    ShortcutAction("verdict_flawed", "Verdict: contains a flaw", "Judgment", "F"),
    ShortcutAction("verdict_acceptable", "Verdict: acceptable", "Judgment", "A"),
    *(_quality(n) for n in range(1, 8)),
    *(_confidence(n) for n in range(1, 6)),
    ShortcutAction("add_flaw", "Add a flaw from the selected lines or text", "Judgment", "L"),
    ShortcutAction("focus_rationale", "Write the rationale", "Judgment", "N"),
    ShortcutAction("next_question", "Next rubric question", "Judgment", "Q"),
    ShortcutAction("previous_question", "Previous rubric question", "Judgment", "Shift+Q"),
    ShortcutAction("submit", "Submit", "Judgment", "Ctrl+Return, Ctrl+Enter"),
    ShortcutAction("skip", "Skip (with a reason)", "Judgment", "S"),
    ShortcutAction("undo_submit", "Undo the last submit", "Judgment", "Ctrl+Z"),
    *(_pick(n) for n in (8, 9)),
    ShortcutAction(
        "rank_take_back", "Take the last ranked answer back", "Compare and rank", "Backspace"
    ),
    ShortcutAction(
        "rank_move_up", "Move the chosen ranked answer up", "Compare and rank", "Alt+Up"
    ),
    ShortcutAction(
        "rank_move_down", "Move the chosen ranked answer down", "Compare and rank", "Alt+Down"
    ),
    ShortcutAction(
        "next_answer", "Next answer (rank: show it; compare: be on it)", "Compare and rank", "]"
    ),
    ShortcutAction(
        "previous_answer",
        "Previous answer (rank: show it; compare: be on it)",
        "Compare and rank",
        "[",
    ),
    *(_ask(kind) for kind in ASKED_KINDS),
    ShortcutAction("focus_chat", "Ask a question (chat)", "Assistant", "/"),
    ShortcutAction("stop", "Stop the response", "Assistant", "Esc"),
    ShortcutAction("regenerate", "Regenerate the response", "Assistant", "R"),
    ShortcutAction("suspicion", "Suspicion: how much the model doubts each line", "Assistant", "D"),
    ShortcutAction("mark_valid", "Mark the selected point valid", "Assistant", "V"),
    ShortcutAction("mark_invalid", "Mark the selected point invalid", "Assistant", "I"),
    ShortcutAction("focus_run", "Run a call against the candidate", "Run", "G"),
    ShortcutAction("probe", "Probe: calls that could expose a bug", "Run", "P"),
    ShortcutAction("cheat_sheet", "Keyboard shortcuts", "Help", "?, F1"),
)

BY_ID = {action.id: action for action in ACTIONS}


def keys_of(action_id: str, overrides: dict[str, str]) -> list[str]:
    """The key sequences of an action: the user's choice if any, else the default."""
    text = overrides.get(action_id, BY_ID[action_id].default)
    return [k.strip() for k in text.split(",") if k.strip()]


def conflicts(overrides: dict[str, str]) -> list[str]:
    """Keys bound to more than one action, as messages naming both."""
    seen: dict[str, str] = {}
    problems = []
    for action in ACTIONS:
        for key in keys_of(action.id, overrides):
            normal = key.lower()
            if normal in seen:
                problems.append(f"{key} is used by both '{seen[normal]}' and '{action.label}'")
            else:
                seen[normal] = action.label
    return problems
