"""The report half of benchmarks/bench_scale.py: merge one size's run into the results JSON,
fit growth exponents (the slope of log(metric) against log(passages), by least squares; with
two sizes it is the two-point slope), check the issue's targets and draw the plot.

    python benchmarks/scale_report.py --out benchmarks/results/scale.json --plot docs/scale.png
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

Run = dict[str, Any]

METRICS: dict[str, Callable[[Run], float]] = {
    "import_s": lambda r: r["import"]["seconds"]["total"],
    "import_passages_per_s": lambda r: r["import"]["passages_per_s"],
    "import_synonyms_s": lambda r: r["import"]["seconds"]["synonyms"],
    "store_mb": lambda r: r["store_bytes"] / 1e6,
    "cold_open_to_first_answer_s": lambda r: r["cold"]["median_open_to_first_answer_s"],
    "retrieve_p50_ms": lambda r: r["quality"]["retrieve_ms"]["p50"],
    "retrieve_p95_ms": lambda r: r["quality"]["retrieve_ms"]["p95"],
    "stage_embed_p50_ms": lambda r: r["stages_ms"]["embed"]["p50"],
    "stage_dense_p50_ms": lambda r: r["stages_ms"]["dense"]["p50"],
    "stage_fact_linking_p50_ms": lambda r: r["stages_ms"]["fact_linking"]["p50"],
    "stage_ppr_p50_ms": lambda r: r["stages_ms"]["ppr"]["p50"],
    "stage_ranking_p50_ms": lambda r: r["stages_ms"]["ranking"]["p50"],
    "add10_and_next_query_s": lambda r: r["add10"]["add_and_next_query_s"],
    "add10_first_write_and_next_query_s": lambda r: sum(r["add10_first_write"].values()),
    "delete_and_next_query_s": lambda r: r["delete1"]["delete_and_next_query_s"],
    "peak_rss_gb": lambda r: r["peak_rss_gb"],
}
# (passages, metric, limit, what): the targets, each an upper bound
TARGETS = (
    (100_000, "retrieve_p50_ms", 30.0, "retrieval p50 <= 30 ms"),
    (100_000, "cold_open_to_first_answer_s", 10.0, "cold open <= 10 s"),
    (100_000, "add10_and_next_query_s", 1.0, "add 10 documents + next query <= 1 s"),
    (1_000_000, "retrieve_p50_ms", 100.0, "retrieval p50 <= 100 ms"),
    (1_000_000, "peak_rss_gb", 16.0, "peak RSS <= 16 GB"),
)


def merge(path: Path, run: Run) -> None:
    """Put ``run`` into the results at ``path``, replacing an earlier run of its size and vectors."""
    data = json.loads(path.read_text()) if path.exists() else {"runs": []}
    data["runs"] = [r for r in data["runs"]
                    if (r["passages"], r["vectors"]) != (run["passages"], run["vectors"])] + [run]
    data["runs"].sort(key=lambda r: (r["vectors"], r["passages"]))
    path.write_text(json.dumps(data, indent=1) + "\n")


def slope(xs: list[float], ys: list[float]) -> float | None:
    """Least-squares slope of log y on log x (None below two positive points)."""
    pts = [(math.log(x), math.log(y)) for x, y in zip(xs, ys) if x > 0 and y > 0]
    if len(pts) < 2:
        return None
    a = np.array(pts)
    return round(float(np.polyfit(a[:, 0], a[:, 1], 1)[0]), 3)


def fits(runs: list[Run]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for vectors in sorted({r["vectors"] for r in runs}):
        rs = [r for r in runs if r["vectors"] == vectors]
        sizes = [r["passages"] for r in rs]
        out[vectors] = {"sizes": sizes, "exponents": {
            m: slope(sizes, [f(r) for r in rs]) for m, f in METRICS.items()}}
    return out


def targets(runs: list[Run]) -> list[dict[str, Any]]:
    out = []
    for n, metric, limit, what in TARGETS:
        run = next((r for r in runs if r["passages"] == n and r["vectors"] == "synthetic"), None)
        value = None if run is None else round(METRICS[metric](run), 3)
        out.append({"passages": n, "target": what, "measured": value,
                    "met": None if value is None else value <= limit})
    return out


def plot(runs: list[Run], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rs = sorted((r for r in runs if r["vectors"] == "synthetic"), key=lambda r: r["passages"])
    if not rs:
        return
    x = [r["passages"] for r in rs]
    panels = (
        ("retrieval (ms, top 5)", ("retrieve_p50_ms", "retrieve_p95_ms", "stage_embed_p50_ms",
                                   "stage_dense_p50_ms", "stage_fact_linking_p50_ms",
                                   "stage_ppr_p50_ms", "stage_ranking_p50_ms")),
        ("open, add, delete (s)", ("cold_open_to_first_answer_s", "add10_and_next_query_s",
                                   "add10_first_write_and_next_query_s",
                                   "delete_and_next_query_s")),
        ("import", ("import_s", "import_synonyms_s", "import_passages_per_s")),
        ("size", ("store_mb", "peak_rss_gb")),
    )
    fig, axes = plt.subplots(2, 2, figsize=(11, 8))
    for ax, (title, metrics) in zip(axes.flat, panels):
        for m in metrics:
            ys = [METRICS[m](r) for r in rs]
            if all(y > 0 for y in ys):
                ax.plot(x, ys, marker="o", label=m)
        for n, metric, limit, _ in TARGETS:
            if metric in metrics:
                ax.plot([n], [limit], marker="x", color="red", linestyle="none", markersize=9)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(title)
        ax.set_xlabel("passages")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    loads = ", ".join(f"{r['passages']:,}: {r['load_avg_start'][0]:.1f}" for r in rs)
    fig.suptitle("graphmem growth curve: synthetic vectors, extraction skipped; 2-core machine "
                 f"(1-min load average at start, {loads}); red x: issue 14 targets", fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def report(path: Path, plot_path: Path | None) -> None:
    """Recompute the exponents and targets in the results at ``path``; draw the plot."""
    data = json.loads(path.read_text())
    data["what"] = ("issue 14 growth curve (benchmarks/bench_scale.py): OpenIE bulk import of the "
                    "synthetic corpus (extraction skipped); vectors per run's 'vectors' "
                    "('synthetic' = HashedWordEmbedder, not a language model)")
    data["growth_exponents"] = fits(data["runs"])
    data["targets"] = targets(data["runs"])
    path.write_text(json.dumps(data, indent=1) + "\n")
    if plot_path is not None:
        plot(data["runs"], plot_path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--plot", type=Path, default=None)
    args = ap.parse_args()
    report(args.out, args.plot)


if __name__ == "__main__":
    main()
