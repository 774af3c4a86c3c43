"""``ingest``: the batch ingestion command, a self-contained click command.

Run it as ``python -m pipelines ingest ...``; graphmem's own CLI loads it through the
``graphmem.commands`` entry-point group. Output: a summary on stdout, bad records and errors on
stderr, the JSON report with ``--report``. Exit status 0 when the job completed (bad records
skipped and counted), 1 when it stopped early (--strict, --on-conflict error, a failure), 130
when interrupted.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from graphmem.cli_options import (
    json_file_option,
    llm_options,
    reported_errors,
    setup_logging,
    store_option,
    verbose_option,
)
from graphmem.config import MemoryConfig
from graphmem.memory import LLM_CACHE_FILE
from pipelines.config import ON_CONFLICT, IngestConfig
from pipelines.job import run_ingest
from pipelines.report import IngestError, IngestInterrupted, IngestReport
from pipelines.sources import expand_paths

__all__ = ["ingest"]

_EPILOG = """\b
Resume: rerun the same command; documents stored with the same content are skipped before
extraction and passages already extracted come from the cache in the store directory.
\b
Examples:
  python -m pipelines ingest corpus.jsonl notes/ --store ./mem --workers 2
  python -m pipelines ingest corpus.json --store ./mem --runner ray --report report.json
