"""The `evalstudio` command: the app with no arguments, and everything that is not the review."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from evalstudio import __version__
from evalstudio.core.assistance import AssistKind
from evalstudio.core.errors import EvalStudioError, ImportRejected
from evalstudio.services import studies
from evalstudio.services.assistance import Assistant
from evalstudio.services.backends import LocalSettings, ModelSettings, ServerSettings
from evalstudio.services.importing import import_tasks
from evalstudio.services.pregen import PregenProgress, pregenerate
from evalstudio.services.resources import bundled_model
from evalstudio.services.workspace import Workspace, open_workspace, resolve_workspace_path


class _Group(click.Group):
    """Turns the one user-facing error type into a click error: a message, not a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except EvalStudioError as e:
            raise click.ClickException(str(e)) from e


class _State:
    def __init__(self, db: Path | None) -> None:
        self.db = db
        self._workspace: Workspace | None = None

    def workspace(self) -> Workspace:
        if self._workspace is None:
            self._workspace = open_workspace(self.db)
        return self._workspace

    def close(self) -> None:
        if self._workspace is not None:
            self._workspace.close()


@click.group(cls=_Group, invoke_without_command=True)
@click.version_option(__version__, prog_name="evalstudio")
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Workspace file (default: $EVALSTUDIO_DB, else workspace.sqlite in the user data dir).",
)
@click.pass_context
def main(ctx: click.Context, db: Path | None) -> None:
    """EvalStudio: review candidate answers with a local model's help, and measure the help.

    With no command, opens the app.
    """
    state = _State(db)
    ctx.obj = state
    ctx.call_on_close(state.close)
    if ctx.invoked_subcommand is None:
        ctx.invoke(app)


def _with_workspace(f: Callable[..., Any]) -> Callable[..., Any]:
    """Pass the command the opened workspace as its first argument."""

    @click.pass_obj
    @functools.wraps(f)
    def wrapper(state: _State, *args: Any, **kwargs: Any) -> Any:
        return f(state.workspace(), *args, **kwargs)

    return wrapper


@main.command()
@click.option("--study", "study_name", help="Study to open (default: the demo study).")
@click.pass_obj
def app(state: _State, study_name: str | None) -> None:
    """Open the app (the demo study is added to a workspace that has no studies)."""
    from evalstudio.ui.app import run_app  # Qt loads only when the app is wanted

    raise SystemExit(run_app(resolve_workspace_path(state.db), study_name))


@main.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--study", "study_name", required=True, help="Study to import into (created if new).")
@click.option("--skip-invalid", is_flag=True, help="Import the good rows and list the bad ones.")
@_with_workspace
def import_command(workspace: Workspace, file: Path, study_name: str, skip_invalid: bool) -> None:
    """Import tasks from a JSONL or CSV FILE (format: docs/task-format.md).

    Every bad row is reported with its line and field. By default nothing is imported when
    any row is bad.
    """
    try:
        report = import_tasks(workspace, file, study_name, skip_invalid=skip_invalid)
    except ImportRejected as e:
        for problem in e.problems:
            click.echo(problem.describe(e.source), err=True)
        raise click.ClickException(
            f"nothing imported from {e.source}: {len({p.line for p in e.problems})} bad row(s) "
            "(fix them, or use --skip-invalid to import the good ones)"
        ) from e
    for problem in report.problems:
        click.echo(problem.describe(report.source), err=True)
    skipped = f", skipped {report.skipped_rows} bad row(s)" if report.problems else ""
    click.echo(
        f"Imported {report.items} item(s) ({report.tasks} new task(s), {report.pairs} pair(s)) "
        f"into '{report.study.name}'{skipped}."
    )


@main.command("studies")
@_with_workspace
def studies_command(workspace: Workspace) -> None:
    """List the workspace's studies with their counts."""
    summaries = studies.list_studies(workspace)
    if not summaries:
        click.echo(
            f"No studies in {workspace.path}. Add one with: evalstudio import FILE --study NAME"
        )
        return
    header = ("study", "items", "code", "text", "pairs", "judgments")
    rows = [
        (s.study.name, s.items, s.code_items, s.text_items, s.pairs, s.judgments) for s in summaries
    ]
    width = max(len(header[0]), *(len(r[0]) for r in rows))
    click.echo(f"{header[0]:<{width}}" + "".join(f"  {h:>9}" for h in header[1:]))
    for name, *counts in rows:
        click.echo(f"{name:<{width}}" + "".join(f"  {c:>9}" for c in counts))


