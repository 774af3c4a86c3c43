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

__all__ = ["Extractor", "SpacyExtractor", "load_spacy_pipeline"]


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
    """

    name: str

    def extract_batch(self, texts: Sequence[str]) -> list[Extraction]:
        """Extract mentions and triples from each text."""
        ...