"""


def _llm_extractor(
    store: Path | str,
    model: str | None,
    base_url: str | None,
    timeout: float | None,
    retries: int | None,
) -> Any:
    """The LLM extractor for ``--extractor llm``; options left unset take LLMConfig's defaults
    and environment fallbacks (``GRAPHMEM_LLM_MODEL``, ``OPENAI_BASE_URL``, ``OPENAI_API_KEY``)."""
    from graphmem.llm import LLMClient, LLMConfig, LLMExtractor

    config = LLMConfig.from_options(
        model=model, base_url=base_url, timeout_s=timeout, max_retries=retries
    )
    if isinstance(store, str):  # a PostgreSQL URL: no directory to keep model responses in
        return LLMExtractor(LLMClient(config))
    store.mkdir(parents=True, exist_ok=True)
    return LLMExtractor(LLMClient(config, cache_path=store / LLM_CACHE_FILE))


def _finish(report: IngestReport, report_path: Path | None) -> None:
    click.echo(report.summary())
    if report_path is not None:
        report.write(report_path)
        click.echo(f"wrote {report_path}")


@click.command("ingest", epilog=_EPILOG)
@click.argument(
    "paths", nargs=-1, required=True, metavar="PATH...", type=click.Path(path_type=Path)
)
@store_option
@click.option(
    "--namespace",
    default="default",
    show_default=True,
    help="Namespace to ingest into. Skipping stored documents, --on-conflict and resuming "
    "all look at this namespace only.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=0),
    default=1,
    show_default=True,
    help="Extraction processes (Ray: actors), each loading spaCy once; 0 = in this process. "
    "With --extractor llm: extraction calls in flight.",
)
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=256,
    show_default=True,
    help="Documents per committed batch (one store transaction).",
)
@click.option(
    "--prefetch",
    type=click.IntRange(min=0),
    default=2,
    show_default=True,
    help="Batches prepared and sent to the models ahead of the one being committed "
    "(0: one batch at a time).",
)
@click.option(
    "--embed-threads",
    type=click.IntRange(min=1),
    default=None,
    help="torch threads for embedding (torch.set_num_threads for the job, restored after it; "
    "with --runner ray, the embedding actor's threads and the CPUs it asks Ray for). "
    "Default: torch's own locally; with --runner ray, every CPU of this machine (at most the "
    "Ray instance's) on a local instance, 1 on a cluster (--ray-address).",
)
@click.option(
    "--runner",
    type=click.Choice(["local", "ray"]),
    default="local",
    show_default=True,
    help="local: a process pool on this machine. ray: extraction and embedding in Ray actors "
    "(needs `pip install graphmem[ray]`).",
)
@click.option(
    "--ray-address",
    default=None,
    metavar="ADDR",
    help="Ray cluster to join (e.g. ray://head:10001 or auto). Default: start a local instance.",
)
@click.option(
    "--extractor",
    "extractor_kind",
    type=click.Choice(["spacy", "llm"]),
    default="spacy",
    show_default=True,
    help="spacy: offline dependency-parse OpenIE. llm: an OpenAI-compatible model.",
)
@llm_options(
    required=False,
    model_help="Model name for --extractor llm. Env: GRAPHMEM_LLM_MODEL; default gpt-4o-mini.",
    base_url_help="API root for --extractor llm, e.g. http://127.0.0.1:8080/v1. Env: "
    "OPENAI_BASE_URL (key: OPENAI_API_KEY).",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Stop at the first bad record or failed extraction (exit status 1).",
)
@click.option(
    "--on-conflict",
    type=click.Choice(ON_CONFLICT),
    default="error",
    show_default=True,
    help="A record whose id is already stored (or earlier in the input) with other text, title "
    "or metadata. error: stop before its batch, exit status 1, nothing of it written. skip: "
    "report it as a bad record, keep the stored one, exit 0. replace: replace the stored "
    "document (in the batch's transaction).",
)
@json_file_option("--report", "report_path", "the job report")
@click.option("--no-cache", is_flag=True, help="Do not keep extractions in the store's cache file.")
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Progress bar on stderr. Default: only when stderr is a terminal.",
)
@verbose_option
def ingest(
    paths: tuple[Path, ...],
    store: Path | str,
    namespace: str,
    workers: int,
    batch_size: int,
    prefetch: int,
    embed_threads: int | None,
    runner: str,
    ray_address: str | None,
    extractor_kind: str,
    llm_model: str | None,
    llm_base_url: str | None,
    llm_timeout: float | None,
    llm_retries: int | None,
    strict: bool,
    on_conflict: str,
    report_path: Path | None,
    no_cache: bool,
    progress: bool | None,
    verbose: int,
) -> None:
    """Add the documents in PATHS to the memory at --store, in parallel batches.

    PATHS are .jsonl files (one {"id"?, "title"?, "text", "metadata"?} per line), .json lists
    of {"title", "text"} (read incrementally), or directories of .txt/.md files. Bad records
    are reported with file and line, counted, and skipped (--strict stops instead). A record
    whose id is taken by other content (an edited record) is settled by --on-conflict.
    A .txt/.md file's id is the name of the directory given (resolved, so `notes`, `./notes/`
    and `$PWD/notes` agree) and its path below it: notes/sub/a.md.
    Documents whose extraction failed (an unusable model reply) are stored without entities
    and facts, counted and listed (--strict stops before their batch instead). Ctrl-C stops at
    once, keeping the batches committed so far (exit status 130). A PostgreSQL store keeps no
    extraction cache (it has no directory).
    """
    setup_logging(verbose, "pipelines")
    extractor = None
    with reported_errors(ValueError):  # after the partial report, for an IngestError
        try:
            config = IngestConfig(
                workers=workers,
                batch_size=batch_size,
                prefetch=prefetch,
                embed_threads=embed_threads,
                runner=runner,  # type: ignore[arg-type]
                ray_address=ray_address,
                strict=strict,
                on_conflict=on_conflict,  # type: ignore[arg-type]
                cache=not no_cache,
                progress=progress,
                memory=MemoryConfig(),
                namespace=namespace,
            )
            expand_paths(list(paths))  # a bad path fails before anything is created
            if extractor_kind == "llm":
                extractor = _llm_extractor(store, llm_model, llm_base_url, llm_timeout, llm_retries)
            report = run_ingest(list(paths), store, config, extractor=extractor)
        except IngestError as exc:
            _finish(exc.report, report_path)
            raise
        except KeyboardInterrupt as exc:
            kept = "committed batches are kept"
            if isinstance(exc, IngestInterrupted):
                _finish(exc.report, report_path)
                kept = f"{exc.batches} batches committed are kept"
            click.echo(f"interrupted: {kept}; rerun the same command to continue", err=True)
            sys.exit(130)
        finally:
            if extractor is not None:
                extractor.client.close()
    _finish(report, report_path)
