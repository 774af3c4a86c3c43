"""Command-line interface: a thin layer over :class:`graphmem.Memory`.

Every command takes ``--store DIR`` (or the ``GRAPHMEM_STORE`` environment variable).
Errors print one line to stderr and exit with status 1; ``--json`` output is one JSON document.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import click

from graphmem.cli_conversation import add_conversation_command
from graphmem.cli_copy import copy_command
from graphmem.cli_documents import documents
from graphmem.cli_eval import evaluate
from graphmem.cli_export import export
from graphmem.cli_mcp import mcp_command
from graphmem.cli_namespaces import delete_namespace, facts, namespaces
from graphmem.cli_openie import import_openie_command
from graphmem.cli_options import (
    fail,
    llm_options,
    namespace_option,
    open_memory,
    parse_where,
    setup_logging,
    store_option,
    time_options,
    verbose_option,
)
from graphmem.cli_options import llm_config as _llm_config
from graphmem.cli_serve import serve
from graphmem.errors import GraphMemError
from graphmem.text import printable
from graphmem.types import Hit

_PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def package_version() -> str:
    """The installed distribution's version; from a source tree that is not installed, the
    ``[project] version`` of the pyproject.toml beside the package."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("graphmem")
    except PackageNotFoundError:  # tomllib is 3.11+, the package supports 3.10: read the line
        text = _PYPROJECT.read_text("utf-8") if _PYPROJECT.is_file() else ""
        project = ("\n" + text).partition("\n[project]\n")[2].partition("\n[")[0]
        found = re.search(r'^version\s*=\s*"([^"]+)"', project, re.MULTILINE)
        if found is None:
            raise GraphMemError(f"no [project] version in {_PYPROJECT}") from None
        return found.group(1)


def _show_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """``--version``: looked up only when asked for (reading package metadata costs ~30 ms)."""
    if not value or ctx.resilient_parsing:
        return
    try:
        click.echo(f"graphmem, version {package_version()}")
    except GraphMemError as exc:
        fail(exc)
    ctx.exit()


def _shadowing_package(module: str) -> str | None:
    """Where the top-level package of ``module`` is imported from, if that is not the one
    installed beside graphmem (``pipelines`` and ``viz`` ship in graphmem's distribution): a
    user's own folder of that name, earlier on the import path. None when it is ours. Only
    looked up after a plugin failed to load, so a healthy start pays nothing."""
    from importlib.util import find_spec

    top = module.partition(".")[0]
    ours = Path(__file__).resolve().parent.parent / top
    try:
        spec = find_spec(top)
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        return None
    if spec.origin is not None and spec.origin != "namespace":
        found = Path(spec.origin).resolve()
        where = found.parent if spec.submodule_search_locations is not None else found
    else:
        where = Path(next(iter(spec.submodule_search_locations or [""]))).resolve()
        found = where
    return None if where == ours else str(found)


class _Commands(click.Group):
    """The built-in commands plus those other installed packages register under the entry-point
    group ``graphmem.commands`` (``graphmem ingest`` from ``pipelines``, ``graphmem viz`` from
    ``viz``): the engine never imports its users, they plug in. Loaded only when asked for."""

    @staticmethod
    def _plugins() -> dict[str, Any]:
        from importlib.metadata import entry_points

        return {ep.name: ep for ep in entry_points(group="graphmem.commands")}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self._plugins()))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if command is None and name in (plugins := self._plugins()):
            try:
                loaded = plugins[name].load()
            except (ImportError, AttributeError) as exc:
                if (shadow := _shadowing_package(plugins[name].module)) is None:
                    raise
                top = plugins[name].module.partition(".")[0]
                ours = Path(__file__).resolve().parent.parent / top
                raise click.ClickException(
                    f"cannot load `graphmem {name}` ({type(exc).__name__}: {exc}): the `{top}` "
                    f"package was imported from {shadow}, not graphmem's ({ours}). A folder of "
                    f"your own named `{top}` earlier on the import path (`python -m` puts the "
                    f"current directory first) shadows it: rename that folder or run from "
                    f"another directory."
                ) from exc
            if not isinstance(loaded, click.Command):
                raise click.ClickException(f"plugin command {name!r} is not a click command")
            command = loaded
        return command


