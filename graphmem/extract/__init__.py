"""Extraction: passages -> entity mentions + (subject, predicate, object) triples.

An :class:`Extractor` is anything with a ``name`` and an ``extract_batch`` method. The offline
default is :class:`SpacyExtractor` (dependency-parse OpenIE); an LLM-backed extractor can be
plugged in through the same protocol.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from graphmem.extract.spacy_ie import SpacyExtractor, load_spacy_pipeline
from graphmem.types import Extraction

__all__ = ["Cancellable", "Extractor", "SpacyExtractor", "load_spacy_pipeline"]


@runtime_checkable
class Extractor(Protocol):
    """Turns passages into :class:`~graphmem.types.Extraction` s.

    Contract:

    * ``name`` identifies the extractor and its model/rule version; it goes into the store's
      config fingerprint, so two extractors with the same ``name`` must extract the same facts.
    * ``extract_batch(texts)`` returns exactly one Extraction per input text, in input order
      (an empty input gives ``[]``). Within an Extraction, every triple's subject and object is
      the ``name`` of one of its mentions, names are :func:`graphmem.text.normalize_name`-ed,
      mentions are unique by name, triples unique, and subject != object.
    * A text the extractor could not extract (a model reply it cannot use) is not an error of
      the call: its Extraction has ``failure`` set to the reason and holds whatever was
      extracted. Callers must not cache such an extraction and should report it; raising is for
      failures of the whole call (a model server that cannot be reached).
    """

    name: str

    def extract_batch(self, texts: Sequence[str]) -> list[Extraction]:
        """Extract mentions and triples from each text."""
        ...


@runtime_checkable
class Cancellable(Protocol):
    """An extractor that waits on something outside the process (a model server) and can stop.

    ``cancel()`` makes calls in flight, and any later call, fail promptly instead of waiting for
    their replies; it is how an interrupted ingestion job stops without waiting out a hanging
    server. It may be called from any thread, more than once.
    """

    def cancel(self) -> None:
        """Stop calls in flight; the extractor is not usable afterwards."""
        ...
