"""Loaders for multi-hop QA benchmarks in their native formats, and gold-passage matching.

Supported question formats:

* **MuSiQue** — one record per question with ``id``, ``question``, ``answer``, optional
  ``answer_aliases`` and ``paragraphs: [{idx, title, paragraph_text, is_supporting}]``. Both a
  JSON list (``questions.json``) and the official JSON Lines release (``*.jsonl``) are read.
* **HotpotQA** — ``_id`` (optional), ``question``, ``answer``,
  ``supporting_facts: [[title, sentence_index]]`` and ``context: [[title, [sentences]]]``.
* **2WikiMultiHopQA** — the same shape as HotpotQA (extra fields such as ``evidences`` and
  ``type`` are ignored).

For both, ``context`` may be absent (HippoRAG's released question files ship the passages in a
separate corpus): gold passages are then known by title only, and :func:`match_gold` finds them
as the one corpus passage with that title.

A corpus file (``corpus.json``) is a JSON list of ``{"title", "text"}`` passages, the layout used
by HippoRAG's released corpora.

Gold passages. Titles are *not* unique passage identifiers: the MuSiQue corpus holds several
different paragraphs titled e.g. ``"Tennessee"``, and one MuSiQue question can even have two
supporting paragraphs with the same title. A gold passage is therefore identified by its
``(title, text)`` pair; :func:`passage_key` renders that pair as ``"title\\ntext"``, the same string
HippoRAG uses for its documents, so rankings of passage keys can be scored directly against
:attr:`QAExample.gold_keys`. For HotpotQA-style records the gold text is the gold title's context
sentences joined the way the released corpora join them (see :func:`join_sentences`);
:func:`match_gold` also tolerates whitespace differences.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from graphmem.errors import InputError

logger = logging.getLogger(__name__)

__all__ = [
    "BENCHMARKS",
    "CorpusPassage",
    "QAExample",
    "join_sentences",
    "load_2wikimultihopqa",
    "load_benchmark",
    "load_corpus",
    "load_hotpotqa",
    "load_musique",
    "match_gold",
    "passage_key",
]


def passage_key(title: str, text: str) -> str:
    """The identifier of a passage: ``"title\\ntext"`` (HippoRAG's document string)."""
    return f"{title}\n{text}"


@dataclass(frozen=True)
class CorpusPassage:
    """One retrievable passage of a benchmark corpus."""

    title: str
    text: str

    @property
    def key(self) -> str:
        """:func:`passage_key` of this passage."""
        return passage_key(self.title, self.text)


@dataclass(frozen=True)
class QAExample:
    """One benchmark question with its answers and gold (supporting) passages.

    ``supporting_titles[i]`` and ``supporting_texts[i]`` describe the same gold passage; a text is
    ``""`` when the source record does not provide it (then only the title can identify it).
    Gold passages are listed once each, in the order the record first mentions them.
    """

    id: str
    question: str
    answers: tuple[str, ...]
    supporting_titles: tuple[str, ...]
    supporting_texts: tuple[str, ...]

    def __post_init__(self) -> None:
        if len(self.supporting_titles) != len(self.supporting_texts):
            raise ValueError("supporting_titles and supporting_texts must have the same length")

    @property
    def gold_keys(self) -> tuple[str, ...]:
        """:func:`passage_key` of every gold passage (meaningful when all texts are known)."""
        return tuple(
            passage_key(t, x)
            for t, x in zip(self.supporting_titles, self.supporting_texts, strict=True)
        )


# --------------------------------------------------------------------------- reading helpers


def _read_records(path: Path) -> list[Any]:
    """Records of a JSON list file, or of a JSON Lines file when the suffix is ``.jsonl``."""
    source = str(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("file not found", source=source) from None
    except UnicodeDecodeError as exc:
        raise InputError(
            f"not valid UTF-8 ({exc.reason} at byte {exc.start})", source=source
        ) from None
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", source=source) from None
    if path.suffix == ".jsonl":
        records = []
        for lineno, line in enumerate(raw.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise InputError(f"invalid JSON: {exc.msg}", source=source, line=lineno) from None
        return records
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg}", source=source, line=exc.lineno) from None
    if not isinstance(data, list):
        raise InputError(
            f"expected a JSON list of records, got {type(data).__name__}", source=source
        )
    return data


class _Record:
    """Typed field access on one JSON object, raising :class:`InputError` that names the record."""

    def __init__(self, data: Any, where: str, source: str):
        self.where = where
        self.source = source
        if not isinstance(data, dict):
            self.fail(f"expected a JSON object, got {type(data).__name__}")
        self.data: dict[str, Any] = data

    def fail(self, message: str) -> NoReturn:
        raise InputError(f"{self.where}: {message}", source=self.source)

    def get(self, key: str, kind: type | tuple[type, ...], *, required: bool = True) -> Any:
        if key not in self.data:
            if required:
                self.fail(f"missing field {key!r}")
            return None
        value = self.data[key]
        # bool is an int subclass: reject true/false where a number is expected.
        if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _as_tuple(kind)):
            self.fail(f"field {key!r} must be {_kind_name(kind)}, got {type(value).__name__}")
        return value

    def text(self, key: str) -> str:
        value: str = self.get(key, str)
        return value


def _as_tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {
        str: "a string",
        int: "an integer",
        bool: "a boolean",
        list: "a list",
        dict: "an object",
    }
    return " or ".join(names.get(k, k.__name__) for k in _as_tuple(kind))


def _answers(rec: _Record) -> tuple[str, ...]:
    answer = rec.text("answer")
    aliases = rec.get("answer_aliases", list, required=False) or []
    for alias in aliases:
        if not isinstance(alias, str):
            rec.fail("field 'answer_aliases' must be a list of strings")
    return tuple(dict.fromkeys([answer, *aliases]))


def _record_id(rec: _Record, keys: Sequence[str], position: int) -> str:
    for key in keys:
        if key in rec.data:
            value = rec.get(key, (str, int))
            return str(value)
    return str(position)


def join_sentences(sentences: Iterable[str], separator: str = "") -> str:
    """Join a context entry's sentences into passage text, the way HippoRAG's corpora were built.

    HotpotQA keeps the separating space at the start of each following sentence (and sometimes
    splits mid-phrase), so its sentences are concatenated as they are (``separator=""``);
    2WikiMultiHopQA sentences carry no separating space and are joined with ``" "``. The result is
    stripped: HippoRAG's corpus files hold no leading or trailing whitespace.

    >>> join_sentences(["A b.", " C d.", " "])
    'A b. C d.'
    >>> join_sentences(["A b.", "C d."], " ")
    'A b. C d.'
    """
    return separator.join(sentences).strip()


# --------------------------------------------------------------------------- question loaders


def load_musique(path: Path | str) -> list[QAExample]:
    """Load MuSiQue questions (JSON list or ``.jsonl``); gold passages are ``is_supporting``."""
    path = Path(path)
    examples = []
    for i, data in enumerate(_read_records(path)):
        rec = _Record(data, f"record {i}", str(path))
        qid = _record_id(rec, ("id",), i)
        rec.where = f"record {i} (id {qid!r})"
        titles: list[str] = []
        texts: list[str] = []
        for j, pdata in enumerate(rec.get("paragraphs", list)):
            para = _Record(pdata, f"{rec.where} paragraphs[{j}]", str(path))
            title, text = para.text("title"), para.text("paragraph_text")
            if para.get("is_supporting", bool, required=False):
                titles.append(title)
                texts.append(text)
        if not titles:
            rec.fail("no paragraph has is_supporting = true")
        examples.append(
            QAExample(qid, rec.text("question"), _answers(rec), tuple(titles), tuple(texts))
        )
    logger.info("loaded %d MuSiQue questions from %s", len(examples), path)
    return examples


def _load_hotpot_style(path: Path, dataset: str, separator: str) -> list[QAExample]:
    """Shared loader for HotpotQA and 2WikiMultiHopQA (``supporting_facts`` + ``context``)."""
    examples = []
    for i, data in enumerate(_read_records(path)):
        rec = _Record(data, f"record {i}", str(path))
        qid = _record_id(rec, ("_id", "id"), i)
        rec.where = f"record {i} (id {qid!r})"
        context: dict[str, list[str]] = {}
        raw_context = rec.get("context", list, required=False)
        for j, entry in enumerate(raw_context or []):
            if (
                not isinstance(entry, list)
                or len(entry) != 2
                or not isinstance(entry[0], str)
                or not isinstance(entry[1], list)
                or not all(isinstance(s, str) for s in entry[1])
            ):
                rec.fail(f"context[{j}] must be [title, [sentence, ...]]")
            context.setdefault(entry[0], entry[1])
        gold: dict[str, str] = {}
        for j, fact in enumerate(rec.get("supporting_facts", list)):
            if (
                not isinstance(fact, list)
                or len(fact) != 2
                or not isinstance(fact[0], str)
                or not isinstance(fact[1], int)
                or isinstance(fact[1], bool)
            ):
                rec.fail(f"supporting_facts[{j}] must be [title, sentence_index]")
            title, sent = fact[0], fact[1]
            sentences = context.get(title)
            if raw_context is None:
                pass  # no context at all: the corpus carries the passage, known by its title
            elif sentences is None:
                logger.warning("%s: %s: supporting title %r not in context", path, rec.where, title)
            elif not 0 <= sent < len(sentences):
                logger.warning(
                    "%s: %s: supporting sentence %d of %r out of range",
                    path,
                    rec.where,
                    sent,
                    title,
                )
            if title not in gold:
                gold[title] = join_sentences(sentences, separator) if sentences is not None else ""
        if not gold:
            rec.fail("field 'supporting_facts' is empty")
        examples.append(
            QAExample(qid, rec.text("question"), _answers(rec), tuple(gold), tuple(gold.values()))
        )
    logger.info("loaded %d %s questions from %s", len(examples), dataset, path)
    return examples


def load_hotpotqa(path: Path | str) -> list[QAExample]:
    """Load HotpotQA questions (native JSON with ``supporting_facts`` and ``context``)."""
    return _load_hotpot_style(Path(path), "HotpotQA", "")


def load_2wikimultihopqa(path: Path | str) -> list[QAExample]:
    """Load 2WikiMultiHopQA questions (native JSON; same fields as HotpotQA plus ``evidences``)."""
    return _load_hotpot_style(Path(path), "2WikiMultiHopQA", " ")


# --------------------------------------------------------------------------- corpus and gold


def load_corpus(path: Path | str) -> list[CorpusPassage]:
    """Load a ``corpus.json`` (JSON list of ``{"title", "text"}``) in file order."""
    path = Path(path)
    passages = []
    for i, data in enumerate(_read_records(path)):
        rec = _Record(data, f"passage {i}", str(path))
        passages.append(CorpusPassage(rec.text("title"), rec.text("text")))
    logger.info("loaded %d passages from %s", len(passages), path)
    return passages


def _squash(text: str) -> str:
    return " ".join(text.split())


def match_gold(
    examples: Sequence[QAExample],
    corpus: Sequence[CorpusPassage],
    *,
    source: str | None = None,
) -> list[tuple[int, ...]]:
    """Corpus indices of every example's gold passages, in ``supporting_titles`` order.

    A gold passage matches the corpus passage with the same title and text; failing that, the same
    title and the same text up to whitespace; and when the gold text is unknown (``""``), the only
    passage with that title. Raises :class:`InputError` (``source`` names the corpus) if a gold
    passage has no match or, identified by title alone, more than one.
    """
    exact: dict[tuple[str, str], int] = {}
    squashed: dict[tuple[str, str], int] = {}
    by_title: dict[str, list[int]] = {}
    for i, p in enumerate(corpus):
        exact.setdefault((p.title, p.text), i)
        squashed.setdefault((p.title, _squash(p.text)), i)
        by_title.setdefault(p.title, []).append(i)
    result = []
    for ex in examples:
        indices = []
        for title, text in zip(ex.supporting_titles, ex.supporting_texts, strict=True):
            if text:
                found = exact.get((title, text))
                if found is None:
                    found = squashed.get((title, _squash(text)))
                if found is None:
                    raise InputError(
                        f"question {ex.id!r}: gold passage {title!r} (with its text) is not in "
                        "the corpus",
                        source=source,
                    )
            else:
                candidates = by_title.get(title, [])
                if len(candidates) != 1:
                    problem = "is not in" if not candidates else f"matches {len(candidates)} of"
                    raise InputError(
                        f"question {ex.id!r}: gold title {title!r} {problem} the corpus passages",
                        source=source,
                    )
                found = candidates[0]
            indices.append(found)
        result.append(tuple(indices))
    return result


BENCHMARKS: dict[str, tuple[str, Callable[[Path | str], list[QAExample]]]] = {
    "musique": ("musique-100", load_musique),
    "hotpotqa": ("hotpotqa-100", load_hotpotqa),
}
"""Benchmark name → (directory under the data dir, question loader)."""


def load_benchmark(name: str, data_dir: Path | str) -> tuple[list[QAExample], list[CorpusPassage]]:
    """Load ``<data_dir>/<dir>/questions.json`` and ``corpus.json`` of a named benchmark.

    Every gold passage is checked against the corpus with :func:`match_gold`; a missing one raises
    :class:`InputError` naming the corpus file.
    """
    if name not in BENCHMARKS:
        raise InputError(f"unknown benchmark {name!r}; known: {', '.join(sorted(BENCHMARKS))}")
    dirname, loader = BENCHMARKS[name]
    base = Path(data_dir) / dirname
    examples = loader(base / "questions.json")
    corpus_path = base / "corpus.json"
    corpus = load_corpus(corpus_path)
    match_gold(examples, corpus, source=str(corpus_path))
    return examples, corpus
