"""An :class:`~graphmem.extract.Extractor` that answers from a loaded OpenIE file instead of a model.

:class:`OpenIEExtractor` looks each passage up by its text (compared whitespace-squashed) and
returns the file's entities and triples for it, so a memory built through it holds the LLM's
triples exactly as if an extractor had produced them.

Long documents. A memory cuts documents longer than ``ChunkConfig.max_tokens`` into windows and
extracts each window, while the file describes the whole passage. The extractor therefore cuts
every passage it knows with the same :func:`graphmem.chunking.split_text` and gives each window
the triples whose subject or object appears in it (the entities likewise); a triple or entity
found in no window verbatim (the LLM paraphrased) goes to every window, since the document, not
the window, is what it was extracted from. On MuSiQue-100, 94 of the 1,890 passages are cut.

A passage the file does not describe gets an empty :class:`~graphmem.types.Extraction` with
``failure`` set (the protocol's way to say "could not extract this one"): it is stored without
facts rather than stopping the build, caches do not keep it, batch ingestion reports it, and
:attr:`OpenIEExtractor.missing` counts it; each batch with misses logs one warning.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from graphmem.chunking import split_text
from graphmem.config import ChunkConfig
from graphmem.extract.openie_file import OpenIEFile, OpenIEItem, squash
from graphmem.text import normalize_name, tokenize
from graphmem.types import Extraction

__all__ = ["OpenIEExtractor", "split_extraction"]

log = logging.getLogger(__name__)


class OpenIEExtractor:
    """Extraction by lookup in an :class:`~graphmem.extract.openie_file.OpenIEFile`.

    ``passages`` pairs each passage text, as the memory will be given it (the document text,
    without its title), with the item describing it; by default every item of the file that has
    a text, under that text (what ``graphmem import-openie`` stores). An evaluation over another
    corpus passes the pairs :meth:`OpenIEFile.match_corpus` found. ``chunking`` must be the
    memory's :class:`~graphmem.config.ChunkConfig` so long passages are cut into the same
    windows. ``name`` is the file's :attr:`OpenIEFile.name` (its content hash): a memory or cache
    built from one file is never taken for another's.
    """

    def __init__(
        self,
        source: OpenIEFile,
        chunking: ChunkConfig | None = None,
        passages: Iterable[tuple[str, OpenIEItem]] | None = None,
    ) -> None:
        self.source = source
        self.name: str = source.name
        self.chunking = chunking if chunking is not None else ChunkConfig()
        #: Texts asked for that the file does not describe, over the extractor's lifetime.
        self.missing = 0
        if passages is None:
            passages = [(item.text, item) for item in source.items if item.text is not None]
        self._known: dict[str, Extraction] = {}
        self.passages = 0
        for text, item in passages:
            windows = split_text(text, self.chunking)
            if not windows:
                continue
            self.passages += 1
            parts = split_extraction(item.extraction, windows) if len(windows) > 1 else [
                item.extraction
            ]
            for window, extraction in zip(windows, parts):
                self._known.setdefault(squash(window), extraction)

    def extract_batch(self, texts: Sequence[str]) -> list[Extraction]:
        """The file's extraction of each text; an unknown text gets an empty, failed one."""
        out: list[Extraction] = []
        unknown = 0
        for text in texts:
            found = self._known.get(squash(text))
            if found is None:
                unknown += 1
                found = Extraction((), (), failure=f"passage not in the OpenIE file {self.source.path}")
            out.append(found)
        if unknown:
            self.missing += unknown
            log.warning(
                "%d of %d passages are not in the OpenIE file %s: stored without facts",
                unknown,
                len(texts),
                self.source.path,
            )
        return out

    def __repr__(self) -> str:
        return f"OpenIEExtractor({self.source.path!r}, name={self.name!r}, passages={self.passages})"


def split_extraction(extraction: Extraction, windows: Sequence[str]) -> list[Extraction]:
    """One extraction per window of a passage cut into ``windows``.

    Names are looked for as whole words, normalised as names are ("us" is not in "business").
    A triple goes to the windows naming both its subject and its object; failing that, to those
    naming its object, then its subject: an encyclopedic passage names its topic (the usual
    subject) once and then says "he", so the object places the fact better. Its arguments are
    mentions wherever it goes. A listed entity in no triple goes to the windows naming it.
    Whatever no window names verbatim (a paraphrase) goes to every window.
    """
    hay = [_words(w) for w in windows]
    everywhere = range(len(windows))

    def naming(*names: str) -> list[int]:
        needles = [_words(n) for n in names]
        return [w for w, text in enumerate(hay) if all(n in text for n in needles)]

    def where_fact(subject: str, obj: str) -> Iterable[int]:
        return naming(subject, obj) or naming(obj) or naming(subject) or everywhere

    mentions: list[dict[str, None]] = [{} for _ in windows]
    triples: list[list[int]] = [[] for _ in windows]
    in_triples: set[str] = set()
    for t, triple in enumerate(extraction.triples):
        in_triples.update((triple.subject, triple.object))
        for w in where_fact(triple.subject, triple.object):
            triples[w].append(t)
            mentions[w].setdefault(triple.subject)
            mentions[w].setdefault(triple.object)
    for m in extraction.mentions:
        if m.name not in in_triples:
            for w in naming(m.name) or everywhere:
                mentions[w].setdefault(m.name)
    return [
        Extraction(
            tuple(m for m in extraction.mentions if m.name in names),
            tuple(extraction.triples[t] for t in kept),
        )
        for names, kept in zip(mentions, triples)
    ]


def _words(text: str) -> str:
    """``text`` normalised and tokenised, as `` w1 w2 ... `` with a space at each end, so that
    one such string containing another is a match of whole words."""
    return " " + " ".join(tokenize(normalize_name(text))) + " "