@click.group(cls=_Commands)
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_show_version,
    help="Show the version and exit.",
)
@verbose_option
def main(verbose: int) -> None:
    """graphmem: a knowledge-graph memory with Personalized PageRank retrieval."""
    setup_logging(verbose)  # a subcommand's own -v adds to this count (cli_options.verbose_option)


main.add_command(import_openie_command)


def _hit_json(hit: Hit) -> dict[str, Any]:
    from graphmem.server.wire import hit_json  # the server's JSON form of a hit, one for both

    return hit_json(hit)


def _print_hit(rank: int, hit: Hit) -> None:
    """One hit in human form. Stored text is printed through :func:`graphmem.text.printable`:
    control characters from the input (ANSI escape sequences, carriage returns) are shown
    escaped instead of acting on the terminal; ``--json`` output carries them exactly."""
    e, p = hit.explanation, printable
    click.echo(f"{rank}. [{p(hit.doc_id)}] score={hit.score:.4f} dense={e.dense_score:.3f} ({e.mode})")
    click.echo(f"   {p(hit.text[:300])}")
    for f in e.matched_facts:
        click.echo(
            f"   matched fact: ({p(f.subject)} | {p(f.predicate)} | {p(f.object)}) {f.score:.2f}"
        )
    if e.bridge_entities:
        click.echo(f"   via entities: {p(', '.join(e.bridge_entities))}")


@main.command()
@click.argument("question")
@store_option
@click.option("--top-k", default=5, show_default=True, help="Number of passages to return.")
@namespace_option
@time_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document instead of text.")
@llm_options(required=False)
def query(
    question: str,
    store: Path,
    top_k: int,
    namespace: str,
    as_of: str | None,
    since: str | None,
    until: str | None,
    where: tuple[str, ...],
    as_json: bool,
    llm_model: str | None,
    llm_base_url: str | None,
    llm_timeout: float | None,
    llm_retries: int | None,
) -> None:
    """Retrieve the passages that answer QUESTION, with why each was found."""
    llm = _llm_config(llm_model, llm_base_url, llm_timeout, llm_retries)
    filters = parse_where(where)
    try:
        with open_memory(store, llm=llm) as mem:
            hits = mem.retrieve(
                question, top_k=top_k, namespace=namespace, as_of=as_of, since=since,
                until=until, where=filters,
            )
    except (GraphMemError, ValueError) as exc:
        fail(exc)
        return
    if as_json:
        click.echo(
            json.dumps(
                {"query": question, "hits": [_hit_json(h) for h in hits]}, ensure_ascii=False
            )
        )
        return
    click.echo(f"Q: {printable(question)}")
    if hits:
        e = hits[0].explanation
        if e.seed_entities:
            seeds = ", ".join(f"{printable(n)} ({w:.2f})" for n, w in e.seed_entities)
            click.echo("seed entities: " + seeds)
    else:
        click.echo("(memory is empty)")
    for rank, hit in enumerate(hits, start=1):
        _print_hit(rank, hit)


@main.command()
@click.argument("question")
@store_option
@click.option("--top-k", default=5, show_default=True, help="Passages shown to the model.")
@click.option(
    "--max-steps",
    default=1,
    show_default=True,
    help="Retrieval steps; above 1 the model's reasoning drives more retrievals (IRCoT).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document instead of text.")
