"""The layer shared by the command-line interfaces of graphmem and of the packages that plug
commands into it (``pipelines``, ``viz``): the options (store, verbosity, model endpoint and its
limits, embedding runtime), the logging set-up and the error mapping (:func:`fail`,
:func:`reported_errors`: ``error: ...`` on stderr, exit status 1)."""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import click


class StoreLocation(click.ParamType):
    """A ``--store`` value: a memory directory (a :class:`~pathlib.Path`; a file there is a
    usage error) or a ``postgresql://`` URL, kept as the string it was given (a Path would
    collapse its ``//``)."""

    name = "DIR|URL"

    def convert(self, value: Any, param: Any, ctx: Any) -> Path | str:
        from graphmem.store.open import is_url

        if isinstance(value, str) and is_url(value):
            return value
        return click.Path(file_okay=False, path_type=Path).convert(value, param, ctx)


store_option = click.option(
    "--store",
    "store",
    required=True,
    envvar="GRAPHMEM_STORE",
    type=StoreLocation(),
    help="Memory directory (created by ingest when missing) or postgresql://user@host/db"
    "?schema=name URL (the postgres extra). Env: GRAPHMEM_STORE.",
)

_VERBOSE = "graphmem.verbose"  # key in click's Context.meta, which a command shares with its group


def _add_verbosity(ctx: click.Context, _param: click.Parameter, value: int) -> int:
    """The ``-v`` count of this command plus those of the groups it runs under (``graphmem -v
    ingest`` is ``graphmem ingest -v``), remembered for the subcommand that comes next."""
    total = int(value) + int(ctx.meta.get(_VERBOSE, 0))
    ctx.meta[_VERBOSE] = total
    return total


verbose_option = click.option(
    "-v",
    "--verbose",
    count=True,
    callback=_add_verbosity,
    help="Log progress (-v) or debug detail (-vv) to stderr.",
)


def setup_logging(verbose: int, *loggers: str) -> None:
    """Log to stderr at WARNING (``verbose`` 0), INFO (1) or DEBUG (2 and more); ``loggers``
    (e.g. ``"pipelines"``) are set to that level too. Called again by a subcommand, it never
    makes the root logger quieter than an earlier call did. Quiet, it also silences the model
    libraries' download progress bars and chatter (environment defaults, not overrides)."""
    level = logging.WARNING if verbose <= 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    root = logging.getLogger()
    if verbose > 0 and root.getEffectiveLevel() > level:  # configured before, less verbose
        root.setLevel(level)
    for name in loggers:
        logging.getLogger(name).setLevel(level)
    if verbose <= 0:
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


def llm_limit_options(f: Any) -> Any:
    """``--llm-timeout`` / ``--llm-retries`` (env ``GRAPHMEM_LLM_TIMEOUT`` /
    ``GRAPHMEM_LLM_RETRIES``): how long a command may wait for a model server. Unset, they keep
    :class:`~graphmem.llm_config.LLMConfig`'s defaults (60 s, 5 retries: about 6 minutes for a
    server that never answers). Shared by every command that talks to a model."""
    f = click.option(
        "--llm-retries",
        envvar="GRAPHMEM_LLM_RETRIES",
        type=click.IntRange(min=0),
        default=None,
        help="Retries after a timeout, 429, 5xx or connection error (default 5). "
        "Env: GRAPHMEM_LLM_RETRIES.",
    )(f)
    return click.option(
        "--llm-timeout",
        envvar="GRAPHMEM_LLM_TIMEOUT",
        type=click.FloatRange(min=0, min_open=True),
        default=None,
        metavar="SECONDS",
        help="Seconds to wait for each model reply (default 60); a server that never answers "
        "fails after about (retries + 1) x this. Env: GRAPHMEM_LLM_TIMEOUT.",
    )(f)


def llm_options(
    required: bool, model_help: str | None = None, base_url_help: str | None = None
) -> Any:
    """``--llm-model`` / ``--llm-base-url`` plus :func:`llm_limit_options` (the API key comes
    from ``OPENAI_API_KEY`` only, so it never lands in shell history). ``model_help`` and
    ``base_url_help`` replace the default help texts for a command that uses the model for
    something else (``ingest --extractor llm``)."""

    def decorate(f: Any) -> Any:
        f = llm_limit_options(f)
        f = click.option(
            "--llm-base-url",
            envvar="OPENAI_BASE_URL",
            default=None,
            help=base_url_help
            or "OpenAI-compatible endpoint, e.g. http://127.0.0.1:8080/v1. Env: OPENAI_BASE_URL.",
        )(f)
        return click.option(
            "--llm-model",
            envvar="GRAPHMEM_LLM_MODEL",
            required=required,
            help=model_help
            or "Model name at the endpoint"
            + ("" if required else "; when set, an LLM filters the linked facts")
            + ". Env: GRAPHMEM_LLM_MODEL; key: OPENAI_API_KEY.",
        )(f)

    return decorate


def json_file_option(flag: str, dest: str, what: str) -> Any:
    """An optional ``flag FILE`` option (``--json`` of eval, ``--report`` of ingest): also write
    ``what`` as JSON to FILE, a :class:`~pathlib.Path` in ``dest`` (None when not given)."""
    return click.option(
        flag,
        dest,
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help=f"Also write {what} as JSON to this file.",
    )


def llm_config(
    model: str | None, base_url: str | None, timeout: float | None, retries: int | None
) -> Any:
    """The LLMConfig of a command's LLM options, or None when no model is named."""
    if not model:
        return None
    from graphmem.llm_config import LLMConfig

    return LLMConfig.from_options(
        model=model, base_url=base_url, timeout_s=timeout, max_retries=retries
    )


