"""``graphmem add-conversation``: ingest a ``.jsonl`` of dialogue turns (over
:func:`graphmem.conversation.add_conversation`), and the LoCoMo branch of ``graphmem eval``.
Registered on the ``graphmem`` group by :mod:`graphmem.cli`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from graphmem.cli_options import echo_report, fail, open_memory, store_option
from graphmem.conversation import DEFAULT_WINDOW, add_conversation, read_turns
from graphmem.errors import GraphMemError
from graphmem.store.schema import DEFAULT_NAMESPACE

__all__ = ["add_conversation_command", "eval_locomo"]


@click.command("add-conversation")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@store_option
@click.option(
    "--namespace",
    default=DEFAULT_NAMESPACE,
    show_default=True,
    help="Namespace to add the turns to.",
)
@click.option(
    "--window",
    default=DEFAULT_WINDOW,
    show_default=True,
    type=click.IntRange(min=0),
    help="Turns of context (from the same session) stored before each turn in its passage.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document instead of text.")
def add_conversation_command(
    file: Path, store: Path, namespace: str, window: int, as_json: bool
) -> None:
    """Add the dialogue turns in FILE (.jsonl) to the memory, one document per turn.

    Each line is a JSON object: "speaker", "text" and "id" are required; "time" (ISO-8601),
    "session_time" (the session's, used when the turn has no time), "session" and "metadata"
    are optional. A turn's document has the turn id as its id and "Speaker: text" lines (the
    --window turns before it, then the turn) as its text. All or nothing: a bad line stores no
    turn and names the line. Turns already stored unchanged are skipped."""
    try:
        turns = read_turns(file)
        with open_memory(store, must_exist=False) as mem:
            ids = add_conversation(mem, turns, namespace=namespace, window=window)
    except GraphMemError as exc:
        fail(exc)
        return
    if as_json:
        click.echo(json.dumps({"added": len(ids), "ids": ids}, ensure_ascii=False))
    else:
        click.echo(f"{file}: {len(ids)} turns in {store}")


def eval_locomo(
    questions: Path,
    methods: tuple[str, ...],
    top_k: int,
    *,
    json_out: Path | None,
    cache_dir: Path | None,
    store: Path | None,
    per_question: bool,
    window: int = DEFAULT_WINDOW,
    config: Any = None,
) -> None:
    """``graphmem eval`` on a LoCoMo file: run it, print the per-category table, write JSON.
    ``config`` is the :class:`graphmem.config.MemoryConfig` (default: the defaults)."""
    from graphmem.eval.locomo_eval import run_locomo

    try:
        report = run_locomo(
            questions,
            methods,
            top_k,
            window=window,
            cache_dir=cache_dir,
            config=config,
            store_dir=store,
            progress=lambda line: click.echo(line, err=True),
            include_rankings=per_question,
        )
    except (GraphMemError, ValueError) as exc:
        fail(exc)
        return
    problems = len(report.problems)
    click.echo(
        f"{report.questions} locomo questions in {report.conversations} conversations, "
        f"{report.passages} passages (window {report.window}), top {report.top_k}; "
        f"{problems} evidence problem{'' if problems == 1 else 's'}; "
        f"memories built in {report.build_seconds}s"
    )
    echo_report(report, json_out)
