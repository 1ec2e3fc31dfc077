"""The model commands: `assist` asks about one item, `pregen` fills a whole study ahead."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from evalstudio.cli.context import with_owner_workspace, with_workspace
from evalstudio.cli.server_options import concurrency_option, note_local_concurrency, servers_of
from evalstudio.core.assist_kinds import ASKED_KINDS, STORED_KINDS, fits, fits_all, spec
from evalstudio.core.assistance import AssistKind
from evalstudio.core.comparison import SIDE_LETTERS, Layout
from evalstudio.core.model import ItemView
from evalstudio.core.plurals import counted
from evalstudio.services.assistance.assistant import Assistant
from evalstudio.services.assistance.backends import (
    KV_CACHE_TYPES,
    SERVER_DEADLINE,
    ModelSettings,
    model_settings,
)
from evalstudio.services.models.pregen import PregenProgress, pregenerate
from evalstudio.services.studies import studies
from evalstudio.services.workspace.opening import Workspace


def model_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """The options that choose the model: the bundled one, a GGUF file, or a server."""
    options = [
        click.option(
            "--model",
            "model_path",
            type=click.Path(dir_okay=False, path_type=Path),
            help="A GGUF model file (default: the bundled SmolLM2-135M-Instruct).",
        ),
        click.option(
            "--server",
            "servers",
            multiple=True,
            help="Base URL of an OpenAI-compatible server, e.g. "
            "http://gpu-box:8080/v1 (instead of a local model). Give it again for more servers "
            "of the same model: each request goes to the least busy.",
        ),
        click.option(
            "--servers-file",
            type=click.Path(dir_okay=False, exists=True, path_type=Path),
            help="A file of server base URLs, one a line (with or instead of --server).",
        ),
        click.option("--server-model", default="", help="Model name to ask the server for."),
        click.option(
            "--api-key",
            envvar="EVALSTUDIO_API_KEY",
            help="API key for the server (or $EVALSTUDIO_API_KEY).",
        ),
        click.option(
            "--server-deadline",
            type=click.FloatRange(min=1),
            default=SERVER_DEADLINE,
            show_default=True,
            help="Seconds a request to the server may take in all, answer included.",
        ),
        click.option("--threads", type=click.IntRange(1), help="CPU threads for the model."),
        click.option(
            "--ctx",
            "n_ctx",
            type=click.IntRange(512),
            default=4096,
            show_default=True,
            help="Context size in tokens.",
        ),
        click.option(
            "--gpu-layers",
            type=click.IntRange(0),
            default=0,
            show_default=True,
            help="Layers to offload to a GPU (needs a GPU build of llama.cpp).",
        ),
        click.option(
            "--kv-cache",
            type=click.Choice(sorted(KV_CACHE_TYPES)),
            default="q8_0",
            show_default=True,
            help="Number type of the model's context memory: q8_0 is smaller, f16 faster.",
        ),
        click.option(
            "--max-tokens",
            type=click.IntRange(1),
            default=512,
            show_default=True,
            help="Longest answer, in tokens.",
        ),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def settings_of(model: dict[str, Any], concurrency: int = 1) -> ModelSettings:
    """The ModelSettings the model options name."""
    options = dict(model)
    servers = servers_of(options.pop("servers"), options.pop("servers_file"))
    return model_settings(
        server=servers[0] if servers else None,
        more_servers=servers[1:],
        concurrency=concurrency,
        **options,
    )


_ASKED = ", ".join(k.value for k in STORED_KINDS)


def _kinds(value: str) -> list[AssistKind]:
    """The kinds `pregen` prepares: those shown from the store (what it made is what an
    evaluator offline sees)."""
    asked = {k.value: k for k in STORED_KINDS}
    kinds = []
    for name in (v.strip() for v in value.split(",") if v.strip()):
        key = name.replace("-", "_")
        if key == AssistKind.CHAT:
            raise click.BadParameter(
                "chat needs an evaluator's question; it cannot be pre-generated"
            )
        if key not in asked:
            raise click.BadParameter(f"unknown kind '{name}' (use {_ASKED})")
        kinds.append(asked[key])
    return kinds


@click.command()
@click.option("--study", "study_name", required=True, help="Study to pre-generate.")
@click.option(
    "--kinds",
    default="critique",
    show_default=True,
    help=f"Comma-separated kinds: {_ASKED}.",
)
@model_options
@concurrency_option
@with_owner_workspace
def pregen(
    workspace: Workspace, study_name: str, kinds: str, concurrency: int, **model: Any
) -> None:
    """Generate the assistance of every item of a study ahead of the evaluators.

    Resumes where it stopped: responses already stored for this model are skipped. Items an
    evaluator gets under the misleading condition also get responses prepared for that
    evaluator (what a session package of a misleading study needs). Ctrl+C cancels the
    requests in flight (logged as cancelled).
    """
    wanted = _kinds(kinds)
    study = studies.study_named(workspace, study_name)
    settings = settings_of(model, concurrency)
    note_local_concurrency(concurrency, settings.in_flight)
    assistant = Assistant.start(workspace, settings)
    try:
        total = len(studies.study_items(workspace, study.id)) * len(wanted)
        with click.progressbar(
            length=total,
            label="Pre-generating",
            show_eta=True,
            show_pos=True,
            item_show_func=lambda s: s,
        ) as bar:

            def progress(p: PregenProgress) -> None:
                bar.length = p.total  # with responses prepared per evaluator (misleading)
                shown = f"{p.in_flight} in flight · {p.tokens_per_second:.0f} tok/s"
                bar.update(p.done - bar.pos, shown)

            report = pregenerate(
                assistant,
                study.id,
                wanted,
                on_progress=progress,
                concurrency=settings.in_flight,
            )
    finally:
        assistant.close()
    for failure in report.failed:
        click.echo(f"failed: {failure}", err=True)
    click.echo(
        f"Generated {report.generated}, already stored {report.skipped}, "
        f"failed {len(report.failed)}."
    )
    if report.failed:
        raise SystemExit(1)


@click.command()
@click.option("--study", "study_name", required=True, help="Study of the item.")
@click.option(
    "--item",
    "position",
    type=click.IntRange(1),
    required=True,
    help="The item's number in the study (1 = first).",
)
@click.option(
    "--kind",
    default="critique",
    show_default=True,
    type=click.Choice([k.value for k in ASKED_KINDS]),
)
@click.option("--question", help="Ask this instead (a chat turn).")
@click.option(
    "--side",
    help="On a compare item: the answer (A or B, in the study's own order) a critique, "
    "fact-check or explanation is about.",
)
@model_options
@with_workspace
def assist(
    workspace: Workspace,
    study_name: str,
    position: int,
    kind: str,
    question: str | None,
    side: str | None,
    **model: Any,
) -> None:
    """Ask the model about one item and print its answer as it streams (logged like any)."""
    study = studies.study_named(workspace, study_name)
    items = studies.study_items(workspace, study.id)
    if position > len(items):
        raise click.BadParameter(
            f"the study has {counted(len(items), 'item')}", param_hint="--item"
        )
    item = items[position - 1]
    asked = AssistKind.CHAT if question else AssistKind(kind)
    if not fits(asked, item.kind, item.has_reference, item.layout):
        # As the review window offers it: a fact-check of code needs a reference to check with.
        raise click.BadParameter(
            f"{spec(asked).label} does not apply to item {position} ({item.kind.value}"
            f"{'' if item.has_reference else ', no reference'}"
            f"{'' if item.layout is Layout.SINGLE else f', a {item.layout.value} item'})",
            param_hint="--kind",
        )
    about = _side(item, asked, side)
    assistant = Assistant.start(workspace, settings_of(model))
    try:
        chat = [{"role": "user", "content": question}] if question else None
        if about is None and fits_all(asked, item.layout):
            shown = tuple(s.candidate_id for s in item.sides)
            run = assistant.request_on_answers(item.item_id, asked, shown, chat=chat)
        else:
            run = assistant.request(item.item_id, asked, chat=chat, side=about)
        for chunk in run:
            click.echo(chunk, nl=False)
        event = run.wait()
    finally:
        assistant.close()
    click.echo()
    if event.error:
        raise click.ClickException(event.error)
    click.echo(f"[{counted(event.completion_tokens or 0, 'token')}, seed {event.seed}]", err=True)


def _side(item: ItemView, kind: AssistKind, side: str | None) -> str | None:
    """The candidate id `--side` names on a compare item, for a kind about one answer."""
    if side is None:
        if item.sides and not fits_all(kind, item.layout):
            raise click.BadParameter(
                f"item {item.position + 1} is a {item.layout.value} item: name the answer",
                param_hint="--side",
            )
        return None
    letters = SIDE_LETTERS[: len(item.sides)]
    if not item.sides or fits_all(kind, item.layout) or side.upper() not in letters:
        raise click.BadParameter(
            f"not an answer of this item to ask {spec(kind).label} of "
            f"(sides: {', '.join(letters) or 'none'})",
            param_hint="--side",
        )
    return item.sides[letters.index(side.upper())].candidate_id