def _model_options(f: Callable[..., Any]) -> Callable[..., Any]:
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
            help="Base URL of an OpenAI-compatible server, e.g. "
            "http://gpu-box:8080/v1 (instead of a local model).",
        ),
        click.option("--server-model", default="", help="Model name to ask the server for."),
        click.option(
            "--api-key",
            envvar="EVALSTUDIO_API_KEY",
            help="API key for the server (or $EVALSTUDIO_API_KEY).",
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


def _model_settings(
    model_path: Path | None,
    server: str | None,
    server_model: str,
    api_key: str | None,
    threads: int | None,
    n_ctx: int,
    gpu_layers: int,
    max_tokens: int,
) -> ModelSettings:
    if server:
        return ModelSettings(
            server=ServerSettings(server, server_model, api_key), max_tokens=max_tokens
        )
    defaults = LocalSettings(model_path or bundled_model())
    threads = threads or defaults.n_threads
    local = LocalSettings(
        defaults.model_path,
        n_ctx=n_ctx,
        n_threads=threads,
        n_threads_batch=threads,
        n_gpu_layers=gpu_layers,
    )
    return ModelSettings(local=local, max_tokens=max_tokens)


def _kinds(value: str) -> list[AssistKind]:
    kinds = []
    for name in (v.strip() for v in value.split(",") if v.strip()):
        try:
            kinds.append(AssistKind(name.replace("-", "_")))
        except ValueError:
            raise click.BadParameter(
                f"unknown kind '{name}' (use critique, fact_check, explain)"
            ) from None
    if AssistKind.CHAT in kinds:
        raise click.BadParameter("chat needs an evaluator's question; it cannot be pre-generated")
    return kinds


@main.command()
@click.option("--study", "study_name", required=True, help="Study to pre-generate.")
@click.option(
    "--kinds",
    default="critique",
    show_default=True,
    help="Comma-separated kinds: critique, fact_check, explain.",
)
@_model_options
@_with_workspace
def pregen(workspace: Workspace, study_name: str, kinds: str, **model: Any) -> None:
    """Generate the assistance of every item of a study ahead of the evaluators.

    Resumes where it stopped: responses already stored for this model are skipped.
    """
    wanted = _kinds(kinds)
    study = studies.study_named(workspace, study_name)
    assistant = Assistant.start(workspace, _model_settings(**model))
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
                bar.update(p.done - bar.pos, f"{p.tokens_per_second:.0f} tok/s")

            report = pregenerate(assistant, study.id, wanted, on_progress=progress)
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


@main.command()
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
    type=click.Choice([k.value for k in AssistKind if k is not AssistKind.CHAT]),
)
@click.option("--question", help="Ask this instead (a chat turn).")
@_model_options
@_with_workspace
def assist(
    workspace: Workspace,
    study_name: str,
    position: int,
    kind: str,
    question: str | None,
    **model: Any,
) -> None:
    """Ask the model about one item and print its answer as it streams (logged like any)."""
    study = studies.study_named(workspace, study_name)
    items = studies.study_items(workspace, study.id)
    if position > len(items):
        raise click.BadParameter(f"the study has {len(items)} items", param_hint="--item")
    item = items[position - 1]
    assistant = Assistant.start(workspace, _model_settings(**model))
    try:
        chat = [{"role": "user", "content": question}] if question else None
        run = assistant.request(
            item.item_id, AssistKind.CHAT if question else AssistKind(kind), chat=chat
        )
        for chunk in run:
            click.echo(chunk, nl=False)
        event = run.wait()
    finally:
        assistant.close()
    click.echo()
    if event.error:
        raise click.ClickException(event.error)
    click.echo(f"[{event.completion_tokens} tokens, seed {event.seed}]", err=True)
