"""The registry of assistance kinds is the one list the app iterates: every kind has an entry,
its prompt file loads, and the review window's keys, the CLI's choices, the store's lookup table
and a study's defaults all come from it."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from evalstudio.assist.prompts import PromptBook
from evalstudio.cli.main import main
from evalstudio.core.assist_kinds import (
    ANY_ITEM,
    ASKED_KINDS,
    DEFAULT_ASSIST_KINDS,
    DEFAULT_TOOLS,
    KINDS,
    Source,
    fits,
    spec,
)
from evalstudio.core.assistance import AssistKind
from evalstudio.core.model import Kind
from evalstudio.core.study_definition import StudyDefinition
from evalstudio.services.workspace.opening import Workspace
from evalstudio.ui.review_actions import review_handlers
from evalstudio.ui.shortcuts import BY_ID, conflicts

PROMPTS = Path(__file__).resolve().parents[2] / "resources" / "prompts"


def test_every_kind_has_exactly_one_entry() -> None:
    assert sorted(s.kind for s in KINDS) == sorted(AssistKind)


def test_every_kind_the_model_writes_has_a_prompt_file_the_book_loads() -> None:
    book = PromptBook(PROMPTS)  # refuses a missing file or an unknown placeholder
    written = {s.prompt for s in KINDS if s.prompt}
    assert written >= {"critique", "fact_check", "explain", "chat", "probe"}
    assert written <= {Path(name).stem for name in book.digests}


def test_the_store_knows_exactly_the_registered_kinds(workspace: Workspace) -> None:
    stored = {row["name"] for row in workspace.db.query("SELECT name FROM assist_kinds")}
    assert stored == {k.value for k in AssistKind}


def test_each_asked_kind_has_a_button_a_key_and_a_handler_and_no_key_is_taken_twice() -> None:
    assert ASKED_KINDS[:3] == (AssistKind.CRITIQUE, AssistKind.FACT_CHECK, AssistKind.EXPLAIN)
    handlers = review_handlers(lambda: None)
    for kind in ASKED_KINDS:
        assert spec(kind).button and BY_ID[kind.value].default == spec(kind).key
        assert kind.value in handlers
    assert conflicts({}) == []


def test_the_cli_offers_what_can_be_asked_for_and_names_it_when_refusing(tmp_path: Path) -> None:
    db = ["--db", str(tmp_path / "ws.sqlite")]
    refused = CliRunner().invoke(main, [*db, "pregen", "--study", "S", "--kinds", "run"])
    assert refused.exit_code == 2  # a kind of the sandbox is not the model's to write
    assert "unknown kind 'run' (use critique, fact_check, explain)" in refused.output


def test_a_study_offers_the_model_kinds_but_probe_and_runs_the_sandbox_kinds() -> None:
    definition = StudyDefinition(name="s", tasks="t.jsonl", seed="1", evaluators=("a",))
    assert definition.assist_kinds == DEFAULT_ASSIST_KINDS
    assert AssistKind.PROBE not in DEFAULT_ASSIST_KINDS
    assert {spec(k).source for k in DEFAULT_ASSIST_KINDS} <= {Source.WRITTEN, Source.DOUBT}
    assert definition.tools == DEFAULT_TOOLS == (AssistKind.RUN, AssistKind.EXAMPLES)


def test_where_each_kind_fits_is_the_registry_s_data() -> None:
    assert fits(AssistKind.FACT_CHECK, Kind.TEXT, has_reference=False)
    assert not fits(AssistKind.FACT_CHECK, Kind.CODE, has_reference=False)
    assert fits(AssistKind.FACT_CHECK, Kind.CODE, has_reference=True)
    for kind in (AssistKind.CRITIQUE, AssistKind.EXPLAIN, AssistKind.CHAT):
        assert spec(kind).fits == ANY_ITEM
        assert fits(kind, Kind.CODE, has_reference=False) and fits(kind, Kind.TEXT, False)
