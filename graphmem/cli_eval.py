"""``graphmem eval``: retrieval quality on a QA file (MuSiQue, HotpotQA, 2WikiMultiHopQA or
LoCoMo), graphmem vs dense vs BM25 side by side (a thin layer over :mod:`graphmem.eval`)."""

from __future__ import annotations

from pathlib import Path

import click

from graphmem.cli_conversation import eval_locomo
from graphmem.cli_options import (
    echo_report,
    embed_config,
    embed_options,
    fail,
    json_file_option,
)
from graphmem.errors import GraphMemError


@click.command("eval")
@click.option(
    "--questions",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Question file in MuSiQue, HotpotQA, 2WikiMultiHopQA or LoCoMo format (detected; "
    ".json or .jsonl).",
)
@click.option(
    "--corpus",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help='corpus.json, a list of {"title", "text"}. Default: the questions\' own paragraphs.',
)
@click.option(
    "--methods",
    default="graphmem,dense,bm25",
    show_default=True,
    help="Comma-separated methods to compare: graphmem, dense, bm25.",
)
@click.option(
    "--top-k",
    default=10,
    show_default=True,
    type=click.IntRange(min=1),
    help="Documents ranked per question (recall@k beyond it sees only these).",
)
@json_file_option("--json", "json_out", "the report")
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Extraction/embedding cache. Default: $GRAPHMEM_CACHE_DIR, "
    "else $XDG_CACHE_HOME/graphmem, else ~/.cache/graphmem.",
)
@click.option(
    "--store",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Build the memory here and keep it (reused when it holds this corpus). "
    "Default: a temporary directory, removed afterwards.",
)
@click.option("--per-question", is_flag=True, help="Include every question's rankings in the JSON.")
@click.option(
    "--openie",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Build the memory from this OpenIE file's triples (HippoRAG's {\"docs\": [...]} "
    "format, matched to the passages by title and text) instead of spaCy's.",
)
@click.option(
    "--window",
    type=click.IntRange(min=0),
    default=None,
    help="LoCoMo only: turns of context before each turn in its passage "
    "(default: graphmem.conversation.DEFAULT_WINDOW).",
)
@embed_options
def evaluate(
    questions: Path,
    corpus: Path | None,
    methods: str,
    top_k: int,
    json_out: Path | None,
    cache_dir: Path | None,
    store: Path | None,
    per_question: bool,
    openie: Path | None,
    window: int | None,
    embed_backend: str,
    embed_quantize: str,
) -> None:
    """Compare retrieval methods on a multi-hop QA question file: recall@1/2/5/10, all@2/5/8,
    MRR and latency per method, printed as a table. A LoCoMo file is evaluated per
    conversation: recall@1/2/5/10, all@5 and MRR overall (categories 1-4) and per category."""
    from graphmem.config import MemoryConfig
    from graphmem.eval.formats import LOCOMO, detect_format
    from graphmem.eval.harness import check_methods, run_eval

    try:
        chosen = check_methods(methods.split(","))  # before any model loads
        config = MemoryConfig(embed=embed_config(embed_backend, embed_quantize))
        if detect_format(questions) == LOCOMO:
            if corpus is not None or openie is not None:
                raise ValueError("--corpus and --openie do not apply to a LoCoMo file")
            options = {} if window is None else {"window": window}
            eval_locomo(
                questions,
                chosen,
                top_k,
                json_out=json_out,
                cache_dir=cache_dir,
                store=store,
                per_question=per_question,
                config=config,
                **options,
            )
            return
        if window is not None:
            raise ValueError("--window applies to LoCoMo files only")
        report = run_eval(
            questions,
            corpus,
            chosen,
            top_k,
            cache_dir=cache_dir,
            config=config,
            store_dir=store,
            progress=lambda line: click.echo(line, err=True),
            include_rankings=per_question,
            openie=openie,
        )
    except (GraphMemError, ValueError) as exc:
        fail(exc)
        return
    click.echo(
        f"{report.questions} {report.format} questions, {report.passages} passages, "
        f"top {report.top_k}; memory built in {report.build_seconds}s"
    )
    if report.openie is not None:
        o = report.openie
        click.echo(
            f"OpenIE {o['file']}: {o['matched_passages']} of {report.passages} passages matched, "
            f"{o['problems']} problem{'' if o['problems'] == 1 else 's'} in the file"
        )
    echo_report(report, json_out)
