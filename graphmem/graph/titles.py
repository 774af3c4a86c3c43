"""A document's title as an entity node: the name it takes (:func:`title_names`) and the mention
each of its passages gets (:func:`with_title`). Used by :func:`graphmem.graph.builder.build_content`."""

from __future__ import annotations

from collections.abc import Sequence

from graphmem.text import normalize_name, tokenize
from graphmem.types import Extraction, Mention

__all__ = ["TITLE", "title_names", "with_title"]

# Entity kind of a document title added as a mention of each of its passages.
TITLE = "TITLE"


def title_names(
    titles: Sequence[str | None],
    texts: Sequence[str],
    extractions: Sequence[Extraction],
    owners: Sequence[object],
) -> dict[int, tuple[str, str]]:
    """The entity name of each document's title, keyed by ``id(owner)``: (name, title).

    Normally ``normalize_name(title)``. When a passage of the document writes the whole title
    and the extractor, reading it in context, named it without its first word ("The Salt
    Lantern" in the text, mention ``salt lantern``: the parse saw an article), and that word
    also appears in lower case in the text (:func:`_function_word`), the title takes the
    extractor's name, so that title and text meet at one node. This defers to the parse and to
    letter case instead of a list of articles."""
    out: dict[int, tuple[str, str]] = {}
    shortened: dict[int, str] = {}
    for title, text, ex, owner in zip(titles, texts, extractions, owners):
        if not title:
            continue
        name = normalize_name(title)
        if not name:
            continue
        out.setdefault(id(owner), (name, title))
        if id(owner) in shortened or any(m.name == name for m in ex.mentions):
            continue
        head, _, rest = name.partition(" ")
        written = title.split()[0] if title.split() else ""
        if (
            head
            and rest
            and f" {name} " in f" {normalize_name(text)} "
            and any(m.name == rest for m in ex.mentions)
            and _function_word(written, text)
        ):
            shortened[id(owner)] = rest
    for key, rest in shortened.items():
        out[key] = (rest, out[key][1])
    return out


def _function_word(written: str, text: str) -> bool:
    """Whether a title's first word, capitalised there, also appears in lower case in the text:
    the trace an article or other function word leaves in any cased script ("The" / "the",
    "Der" / "der"), and that a name's first word rarely leaves. Uncased scripts give False, so
    their titles stay whole rather than trusting a parse of a language the model may not read."""
    lower = written.lower()
    return written != lower and lower in tokenize(text)


def with_title(extraction: Extraction, title: tuple[str, str] | None) -> Extraction:
    """The extraction plus the document title, ``(entity name, title as written)`` from
    :func:`title_names`, as an entity mentioned by the passage.

    A title names what the passage is about, and the text often refers to it only by pronoun or
    not at all in later windows; as a node it joins every window of the document and any other
    passage that names the same thing, and queries can link to it by name."""
    if title is None:
        return extraction
    name, written = title
    if any(m.name == name for m in extraction.mentions):
        return extraction
    return Extraction(extraction.mentions + (Mention(name, written, TITLE),), extraction.triples)