def open_memory(store: Path | str, must_exist: bool = True, llm: Any = None) -> Any:
    """The memory at ``store`` for a command; ``llm`` (an LLMConfig) gives it a model. A missing
    store is a :class:`~graphmem.errors.GraphMemError` that says how to create one. A store built
    with another embedding backend (``graphmem eval --embed-backend onnx --store``, or
    ``EmbedConfig(backend="onnx")`` in Python) opens with that backend, read from its record."""
    from graphmem.config import MemoryConfig
    from graphmem.embed import embed_config_for
    from graphmem.errors import GraphMemError
    from graphmem.memory import Memory
    from graphmem.store.open import STORE_FILE, is_url, store_exists

    if must_exist and not store_exists(store):
        raise GraphMemError(f"no graphmem store at {store} (create one with `graphmem ingest`)")
    config = MemoryConfig(llm=llm)
    recorded = None if is_url(store) else _recorded_embedder(Path(store) / STORE_FILE)
    if recorded is not None and "+onnx" in recorded:
        config = replace(config, embed=embed_config_for(recorded, config.embed))
    return Memory(store, config)


def _recorded_embedder(path: Path) -> str | None:
    """The embedder name a store file recorded, None when there is none (or no readable file:
    opening the memory then reports what is wrong)."""
    import sqlite3

    if not path.exists():
        return None
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as db:
            row = db.execute("SELECT value FROM meta WHERE key = 'embedder_name'").fetchone()
    except sqlite3.Error:
        return None
    return None if row is None else str(row[0])


def fail(exc: Exception) -> None:
    """End a command on ``exc``: its message on stderr, exit status 1."""
    click.echo(f"error: {exc}", err=True)
    sys.exit(1)


@contextmanager
def reported_errors(*also: type[Exception]) -> Iterator[None]:
    """Run a command's body; a :class:`~graphmem.errors.GraphMemError` (or one of ``also``, e.g.
    ValueError) raised in it ends the command through :func:`fail`."""
    from graphmem.errors import GraphMemError

    try:
        yield
    except (GraphMemError, *also) as exc:
        fail(exc)


namespace_option = click.option(
    "--namespace",
    default="default",
    show_default=True,
    help="Namespace of the memory to use (a separate set of documents and graph; "
    "`graphmem namespaces` lists them).",
)


def time_options(f: Any) -> Any:
    """``--as-of`` / ``--since`` / ``--until`` (ISO-8601 dates or times, naive = UTC) and
    ``--where KEY=VALUE`` (repeatable): the filters of :meth:`graphmem.Memory.retrieve`."""
    f = click.option(
        "--where",
        "where",
        multiple=True,
        metavar="KEY=VALUE",
        help="Only documents whose metadata KEY equals VALUE (a JSON number, true, false or "
        "null is taken as that; anything else as text). Repeatable: different keys must all "
        "match, one key given twice matches either value.",
    )(f)
    f = click.option(
        "--until", default=None, metavar="TIME", help="Only passages dated at or before TIME."
    )(f)
    f = click.option(
        "--since", default=None, metavar="TIME", help="Only passages dated at or after TIME."
    )(f)
    return click.option(
        "--as-of",
        "as_of",
        default=None,
        metavar="TIME",
        help="Answer as the memory stood at TIME (ISO-8601, e.g. 2023-05-01 or "
        "2023-05-01T14:00+02:00; naive = UTC): only passages dated then or before, facts "
        "valid then.",
    )(f)


def parse_where(pairs: tuple[str, ...]) -> dict[str, Any] | None:
    """The ``where`` mapping of ``--where KEY=VALUE`` options (None when none are given);
    a pair without ``=`` or with an empty key is a click.BadParameter naming it."""
    import json

    if not pairs:
        return None
    where: dict[str, Any] = {}
    for pair in pairs:
        key, eq, raw = pair.partition("=")
        if not eq or not key.strip():
            raise click.BadParameter(f"{pair!r} is not KEY=VALUE", param_hint="--where")
        try:
            value = json.loads(raw)
        except ValueError:
            value = raw
        if isinstance(value, (list, dict, str)):
            value = raw  # only numbers, booleans and null are read as JSON
        key = key.strip()
        if key in where:
            before = where[key]
            where[key] = [*before, value] if isinstance(before, list) else [before, value]
        else:
            where[key] = value
    return where


def echo_report(report: Any, json_out: Path | None) -> None:
    """Print an evaluation report's table and write its JSON (indented, UTF-8) to
    ``json_out`` when given (``graphmem eval`` on QA files and on LoCoMo)."""
    click.echo(report.table())
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(
            json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        click.echo(f"wrote {json_out}")


def embed_options(f: Any) -> Any:
    """``--embed-backend`` and ``--embed-quantize``: :attr:`graphmem.config.EmbedConfig.backend`
    and ``quantize``. A store records its embedder (backend included) and refuses another, so
    the options must match the ones that built the store."""
    f = click.option(
        "--embed-quantize",
        type=click.Choice(["none", "int8"]),
        default="none",
        show_default=True,
        help="ONNX only: int8 dynamic quantisation of the embedding model.",
    )(f)
    return click.option(
        "--embed-backend",
        type=click.Choice(["torch", "onnx"]),
        default="torch",
        show_default=True,
        help="Embedding runtime: torch (sentence-transformers) or onnx (ONNX Runtime, "
        "pip install 'graphmem[onnx]'; exported from the installed model on first use).",
    )(f)


def embed_config(backend: str, quantize: str, threads: int | None = None) -> Any:
    """The :class:`graphmem.config.EmbedConfig` of the embed options (ValueError when they
    do not fit together, e.g. int8 with torch)."""
    from graphmem.config import EmbedConfig

    return EmbedConfig(backend=backend, quantize=quantize, threads=threads)  # type: ignore[arg-type]
