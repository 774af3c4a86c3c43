"""OpenIE made elsewhere: load and validate a HippoRAG-style extraction file.

Users who already ran an LLM over their passages have its output in HippoRAG's layout::

    {"docs": [{"idx": ..., "passage": "Title\\ntext", "title": ..., "text": ...,
               "extracted_entities": ["...", ...],
               "extracted_triples": [["subject", "predicate", "object"], ...]}, ...]}

:func:`load_openie` reads such a file with :func:`json.loads` only (nothing in it is ever
evaluated) and checks every item and every triple. Whatever is wrong is collected, with the
item's index, as a :class:`Problem` in :attr:`OpenIEFile.problems`; the valid rest is usable.
Only a file that cannot be read, is not JSON or holds no ``docs`` list raises
:class:`~graphmem.errors.InputError`, naming the file.

Rules, item by item (``docs[i]``):

* the passage is ``title`` + ``text`` when ``text`` is given (``passage`` is then only checked to
  agree), else ``passage``, less its first line when that line is the item's ``title`` (HippoRAG
  writes ``"title\\ntext"``); an item with neither but an ``idx`` can still be matched to
  a corpus by position (an int) or by HippoRAG 2's passage id ``chunk-<md5 of title\\ntext>``
  (a string), see :meth:`OpenIEFile.match_corpus`; an item with none of them is skipped;
* a passage text that :func:`graphmem.validate.validate_document` refuses (empty, a lone
  surrogate) skips the item; so does a second item with the same passage (the first is kept);
* an entity or triple element that is not a string, or is empty once normalised, is dropped
  and reported; so is a triple that has not exactly three elements (LLMs write 2- and 4-element
  "triples"; none is guessed at), or whose subject and object are the same entity.
  Repeated triples and entities are merged silently.

Entity kinds: a name listed in ``extracted_entities`` is a named entity (kind ``ENTITY``, or
``DATE`` when it reads as a date such as "9 July 2011", so dates keep out of synonym edges as
spaCy's do); a triple argument the LLM did not list ("monthly publication in 1963") is a plain
noun phrase (kind ``NP``), reached through its facts rather than linked from query words, the
same split the spaCy extractor makes. The extractor over a loaded file is
:class:`graphmem.extract.openie.OpenIEExtractor`.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphmem.errors import InputError
from graphmem.text import normalize_name, printable
from graphmem.types import Document, Extraction, Mention, Triple
from graphmem.validate import validate_document

__all__ = [
    "DATE",
    "ENTITY",
    "NOUN_PHRASE",
    "OpenIEFile",
    "OpenIEItem",
    "Problem",
    "load_openie",
    "squash",
]

ENTITY = "ENTITY"
"""Kind of a name the LLM listed in ``extracted_entities``."""
DATE = "DATE"
"""Kind of a listed name that reads as a date (see :func:`_kind`)."""
NOUN_PHRASE = "NP"
"""Kind of a triple argument that is not a listed entity (graphmem's plain noun phrase)."""

_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
# A date: day/month/year words and numbers only, at least one digit ("1960s", "9 july 2011",
# "july 3, 2004", "c. 1200 bc"); "2018 impact factor" has other words and stays an entity.
_DATE_RE = re.compile(
    rf"^(?:(?:{_MONTHS}|\d{{1,4}}(?:st|nd|rd|th|s)?|bc|ad|bce|ce|c\.|circa|early|mid|late)"
    r"[\s,./–-]*)+$"
)
_MONTH_RE = re.compile(rf"\b(?:{_MONTHS})\b")
_YEAR_RE = re.compile(r"\b\d{3,4}s?\b")
_THOUSANDS_RE = re.compile(r"\d,\d")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_SHOWN = 60  # characters of a bad value quoted in a problem
# names repeat across items (a hub entity in thousands of triples, every predicate): normalise
# each distinct string once (a pure function; ~4x fewer calls on the synthetic corpus)
_normalized = functools.lru_cache(maxsize=1 << 18)(normalize_name)


def squash(text: str) -> str:
    """``text`` with every run of whitespace made one space and the ends stripped: the form in
    which passages are compared, so a re-wrapped or re-indented copy still matches."""
    return " ".join(text.split())


@dataclass(frozen=True)
class Problem:
    """One thing wrong in the file: the item (``docs[item]``), the part of it (``where``, e.g.
    ``"extracted_triples[3]"``, empty for the item as a whole) and what is wrong."""

    item: int
    where: str
    message: str

    def __str__(self) -> str:
        part = f".{self.where}" if self.where else ""
        return f"docs[{self.item}]{part}: {self.message}"


@dataclass(frozen=True)
class OpenIEItem:
    """A usable item: where it is in the file, the passage it describes, its extraction.

    ``text`` is the passage text to store (``None`` for an item known by ``idx`` only) and
    ``title`` its title when the item gave one; ``passage`` is the item's ``passage`` string."""

    position: int
    title: str | None
    text: str | None
    passage: str | None
    idx: int | str | None
    extraction: Extraction

    @property
    def key(self) -> str | None:
        """The passage as HippoRAG writes it, ``"title\\ntext"`` (``text`` alone without a title)."""
        if self.text is None:
            return self.passage
        return f"{self.title}\n{self.text}" if self.title else self.text


@dataclass(frozen=True)
class OpenIEFile:
    """A loaded extraction file: its usable items and every problem found.

    ``total`` counts the items of ``docs``; those not in ``items`` were skipped (each with a
    problem saying why). ``sha256`` is the hash of the file's bytes: :attr:`name` derives from
    it, so caches and memories built from different files never mix."""

    path: str
    sha256: str
    total: int
    items: tuple[OpenIEItem, ...]
    problems: tuple[Problem, ...]

    @property
    def name(self) -> str:
        """The extractor name for this content, e.g. ``"openie:3f2a9c0d1e2b4a5f:r1"``."""
        return f"openie:{self.sha256[:16]}:r1"

    @property
    def skipped(self) -> int:
        """Items not usable at all (not an object, no passage, bad text, duplicate)."""
        return self.total - len(self.items)

    def match_corpus(self, corpus: Sequence[tuple[str | None, str]]) -> list[OpenIEItem | None]:
        """The item describing each ``(title, text)`` corpus passage, or None.

        Tried in order, comparing whitespace-squashed strings: the same title and text; the
        item's ``passage`` equal to ``title\\ntext``; the same text alone (an item without a
        title, or a corpus that retitled it); the item's ``idx`` as the corpus position (int) or
        as HippoRAG 2's passage id ``"chunk-" + md5(title\\ntext)`` (str)."""
        by_pair: dict[tuple[str, str], OpenIEItem] = {}
        by_passage: dict[str, OpenIEItem] = {}
        by_text: dict[str, OpenIEItem] = {}
        by_idx: dict[int | str, OpenIEItem] = {}
        for item in self.items:
            if item.text is not None:
                by_pair.setdefault((squash(item.title or ""), squash(item.text)), item)
                by_text.setdefault(squash(item.text), item)
            if item.passage is not None:
                by_passage.setdefault(squash(item.passage), item)
            if item.idx is not None:
                by_idx.setdefault(item.idx, item)
        out: list[OpenIEItem | None] = []
        for position, (title, text) in enumerate(corpus):
            key = f"{title}\n{text}" if title else text
            found = (
                by_pair.get((squash(title or ""), squash(text)))
                or by_passage.get(squash(key))
                or by_text.get(squash(text))
                or by_idx.get(position)
                or by_idx.get("chunk-" + hashlib.md5(key.encode("utf-8")).hexdigest())
            )
            out.append(found)
        return out


def load_openie(path: str | Path) -> OpenIEFile:
    """Read and validate the OpenIE file at ``path`` (see the module docstring for the rules).

    Raises:
        InputError: the file cannot be read, is not UTF-8 JSON, or has no ``docs`` list.
    """
    path = Path(path)
    source = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError("file not found", source=source) from None
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", source=source) from None
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError(f"not valid UTF-8 ({exc.reason} at byte {exc.start})", source=source) from None
    except json.JSONDecodeError as exc:
        raise InputError(
            f"not an OpenIE file: invalid JSON ({exc.msg})", source=source, line=exc.lineno
        ) from None
    except RecursionError:
        raise InputError("not an OpenIE file: JSON nested too deeply", source=source) from None
    if not isinstance(data, dict) or not isinstance(data.get("docs"), list):
        got = (
            f"a JSON {_type(data)}" if not isinstance(data, dict)
            else "no 'docs' key" if "docs" not in data
            else f"'docs' as a JSON {_type(data['docs'])}"
        )
        raise InputError(
            f'not an OpenIE file: expected an object with a "docs" list, got {got}', source=source
        )
    problems: list[Problem] = []
    items: list[OpenIEItem] = []
    seen: dict[str, int] = {}
    for i, record in enumerate(data["docs"]):
        item = _item(i, record, problems, source)
        if item is None:
            continue
        key = item.key
        if key is not None:
            first = seen.setdefault(squash(key), i)
            if first != i:
                problems.append(Problem(i, "", f"the same passage as docs[{first}]; skipped"))
                continue
        items.append(item)
    return OpenIEFile(
        source, hashlib.sha256(raw).hexdigest(), len(data["docs"]), tuple(items), tuple(problems)
    )


def _type(value: Any) -> str:
    """A JSON type name for a message."""
    if value is None:
        return "null"
    return {dict: "object", list: "array", str: "string", bool: "boolean"}.get(
        type(value), "number" if isinstance(value, (int, float)) else type(value).__name__
    )


def _show(text: str) -> str:
    """A value quoted for a message: escaped, and cut at :data:`_SHOWN` characters."""
    shown = printable(text[:_SHOWN]) + ("..." if len(text) > _SHOWN else "")
    return repr(shown)


def _item(
    i: int, record: Any, problems: list[Problem], source: str
) -> OpenIEItem | None:
    """Validate ``docs[i]``; its problems go to ``problems``; None when it is unusable."""

    def report(where: str, message: str) -> None:
        problems.append(Problem(i, where, message))

    if not isinstance(record, dict):
        report("", f"is a JSON {_type(record)}, not an object; skipped")
        return None
    fields: dict[str, str | None] = {}
    for key in ("title", "text", "passage"):
        value = record.get(key)
        if value is not None and not isinstance(value, str):
            report(key, f"is a JSON {_type(value)}, not a string; ignored")
            value = None
        fields[key] = value
    idx = record.get("idx")
    if idx is not None and (isinstance(idx, bool) or not isinstance(idx, (int, str))):
        report("idx", f"is a JSON {_type(idx)}, not a number or string; ignored")
        idx = None
    title, text, passage = fields["title"], fields["text"], fields["passage"]
    if text is None and passage is not None:
        if title and passage.startswith(title + "\n"):
            text = passage[len(title) + 1 :]
        else:  # the passage as it is (its first line may be a title: it stays in the text)
            text = passage
    elif text is not None and passage is not None and squash(passage) not in (
        squash(text),
        squash(f"{title}\n{text}"),
    ):
        report("passage", "differs from title + text; title and text are used")
    if text is None and idx is None:
        report("", "has no 'text', 'passage' or 'idx': no passage to attach it to; skipped")
        return None
    if text is not None:
        try:
            validate_document(Document(text=text, title=title), f"{source} docs[{i}]")
        except InputError as exc:
            report("", f"{exc.reason}; skipped")
            return None
    extraction = _extraction(record, report)
    return OpenIEItem(i, title or None, text, fields["passage"], idx, extraction)


def _name(value: Any, where: str, report: Any) -> tuple[str, str] | None:
    """(normalised name, surface form) of one string, or None after reporting what is wrong."""
    if not isinstance(value, str):
        report(where, f"is a JSON {_type(value)}, not a string; dropped")
        return None
    if _SURROGATE_RE.search(value):
        report(where, f"{_show(value)} contains a lone surrogate; dropped")
        return None
    name = _normalized(value)
    if not name:
        report(where, f"{_show(value)} is empty once normalised; dropped")
        return None
    return name, " ".join(value.split())


def _list(record: dict[str, Any], key: str, report: Any) -> list[Any]:
    """``record[key]`` when it is a list; otherwise report it and treat it as empty."""
    value = record.get(key)
    if key not in record:
        report(key, "is missing; taken as empty")
        return []
    if not isinstance(value, list):
        report(key, f"is a JSON {_type(value)}, not a list; taken as empty")
        return []
    return value


def _kind(name: str) -> str:
    """``DATE`` for a listed name made only of day, month and year words that names a month or
    a year ("9 july 2011", "1960s"), else ``ENTITY``: "193,000" and "11" are numbers, not dates
    (they seed like any letterless name, see ``RetrieveConfig.numeric_seed_scale``)."""
    if not _DATE_RE.match(name) or _THOUSANDS_RE.search(name):
        return ENTITY
    return DATE if _MONTH_RE.search(name) or _YEAR_RE.search(name) else ENTITY


def _extraction(record: dict[str, Any], report: Any) -> Extraction:
    """The item's mentions and triples, every bad element reported and dropped."""
    mentions: dict[str, Mention] = {}
    for j, value in enumerate(_list(record, "extracted_entities", report)):
        named = _name(value, f"extracted_entities[{j}]", report)
        if named is not None and named[0] not in mentions:
            mentions[named[0]] = Mention(named[0], named[1], _kind(named[0]))
    triples: dict[Triple, None] = {}
    for j, value in enumerate(_list(record, "extracted_triples", report)):
        where = f"extracted_triples[{j}]"
        if not isinstance(value, list):
            report(where, f"is a JSON {_type(value)}, not a [subject, predicate, object] list; dropped")
            continue
        if len(value) != 3:
            report(where, f"has {len(value)} elements, not 3 (subject, predicate, object); dropped")
            continue
        parts = [_name(v, f"{where}[{k}]", report) for k, v in enumerate(value)]
        if any(p is None for p in parts):
            continue
        (s, s_label), (p, _), (o, o_label) = parts  # type: ignore[misc]
        if s == o:
            report(where, f"subject and object are the same entity {_show(s)}; dropped")
            continue
        for name, label in ((s, s_label), (o, o_label)):
            mentions.setdefault(name, Mention(name, label, NOUN_PHRASE))
        triples.setdefault(Triple(s, p, o))
    return Extraction(tuple(mentions.values()), tuple(triples))
