"""What every ``campaigns`` command shares: its settings (environment plus command-line
overrides) and its services, built with the builder ``build_cli`` was given and closed when the
command ends, errors turned into exit codes (2: configuration, 1: a refused operation)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console

from bootstrap.settings import Settings
from cli.ports import OperatorServices, ServicesBuilder
from domain.errors import ConfigurationError, LedgerError

errors = Console(stderr=True)
"""Standard error: messages, progress bars, summaries of commands whose output is data."""


def fail_to_start(message: str, status: int) -> NoReturn:
    """Stop with ``message`` as one line on stderr (no traceback) and exit ``status``."""
    typer.echo(" ".join(message.split()), err=True)
    raise typer.Exit(status)


def start_failure(error: LedgerError | OSError) -> str:
    """The one line that says why the service could not start."""
    if isinstance(error, LedgerError):
        return f"Campaign Ledger did not start: {error.code}: {error.detail}"
    return f"Campaign Ledger did not start: {error}"


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment with command-line overrides; bad settings exit 2."""
    try:
        settings = Settings()
        given = {key: value for key, value in overrides.items() if value is not None}
        return Settings.model_validate({**settings.model_dump(), **given}) if given else settings
    except ValidationError as invalid:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']).upper() or 'settings'}: "
            f"{str(error['msg']).removeprefix('Value error, ')}"
            for error in invalid.errors()
        )
        fail_to_start(f"Invalid settings: {problems}", 2)


def services_builder(ctx: typer.Context) -> ServicesBuilder:
    """The builder ``build_cli`` put in the command's context."""
    build: ServicesBuilder = ctx.obj
    return build


@contextmanager
def opened_services(ctx: typer.Context, settings: Settings) -> Iterator[OperatorServices]:
    """The services of one CLI command, closed afterwards; configuration errors exit 2."""
    try:
        services = services_builder(ctx)(settings)
    except ConfigurationError as wrong:
        fail_to_start(f"Configuration error: {wrong.detail}", 2)
    except (LedgerError, OSError) as failed:
        fail_to_start(start_failure(failed), 1)
    try:
        yield services
    except LedgerError as refused:
        errors.print(f"[red]{refused.code}:[/red] {refused.detail}")
        raise typer.Exit(1) from None
    finally:
        services.close()
