"""The layer the three CLIs share (graphmem.cli_options): -v counted across a group and its
subcommand, logging set up without being made quieter by a later call, errors as one line."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from graphmem.cli_options import reported_errors, setup_logging, store_option, verbose_option
from graphmem.errors import GraphMemError


@pytest.fixture
def root_level() -> Iterator[logging.Logger]:
    root = logging.getLogger()
    level = root.level
    yield root
    root.setLevel(level)


def _group_with(sub: click.Command) -> click.Group:
    @click.group()
    @verbose_option
    def group(verbose: int) -> None:
        click.echo(f"group {verbose}")

    group.add_command(sub)
    return group


@click.command("sub")
@verbose_option
def _sub(verbose: int) -> None:
    click.echo(f"sub {verbose}")


@pytest.mark.parametrize(
    ("args", "counts"),
    [
        (["sub"], "group 0\nsub 0\n"),
        (["-v", "sub"], "group 1\nsub 1\n"),
        (["sub", "-v"], "group 0\nsub 1\n"),
        (["-v", "sub", "-v"], "group 1\nsub 2\n"),
    ],
)
def test_a_subcommand_counts_the_groups_verbose_too(args: list[str], counts: str) -> None:
    assert CliRunner().invoke(_group_with(_sub), args).output == counts


def test_a_standalone_command_counts_its_own() -> None:
    assert CliRunner().invoke(_sub, ["-vv"]).output == "sub 2\n"


def test_setup_logging_raises_a_configured_root_level_and_never_lowers_it(
    root_level: logging.Logger,
) -> None:
    root_level.setLevel(logging.WARNING)
    setup_logging(1)  # pytest's handlers are installed: basicConfig alone would do nothing
    assert root_level.level == logging.INFO
    setup_logging(0)
    assert root_level.level == logging.INFO
    setup_logging(2)
    assert root_level.level == logging.DEBUG


def test_setup_logging_sets_the_named_loggers(root_level: logging.Logger) -> None:
    named = logging.getLogger("graphmem_test_cli_logging")
    setup_logging(1, named.name)
    assert named.level == logging.INFO
    setup_logging(0, named.name)
    assert named.level == logging.WARNING


@click.command()
@store_option
@click.option("--raise", "what", default=None)
def _cmd(store: Path | str, what: str | None) -> None:
    with reported_errors(ValueError):
        if what == "graphmem":
            raise GraphMemError("broken store")
        if what == "value":
            raise ValueError("bad value")
        if what == "key":
            raise KeyError("not mapped")
    click.echo(f"{type(store).__name__} {store}")


def test_store_is_a_directory_or_a_url(tmp_path: Path) -> None:
    r = CliRunner().invoke(_cmd, ["--store", str(tmp_path / "m")])
    assert r.output == f"{type(tmp_path).__name__} {tmp_path / 'm'}\n"
    r = CliRunner().invoke(_cmd, ["--store", "postgresql://u@h/db?schema=s"])
    assert r.output == "str postgresql://u@h/db?schema=s\n"
    (tmp_path / "f").write_text("x")
    assert CliRunner().invoke(_cmd, ["--store", str(tmp_path / "f")]).exit_code == 2


@pytest.mark.parametrize(("what", "message"), [("graphmem", "broken store"), ("value", "bad value")])
def test_reported_errors_are_one_line_and_status_1(tmp_path: Path, what: str, message: str) -> None:
    r = CliRunner().invoke(_cmd, ["--store", str(tmp_path), "--raise", what])
    assert (r.exit_code, r.stderr, r.stdout) == (1, f"error: {message}\n", "")


def test_other_exceptions_are_not_mapped(tmp_path: Path) -> None:
    r = CliRunner().invoke(_cmd, ["--store", str(tmp_path), "--raise", "key"])
    assert isinstance(r.exception, KeyError)
