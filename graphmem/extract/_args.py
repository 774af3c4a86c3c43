"""Argument resolution and mention collection for the rules in :mod:`graphmem.extract._rules`.

Like that module it never imports spaCy: it only reads attributes of the ``Doc``/``Token``/``Span``
objects it is handed. :class:`_DocArgs` is the base of the rules' per-``Doc`` pass: it maps tokens
to graph nodes, collects triples and derives the passage's mentions.

Arguments are graph nodes, so they are chosen to merge across passages: the named-entity span
when the head token lies inside an entity, otherwise the head noun with its contiguous
compound/adjective/possessor modifiers; leading determiners, possessive pronouns and edge
punctuation are dropped ("the Eiffel Tower" -> ``eiffel tower``, "her career" -> ``career``).
A possessor that is part of a proper name stays ("St. Maurice's Abbey"), but a named possessor
of a common noun is a relation, not part of the name: "Achebe's novel" is read as "the novel of
Achebe" (see :meth:`_DocArgs.objects`). Pronouns, relative pronouns, relative times and names
without a letter (other than dates) are never arguments; which named spans become nodes, and
under which name, is decided in :mod:`graphmem.extract._names`.

Complement expansion: a bare common noun with a genitive or prepositional complement is a step
on the way to the node that matters, and the noun goes into the predicate instead of becoming a
hub node of its own. As an object: "wrote a book about Y" -> (x, ``write book about``, y), "is on
the island of Y" -> (x, ``is on island of``, y), "read Y's novel" -> (x, ``read novel of``, y);
as a subject (genitives only): "Y's novel / the novel of Y was published in Z" ->
(y, ``novel published in``, z). The fact to the noun itself is kept only when the noun carries a
descriptive modifier ("a famous book" is worth a node, "a book" is not) or, as an object, is a
determinerless singular naming a field ("studied engineering in X").
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

from graphmem.extract._names import (
    NamedSpan,
    ShortForms,
    article_forms,
    is_calendar_time,
)
from graphmem.text import normalize_name
from graphmem.types import Mention, Triple

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

# Numeric NER types are dropped as mentions and as arguments: on Wikipedia-style text they are
# mostly counts and ordinals ("second son", "11 children") that would become hub nodes joining
# unrelated passages. DATE and TIME are kept: birth/death years are real multi-hop facts.
JUNK_ENT_LABELS = frozenset({"CARDINAL", "ORDINAL", "PERCENT", "QUANTITY", "MONEY"})

# fmt: off
PRONOUNS = frozenset(
    {
        "i", "me", "my", "mine", "myself", "you", "your", "yours", "yourself", "yourselves", "he",
        "him", "his", "himself", "she", "her", "hers", "herself", "it", "its", "itself", "we",
        "us", "our", "ours", "ourselves", "they", "them", "their", "theirs", "themselves", "this",
        "that", "these", "those", "who", "whom", "whose", "which", "what", "whoever", "whomever",
        "whatever", "whichever", "one", "ones", "someone", "somebody", "something", "anyone",
        "anybody", "anything", "everyone", "everybody", "everything", "nobody", "nothing", "none",
        "each", "other", "others", "another", "both", "all", "some", "any", "either", "neither",
        "there", "here", "such",
    }
)
# fmt: on
_TEMPORAL = frozenset({"DATE", "TIME"})
_NOUN_POS = ("NOUN", "PROPN")
# Left dependents of a noun that belong to its name ("Eiffel" Tower, "American" writer, John 's).
_NAME_MODS = frozenset({"compound", "amod", "nmod", "poss", "nummod", "npadvmod", "quantmod"})
# Longer "names" are NER run-ons over lists and tables, not nodes worth merging.
_MAX_NAME_TOKENS = 10
# Tokens trimmed from either edge of an argument span.
_EDGE_POS = frozenset({"DET", "PUNCT", "SPACE", "CCONJ", "PRON", "PART", "ADP", "SCONJ"})
# Nouns chained through by complement expansion before the plain noun is the object: "a book
# about the history of Lyon" -> (x, write book about history of, lyon); deeper is the plain noun.
_MAX_HOPS = 2


class Arg(NamedTuple):
    """A resolved argument: normalised name, surface label, kind, first token index, and the
    predicate words of a complement expansion (``via``): prefixed to the predicate when the arg
    is a subject ("novel" in "Y's novel was published"), appended when it is an object
    ("book about" in "wrote a book about Y"). Producers are side-specific (see
    :meth:`_DocArgs.objects` and :meth:`_DocArgs.subjects_of`)."""

    name: str
    label: str
    kind: str
    start: int
    via: str = ""


def _clean_label(text: str) -> str:
    return " ".join(text.split())


# Personal pronouns resolved to the passage's topic person when pronoun resolution is on.
_PERSONAL = frozenset({"he", "she", "him"})


class _DocArgs:
    """Argument, triple and mention bookkeeping for one pass of the rules over one ``Doc``."""

    __slots__ = ("args", "articles", "doc", "ent_of", "resolve_pronouns", "short_forms", "triples")

    def __init__(self, doc: Doc, resolve_pronouns: bool = False) -> None:
        self.doc = doc
        self.resolve_pronouns = resolve_pronouns
        self.ent_of: dict[int, Span] = {}
        for ent in doc.ents:
            for i in range(ent.start, ent.end):
                self.ent_of[i] = ent
        self.args: dict[int, Arg | None] = {}
        self.triples: dict[Triple, None] = {}
        self.articles = article_forms(doc)
        named: list[NamedSpan] = []
        for ent in doc.ents:
            if ent.label_ in JUNK_ENT_LABELS or ent.label_ in _TEMPORAL:
                continue
            a = self._span_arg(ent.start, ent.end, ent.label_, ent.root.i)
            if a is not None:
                start, end = self._trim(ent.start, ent.end, ent.root.i)
                named.append(NamedSpan(ent.start, ent.label_, a.name, a.label, doc[start:end]))
        self.short_forms = ShortForms(named)

    # ------------------------------------------------------------------ arguments

    def _span_arg(self, start: int, end: int, kind: str, head: int | None = None) -> Arg | None:
        """Trim edge tokens from ``doc[start:end]`` (see :meth:`_trim`) and turn it into an
        :class:`Arg`."""
        start, end = self._trim(start, end, head)
        if start >= end or end - start > _MAX_NAME_TOKENS:
            return None
        label = _clean_label(self.doc[start:end].text)
        return self._finish_arg(label, kind, start)

    def _trim(self, start: int, end: int, head: int | None) -> tuple[int, int]:
        """``doc[start:end]`` without edge punctuation, determiners, pronouns etc. and leading
        articles (:data:`_EDGE_POS`, :func:`~graphmem.extract._names.article_forms`).

        A span crossing a line break (an entity running from a title line into the text) is cut
        to the line holding ``head``, or to its last line when ``head`` is None."""
        doc = self.doc
        for j in range(start, end):
            if doc[j].is_space and "\n" in doc[j].text:
                if head is not None and head < j:
                    end = j
                    break
                start = j + 1
        articles = self.articles
        while start < end and (
            doc[start].pos_ in _EDGE_POS
            # an article the tagger read as part of a quoted title ("The/PROPN Sporting News")
            or (end - start > 1 and doc[start].lower_ in articles)
        ):
            start += 1
        while end > start and doc[end - 1].pos_ in _EDGE_POS:
            end -= 1
        return start, end

    def _finish_arg(self, label: str, kind: str, start: int) -> Arg | None:
        """The :class:`Arg` for a trimmed span's text, or None when the name cannot be a node."""
        name = normalize_name(label)
        if (
            not name
            or name in PRONOUNS
            or not any(ch.isalnum() for ch in name)
            or (len(name) == 1 and name.isascii())  # "d." (died), stray initials
        ):
            return None
        if not any(ch.isalpha() for ch in name) and kind not in _TEMPORAL:
            # Only a date may be a name without letters. A year the NER labelled otherwise
            # ("1920" as EVENT) is a date; other numbers ("277 -", "-7") are no node.
            if kind == "NP" or not (name.isdigit() and len(name) <= 4):
                return None
            kind = "DATE"
        return Arg(name, normalize_label(label), kind, start)

    def _ent_arg(self, ent: Span, head: int | None) -> Arg | None:
        """The node of a named entity: None for numeric kinds and relative times, the earlier full
        name for an in-passage short form (see :mod:`graphmem.extract._names`)."""
        label = ent.label_
        if label in JUNK_ENT_LABELS or (label in _TEMPORAL and not is_calendar_time(ent)):
            return None
        a = self._span_arg(ent.start, ent.end, label, head)
        full = None if a is None else self.short_forms.of_entity(ent.start, a.name)
        if a is not None and full is not None:
            a = a._replace(name=full[0], label=full[1])
        return a

    def _topic_person(self, i: int) -> Arg | None:
        """The first PERSON named before token ``i``: in encyclopedic passages "he"/"she" almost
        always means the person the passage is about, which is also its first named person."""
        for ent in self.doc.ents:
            if ent.start >= i:
                return None
            if ent.label_ == "PERSON":
                return self._ent_arg(ent, ent.root.i)
        return None

    def arg(self, tok: Token) -> Arg | None:
        """The graph node a token stands for, or None when it cannot be one (cached)."""
        i = tok.i
        if i in self.args:
            return self.args[i]
        result: Arg | None = None
        if tok.pos_ == "PRON" or tok.lower_ in PRONOUNS:
            if self.resolve_pronouns and tok.lower_ in _PERSONAL:
                result = self._topic_person(i)
        elif i in self.ent_of:
            result = self._ent_arg(self.ent_of[i], i)
        elif tok.pos_ in _NOUN_POS:
            start = i
            for child in reversed(list(tok.lefts)):
                if child.right_edge.i != start - 1 or child.dep_ not in _NAME_MODS:
                    break
                if child.pos_ == "PRON" or (i - child.left_edge.i) > 6:
                    break
                if self._is_genitive_relation(tok, child):
                    break  # "Achebe's novel": a relation to Achebe (see objects), not a name
                child_ent = self.ent_of.get(child.i)
                if child_ent is not None and child_ent.label_ in JUNK_ENT_LABELS:
                    break  # "two sons" -> "sons", "second son" -> "son"
                start = child.left_edge.i
            result = self._span_arg(start, i + 1, "NP", i)
            if result is not None:
                full = self.short_forms.of_proper_noun(self.doc[result.start : i + 1])
                if full is not None:  # "Kondo" the NER missed, after "Koji Kondo"
                    result = result._replace(name=full[0], label=full[1])
        self.args[i] = result
        return result

    def _is_genitive_relation(self, head: Token, poss: Token) -> bool:
        """Whether ``poss`` is a named possessor of the common noun ``head`` that relates to it
        ("Achebe's novel" = "the novel of Achebe") rather than being part of a longer name: a
        capitalised word after the possessor ("Jehovah's Witnesses", "Jehovah's Witness elder")
        marks a name the tagger read as common nouns."""
        if poss.dep_ != "poss" or head.pos_ != "NOUN" or not self._is_named(poss):
            return False
        return not any(t.is_title for t in self.doc[poss.right_edge.i + 1 : head.i + 1])

    def _is_named(self, tok: Token) -> bool:
        """Whether a token is (part of) a name: a non-numeric entity or a proper noun."""
        ent = self.ent_of.get(tok.i)
        if ent is not None:
            return ent.label_ not in JUNK_ENT_LABELS
        return tok.pos_ == "PROPN"

    def args_of(self, toks: Iterable[Token]) -> list[Arg]:
        """Arguments for tokens and all their coordinated conjuncts ("X, Y and Z")."""
        out: list[Arg] = []
        for tok in toks:
            for t in (tok, *tok.conjuncts):
                a = self.arg(self._named_appositive(t))
                if a is not None and a not in out:
                    out.append(a)
        return out

    def objects(self, toks: Iterable[Token], hops: int = 0) -> list[Arg]:
        """Object arguments of tokens and their conjuncts, with complement expansion: a common
        noun with a named possessor or a prepositional object stands for that complement, the
        noun joining the predicate ("a book about Y" -> y via ``book about``). The noun itself is
        an object too when no complement resolved or it is worth a node of its own
        (:meth:`_worth_a_node`)."""
        out: list[Arg] = []
        for tok in toks:
            for t in (tok, *tok.conjuncts):
                t = self._named_appositive(t)
                a = self.arg(t)
                found = self.complements(t, subject=False, hops=hops)
                if a is not None and (not found or self._worth_a_node(t, a)):
                    found.insert(0, a)
                out.extend(x for x in found if x not in out)
        return out

    def subjects_of(self, toks: Iterable[Token]) -> list[Arg]:
        """Subject arguments of tokens and their conjuncts, with genitive expansion only: "Y's
        novel" and "the novel of Y" stand for y with ``novel`` prefixed to the predicate. Other
        prepositions are left alone ("a village in France was destroyed" is about the village)."""
        out: list[Arg] = []
        for tok in toks:
            for t in (tok, *tok.conjuncts):
                t = self._named_appositive(t)
                a = self.arg(t)
                found = self.complements(t, subject=True)
                if a is not None and (not found or self._worth_a_node(t, a)):
                    found.insert(0, a)
                out.extend(x for x in found if x not in out)
        return out

    def complements(self, tok: Token, subject: bool, hops: int = 0) -> list[Arg]:
        """Complements of a common noun as expanded arguments (see :meth:`objects`).

        As an object (``subject=False``) any preposition counts and ``via`` is "noun prep" plus
        the complement's own ``via``, chained up to ``_MAX_HOPS`` nouns deep; as a subject only
        the genitive ("of", a named possessor) counts and ``via`` is the noun."""
        if tok.pos_ != "NOUN" or tok.i in self.ent_of or tok.lower_ in PRONOUNS:
            return []
        lemma = tok.lemma_.lower()
        out: list[Arg] = []
        for c in tok.children:
            if self._is_genitive_relation(tok, c):
                for y in self.args_of([c]):
                    out.append(y._replace(via=lemma if subject else f"{lemma} of"))
            elif c.dep_ == "prep" and (not subject or c.lower_ == "of"):
                pobjs = [g for g in c.children if g.dep_ == "pobj"]
                if subject:
                    out.extend(y._replace(via=lemma) for y in self.args_of(pobjs))
                    continue
                ys = self.objects(pobjs, hops + 1) if hops + 1 < _MAX_HOPS else self.args_of(pobjs)
                for y in ys:
                    via = f"{lemma} {c.lower_}"
                    out.append(y._replace(via=f"{via} {y.via}" if y.via else via))
        return out

    def _worth_a_node(self, head: Token, a: Arg) -> bool:
        """Whether an expanded noun keeps its own fact as well: it has a descriptive modifier
        ("a famous book"), or it is a singular noun without a determiner, which names a field or
        substance rather than one generic instance ("studied engineering in X" keeps
        (x, study, engineering); "wrote a book about Y" drops (x, write, book))."""
        if self._has_descriptive_modifier(head, a):
            return True
        return "Plur" not in head.morph.get("Number", []) and not any(
            c.dep_ in ("det", "poss", "nummod") for c in head.children
        )

    def _has_descriptive_modifier(self, head: Token, a: Arg) -> bool:
        """Whether the argument span has a non-numeric modifier before its head noun."""
        for t in self.doc[a.start : head.i]:
            ent = self.ent_of.get(t.i)
            numeric = ent is not None and ent.label_ in JUNK_ENT_LABELS
            if not numeric and t.pos_ not in ("NUM", "PUNCT", "PART"):
                return True
        return False

    def _named_appositive(self, tok: Token) -> Token:
        """For a common noun with a named appositive ("the chancellor, Angela Merkel,") the
        name: it is the better node for the clause's triples."""
        if tok.pos_ == "NOUN" and tok.i not in self.ent_of:
            for c in tok.children:
                if c.dep_ == "appos" and c.i in self.ent_of:
                    return c
        return tok

    # ------------------------------------------------------------------ triples

    def add(self, subj: Arg, pred: str, obj: Arg) -> None:
        """Record (subj, pred, obj), the subject's ``via`` prefixed and the object's appended to
        ``pred`` (which may be empty when the object's ``via`` is the whole predicate)."""
        # A date as subject is nearly always a mis-parse ("Theobald (c. 854-895), count of ...").
        if subj.name == obj.name or subj.kind in _TEMPORAL:
            return
        full = " ".join(p for p in (subj.via, pred, obj.via) if p)
        if full:
            self.triples[Triple(subj.name, full, obj.name)] = None

    def add_all(self, subjs: list[Arg], pred: str, objs: list[Arg]) -> None:
        for s in subjs:
            for o in objs:
                self.add(s, pred, o)

    def prep_objects(self, prep: Token) -> list[Arg]:
        """Objects of a preposition token (with conjuncts and complement expansion)."""
        return self.objects(c for c in prep.children if c.dep_ == "pobj")

    # ------------------------------------------------------------------ mentions

    def _mentions(self) -> tuple[Mention, ...]:
        cands: list[Arg] = []
        for ent in self.doc.ents:
            a = self._ent_arg(ent, None)
            if a is not None:
                cands.append(a)
        used = {n for t in self.triples for n in (t.subject, t.object)}
        cands.extend(a for a in self.args.values() if a is not None and a.name in used)
        cands.sort(key=lambda a: a.start)
        first: dict[str, Arg] = {}
        kind: dict[str, str] = {}
        for a in cands:
            first.setdefault(a.name, a)
            if a.kind != "NP":
                kind.setdefault(a.name, a.kind)
        return tuple(Mention(n, a.label, kind.get(n, "NP")) for n, a in first.items())


def normalize_label(label: str) -> str:
    """Surface label with edge punctuation and whitespace trimmed but case kept."""
    return label.strip("\"'`“”‘’«»„‚()[]{}<>,;:!?、。，；：！？ ")