@llm_options(required=True)
def answer(
    question: str,
    store: Path,
    top_k: int,
    max_steps: int,
    as_json: bool,
    llm_model: str,
    llm_base_url: str | None,
    llm_timeout: float | None,
    llm_retries: int | None,
) -> None:
    """Answer QUESTION with an LLM from the retrieved passages, citing them."""
    llm = _llm_config(llm_model, llm_base_url, llm_timeout, llm_retries)
    try:
        with open_memory(store, llm=llm) as mem:
            result = mem.answer(question, top_k=top_k, max_steps=max_steps)
    except (GraphMemError, ValueError) as exc:
        fail(exc)
        return
    if as_json:
        from graphmem.server.wire import answer_json

        click.echo(json.dumps(answer_json(result), ensure_ascii=False))
        return
    click.echo(f"Q: {question}\nA: {result.text}")
    for c in result.citations:
        click.echo(f"   [{c.number}] {c.doc_id}: {result.hits[c.number - 1].text[:200]}")
    u = result.usage
    click.echo(
        f"({u.get('calls', 0)} LLM calls, {u.get('cache_hits', 0)} cached, "
        f"{u.get('prompt_tokens', 0)}+{u.get('completion_tokens', 0)} tokens)"
    )


@main.command()
@click.argument("doc_id")
@store_option
@namespace_option
def delete(doc_id: str, store: Path, namespace: str) -> None:
    """Delete document DOC_ID and every fact, entity and synonym edge only it supported."""
    try:
        with open_memory(store) as mem:
            report = mem.delete(doc_id, namespace=namespace)
    except GraphMemError as exc:
        fail(exc)
        return
    click.echo(
        f"deleted {report.doc_id}: {report.chunks} passages, {report.facts} facts, "
        f"{report.entities} entities, {report.synonyms} synonym edges"
    )


@main.command()
@store_option
@click.option(
    "--namespace",
    default=None,
    help="Count only this namespace. Default: the whole store, every namespace.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document instead of text.")
def stats(store: Path, namespace: str | None, as_json: bool) -> None:
    """Show row counts of the memory."""
    try:
        with open_memory(store) as mem:
            s = mem.stats(namespace=namespace)
    except GraphMemError as exc:
        fail(exc)
        return
    if as_json:
        click.echo(json.dumps(s, ensure_ascii=False))
    else:
        for k, v in s.items():
            click.echo(f"{k:>14}: {v}")


@main.command()
@store_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document instead of text.")
def check(store: Path | str, as_json: bool) -> None:
    """Check the memory's store file for damage and inconsistency, without writing to it.

    Runs SQLite's integrity check and graphmem's consistency checks (no orphaned or unsupported
    rows, embeddings of the stored size) on one read-only snapshot. Exit status 0 when healthy,
    1 when problems are found (each printed) or the file is not a readable graphmem store."""
    from graphmem.store.check import check_store
    from graphmem.store.open import STORE_FILE, is_url

    if is_url(store):
        fail(GraphMemError(f"graphmem check reads SQLite stores; {store} is a PostgreSQL URL"))
        return
    path = Path(store) / STORE_FILE
    if not path.exists():
        fail(GraphMemError(f"no graphmem store at {store} (create one with `graphmem ingest`)"))
        return
    try:
        report = check_store(path)
    except GraphMemError as exc:
        fail(exc)
        return
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        counts = ", ".join(f"{n} {table}" for table, n in report.counts.items())
        found = len(report.problems)
        verdict = "ok" if report.ok else f"{found} problem{'s' if found != 1 else ''}"
        click.echo(f"{path}: {verdict} ({counts})")
        for problem in report.problems:
            click.echo(f"  {problem}")
    if not report.ok:
        sys.exit(1)


main.add_command(evaluate)
main.add_command(documents)
main.add_command(namespaces)
main.add_command(delete_namespace)
main.add_command(facts)
main.add_command(add_conversation_command)
main.add_command(serve)
main.add_command(export)
main.add_command(mcp_command)
main.add_command(copy_command)

if __name__ == "__main__":  # pragma: no cover
    main()
