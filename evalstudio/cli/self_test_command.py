"""`evalstudio --self-test`: check an install (or a built binary) in seconds."""

from __future__ import annotations

import time
from typing import Any

import click

from evalstudio import __version__
from evalstudio.services.assistance.self_test import self_test, timed


def run_self_test(ctx: click.Context, _: Any, wanted: bool) -> None:
    """The eager option's callback: run every check, print each, exit 0 only if all passed."""
    if not wanted or ctx.resilient_parsing:
        return
    started = time.perf_counter()
    click.echo(f"EvalStudio {__version__} self-test")
    checks = [*self_test(), timed("qt", _qt_check)]
    for check in checks:
        mark = "ok  " if check.ok else "FAIL"
        click.echo(f"  {mark} {check.name} ({check.seconds:.1f} s): {check.detail}")
    passed = all(c.ok for c in checks)
    click.echo(f"{'Passed' if passed else 'Failed'} in {time.perf_counter() - started:.1f} s.")
    ctx.exit(0 if passed else 1)


def _qt_check() -> str:
    from evalstudio.ui.self_check import qt_check  # Qt loads only for this check

    return qt_check()


self_test_option = click.option(
    "--self-test",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=run_self_test,
    help="Check this install: workspace, bundled model, report, Qt; exit 0 if all work.",
)
