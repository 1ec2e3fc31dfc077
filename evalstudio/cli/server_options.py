"""Several servers and several requests in flight, as the commands take them: `--server` given
more than once or `--servers-file` (pregen, assist, report), `@FILE` or a comma-separated list
as a role's model (judge, sandwich), and `--concurrency`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

CONCURRENCY_HELP = (
    "Requests in flight at once, spread over the servers (the least busy gets the next; one "
    "that fails is retried on another). A local model answers one at a time."
)


def concurrency_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--concurrency",
        type=click.IntRange(1, 256),
        default=1,
        show_default=True,
        help=CONCURRENCY_HELP,
    )(f)


def read_servers_file(path: Path) -> list[str]:
    """The servers listed in a file: one per line; blank lines and lines starting with '#'
    left out."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise click.BadParameter(f"cannot read {path}: {e}") from None
    lines = [line.strip() for line in text.splitlines()]
    servers = [line for line in lines if line and not line.startswith("#")]
    if not servers:
        raise click.BadParameter(f"{path} lists no server")
    return servers


def servers_of(servers: tuple[str, ...], servers_file: Path | None) -> list[str]:
    """Every server named by --server (any number of times) and --servers-file, in order."""
    return [*servers, *(read_servers_file(servers_file) if servers_file else [])]


def role_spec(spec: str) -> str:
    """A role's model as named: `@FILE` stands for the servers the file lists (one
    `URL#model` a line), comma-separated as a list given inline would be."""
    if spec.startswith("@"):
        return ",".join(read_servers_file(Path(spec[1:])))
    return spec


def note_local_concurrency(concurrency: int, in_flight: int) -> None:
    """Say so when --concurrency cannot be honoured (a local model)."""
    if concurrency > in_flight:
        click.echo(
            f"Note: a local model answers one request at a time; --concurrency {concurrency} "
            "applies to servers only.",
            err=True,
        )
