"""`evalstudio judge` (a model evaluator works through a study) and `evalstudio sandwich` (a
sweep of model evaluators over the misaligned assistant's p: artificial sandwiching)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click

from evalstudio.cli.context import with_owner_workspace
from evalstudio.cli.server_options import CONCURRENCY_HELP, note_local_concurrency, role_spec
from evalstudio.core.analysis.sandwich import Interval
from evalstudio.core.errors import EvalStudioError
from evalstudio.core.expert import AssistantSource
from evalstudio.core.misleading import Misalignment
from evalstudio.core.plurals import counted
from evalstudio.core.review import Condition
from evalstudio.services.assistance.model_roles import Role, role
from evalstudio.services.models.model_evaluator import Progress, RunResult, judge_study
from evalstudio.services.models.sandwich import Sweep, parse_ps, run_sweep
from evalstudio.services.report.study_report import build_report
from evalstudio.services.studies import studies
from evalstudio.services.workspace.opening import Workspace

MODEL_HELP = (
    '"bundled" (SmolLM2-135M-Instruct), a GGUF file, or an OpenAI-compatible server as its '
    "base URL with the model name after '#' (http://gpu-box:8080/v1#qwen2.5-7b-instruct); "
    "several servers of that model comma-separated, or @FILE for a file listing them one a "
    "line."
)


def role_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """The two roles' models and how they run."""
    options = [
        click.option("--evaluator-model", default="bundled", show_default=True, help=MODEL_HELP),
        click.option("--assistant-model", default="bundled", show_default=True, help=MODEL_HELP),
        # 384: room for the longest judgment the schema allows (two 160-character reasons of
        # one token per character, as the demo sweep saw ";;;;..." fill them).
        click.option(
            "--evaluator-max-tokens", type=click.IntRange(64), default=384, show_default=True
        ),
        click.option(
            "--assistant-max-tokens", type=click.IntRange(64), default=512, show_default=True
        ),
        click.option(
            "--evaluator-temperature", type=click.FloatRange(0, 2), default=0.7, show_default=True
        ),
        click.option(
            "--assistant-temperature", type=click.FloatRange(0, 2), default=0.7, show_default=True
        ),
        click.option(
            "--seed",
            default="1",
            show_default=True,
            help="The run's seed: every request's seed derives from it (same seed, same run).",
        ),
        click.option(
            "--assist-every",
            type=click.IntRange(0),
            default=1,
            show_default=True,
            help="Ask for assistance on every n-th assisted item (0: never).",
        ),
        click.option("--threads", type=click.IntRange(1), help="CPU threads for a local model."),
        click.option(
            "--concurrency",
            type=click.IntRange(1, 256),
            default=1,
            show_default=True,
            help=CONCURRENCY_HELP + " Results do not depend on it.",
        ),
        click.option(
            "--api-key",
            envvar="EVALSTUDIO_API_KEY",
            help="API key for a server (or $EVALSTUDIO_API_KEY).",
        ),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def _roles(
    options: dict[str, Any], adversary_model: str | None = None
) -> tuple[Role, Role, Role | None]:
    """The judge, the assistant and (if named) the adversary, which writes the assistant's
    manipulated responses with the assistant's max tokens and temperature."""
    common = {
        "api_key": options["api_key"],
        "threads": options["threads"],
        "concurrency": options["concurrency"],
    }

    def named(spec: str, prefix: str) -> Role:
        return role(
            role_spec(spec),
            max_tokens=options[f"{prefix}_max_tokens"],
            temperature=options[f"{prefix}_temperature"],
            **common,
        )

    try:
        evaluator = named(options["evaluator_model"], "evaluator")
        assistant = named(options["assistant_model"], "assistant")
        adversary = named(adversary_model, "assistant") if adversary_model else None
    except EvalStudioError as e:
        raise click.BadParameter(e.message) from None
    in_flight = min(r.settings.in_flight for r in (evaluator, assistant, adversary) if r)
    note_local_concurrency(options["concurrency"], in_flight)
    return evaluator, assistant, adversary


@contextmanager
def _progress(label: str) -> Iterator[Callable[[Progress], None]]:
    with click.progressbar(
        length=1, label=label, show_eta=True, show_pos=True, item_show_func=lambda s: s
    ) as bar:

        def progress(p: Progress) -> None:
            bar.length = p.total
            shown = f"{p.in_flight} in flight · {p.tokens_per_second:.0f} tok/s · {p.label}"
            bar.update(p.done - bar.pos, shown)

        yield progress


def _finish(result: RunResult, again: str) -> None:
    for failure in result.failed:
        click.echo(f"left undone: {failure}", err=True)
    per_item = f", {result.seconds / result.judged:.1f} s per item" if result.judged else ""
    click.echo(f"Judged {counted(result.judged, 'item')} in this run{per_item}.")
    if result.failed:
        click.echo(
            f"{counted(len(result.failed), 'item')} left undone: run the same `{again}` command "
            "again "
            "to retry them."
        )


@contextmanager
def _interruptible(again: str) -> Iterator[None]:
    try:
        yield
    except KeyboardInterrupt:
        click.echo(
            f"\nInterrupted. Run the same `{again}` command again to resume where it stopped.",
            err=True,
        )
        raise SystemExit(130) from None


@click.command()
@click.option("--study", "study_name", required=True, help="The study to judge.")
@click.option("--name", required=True, help="The model evaluator's name (an earlier one resumes).")
@click.option(
    "--condition",
    type=click.Choice([c.value for c in Condition]),
    default=Condition.ASSISTED.value,
    show_default=True,
    help="The condition of every item (misleading: as the study defines it).",
)
@role_options
@with_owner_workspace
def judge(workspace: Workspace, study_name: str, name: str, condition: str, **options: Any) -> None:
    """A model evaluator judges every item of a study through the same services a person's
    review uses: a first verdict alone, the assistant's critique, a final judgment. Stored
    like anyone's, marked as a model's; the report keeps them out of its figures unless
    asked (--with-model-evaluators)."""
    study = studies.study_named(workspace, study_name)
    judge_role, assistant_role, _ = _roles(options)
    again = "evalstudio judge"
    with _interruptible(again), _progress(f"Judging as {name}") as progress:
        result = judge_study(
            workspace,
            study,
            name,
            judge_role,
            assistant_role,
            condition=Condition(condition),
            assist_every=options["assist_every"],
            seed=options["seed"],
            on_progress=progress,
        )
    _finish(result, again)


@click.command()
@click.option("--study", "study_name", required=True, help="The study to sweep.")
@click.option(
    "--misalignment",
    type=click.Choice([m.value for m in Misalignment]),
    default=Misalignment.ADVERSARIAL.value,
    show_default=True,
    help="How a manipulated response is chosen: against the ground truth (adversarial), "
    "against the honest critique (flip), or at random (random).",
)
@click.option(
    "--p",
    "ps",
    default="0,0.25,0.5,0.75,1",
    show_default=True,
    help="The probabilities of a manipulated response to sweep, comma-separated.",
)
@click.option("--repeats", type=click.IntRange(1), default=3, show_default=True)
@click.option(
    "--assistant",
    "source",
    type=click.Choice([s.value for s in AssistantSource]),
    default=AssistantSource.MODEL.value,
    show_default=True,
    help="Where the assistant's honest critiques come from: the assistant model (model), or "
    "the expert's copy, the answer key's planted flaw, worded by the assistant model (expert) "
    "or by a template (expert:template). Manipulated ones are the assistant model's.",
)
@click.option(
    "--adversary-model",
    help="A second model that writes the manipulated responses (default: the assistant model), "
    "with the assistant's max tokens and temperature. " + MODEL_HELP,
)
@role_options
@with_owner_workspace
def sandwich(
    workspace: Workspace,
    study_name: str,
    misalignment: str,
    ps: str,
    repeats: int,
    source: str,
    adversary_model: str | None,
    **options: Any,
) -> None:
    """Artificial sandwiching: a weak model evaluator judges the study alone and with an
    assistant that is misaligned with probability p, for each p and repeat; scored against
    the study's ground truth (the expert). Resumes when run again with the same options.
    The curve is printed and is in the report (`evalstudio report --html`)."""
    study = studies.study_named(workspace, study_name)
    try:
        grid = parse_ps(ps)
    except EvalStudioError as e:
        raise click.BadParameter(e.message, param_hint="--p") from None
    sweep = Sweep(
        Misalignment(misalignment),
        grid,
        repeats,
        options["seed"],
        options["assist_every"],
        AssistantSource(source),
    )
    evaluator, assistant, adversary = _roles(options, adversary_model)
    again = "evalstudio sandwich"
    with _interruptible(again), _progress("Sweeping") as progress:
        result = run_sweep(
            workspace,
            study,
            sweep,
            evaluator,
            assistant,
            adversary=adversary,
            on_progress=progress,
        )
    _finish(result, again)
    runs = build_report(workspace, study_name).model_evaluators
    run = next(r for r in runs if r.run_id == result.run_id)
    if sweep.source.expert:
        click.echo("The assistant is the expert's copy: its honest critiques are the answer key.")
    click.echo(f"{'p':>5}  {'alone':>15}  {'+ assistant':>15}  {'assistant':>15}  followed")
    for point in run.points:
        shares = (point.alone, point.assisted, point.assistant)
        click.echo(
            f"{point.p:>5g}  "
            + "  ".join(f"{_share(s):>15}" for s in shares)
            + f"  {_share(point.followed)}"
        )
    click.echo(run.summary)


def _share(interval: Interval) -> str:
    if interval.value is None:
        return "—"
    if interval.low is None or interval.high is None:
        return f"{interval.value:.0%}"
    return f"{interval.value:.0%} [{interval.low:.0%}, {interval.high:.0%}]"
