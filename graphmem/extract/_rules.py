"""Dependency-parse OpenIE rules over one parsed spaCy ``Doc``.

This module never imports spaCy: it only reads attributes of ``Doc``/``Token``/``Span`` objects it
is handed, so importing it is free. :func:`extract_from_doc` is the single entry point.

Predicate convention (all lowercase, single spaces):

* active verb: verb lemma, then its particle, then the preposition that introduces the object:
  "discovered X" -> ``discover``, "lives in X" -> ``live in``, "gave up X" -> ``give up``;
* passive verb with a prepositional object: the past participle (an invariant form, and clearer
  than the lemma for states such as "born") plus the preposition: "was born in X" -> ``born in``;
* passive verb with a "by" agent: rewritten to active voice, (agent, verb lemma, patient):
  "X was designed by Y" -> (y, ``design``, x);
* copula "X is/was/are Y" -> (x, ``is``, y) whatever the tense; "X is in Y" -> ``is in``;
  "X is famous for Y" -> ``famous for`` (adjective lemma + preposition);
* relational nouns, in copulas and appositions alike: "X is the capital of Y" and
  "X, the capital of Y," -> (x, ``capital of``, y) (noun lemma + preposition); a named possessor
  is the same relation: "X is Y's capital" -> (x, ``capital of``, y). The plain ``is``
  triple to the attribute is then emitted only when the attribute carries descriptive modifiers
  ("an American writer of ..." -> (x, ``is``, ``american writer``) as well), because a bare
  "capital"/"son" node would be a hub joining unrelated passages;
* the same complement expansion for verb objects and prepositional objects (see
  :mod:`graphmem.extract._args`): "wrote a book about Y" -> (x, ``write book about``, y), never
  the false (x, ``write``, y); "is on the island of Y" -> (x, ``is on island of``, y); and for
  genitive subjects: "Y's novel was published in Z" -> (y, ``novel published in``, z);
* negation prefixes ``not`` ("did not win" -> ``not win``; "is not" for the copula).

Arguments are graph nodes; how they are chosen (and the mentions derived from them) is described
in :mod:`graphmem.extract._args`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from graphmem.extract._args import (
    _NOUN_POS,
    _TEMPORAL,
    Arg,
    _DocArgs,
)
from graphmem.extract._args import (
    PRONOUNS as PRONOUNS,  # noqa: PLC0414 - re-exported: imported from this module by the tests
)
from graphmem.types import Extraction

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

_RELATIVE = frozenset({"who", "whom", "whose", "which", "that"})
_PLACE = frozenset({"GPE", "LOC"})
_SUBJ = ("nsubj", "nsubjpass")
# Verbs whose coordinated subjects act on each other: "A and B got married" -> (a, marry, b).
_RECIPROCAL = frozenset({"marry", "wed", "divorce"})
_POSSESSIVE_PRONOUNS = frozenset({"its", "his", "her", "their", "our", "my", "your"})
# Light verbs: the object noun carries the meaning ("made a new home in Y", "took place in Y").
_LIGHT_VERBS = frozenset({"make", "take", "have", "give", "get", "start", "find", "hold"})


class _DocRules(_DocArgs):
    """One pass of the rules over one ``Doc``; collects arguments, mentions and triples."""

    __slots__ = ("verb_info",)

    def __init__(self, doc: Doc, resolve_pronouns: bool = False) -> None:
        super().__init__(doc, resolve_pronouns)
        # verb index -> (subject tokens, passive?) for conjunct/participle inheritance
        self.verb_info: dict[int, tuple[list[Token], bool]] = {}

    # ------------------------------------------------------------------ attributes

    def attribute(self, subjs: list[Arg], attr: Token, base: str, neg: bool) -> None:
        """Copula / apposition attribute: "X is (the) ATTR (of Y)" and "X, ATTR (of Y),".

        A relational attribute (a common noun with a prepositional object) yields
        (x, "noun prep", y); the plain (x, base, attr) triple is added when the attribute is not
        relational or carries descriptive modifiers (see the module docstring)."""
        if not subjs or attr.pos_ == "PRON":
            return
        is_pred = ("is not" if base == "is" else f"not {base}") if neg else base
        a = self.arg(attr)
        ent = self.ent_of.get(attr.i)
        # A named attribute is an identity ("X is King of Italy"), unless its prepositional
        # phrase lies outside the entity: "a medieval Bishop of Elmham" with NER on "Bishop" only.
        named = ent is not None and not any(
            c.dep_ == "prep" and c.lower_ == "of" and c.i >= ent.end for c in attr.children
        )
        if named or attr.pos_ not in _NOUN_POS:
            if a is not None:
                for s in subjs:
                    self.add(s, is_pred, a)
            return
        # (x, "capital of", y): the complement's via is the whole predicate
        if attr.pos_ == "NOUN" and attr.i not in self.ent_of:
            objs = self.complements(attr, subject=False)
        else:  # a proper noun read as a title ("King of Italy", NER on "Bishop" only)
            head_lemma = attr.lemma_.lower()
            objs = [
                y._replace(via=f"{head_lemma} {c.lower_}")
                for c in attr.children
                if c.dep_ == "prep"
                for y in self.args_of(g for g in c.children if g.dep_ == "pobj")
            ]
        self.add_all(subjs, "not" if neg else "", objs)
        if a is None:
            return
        if objs and not self._has_descriptive_modifier(attr, a):
            return
        for s in subjs:
            self.add(s, is_pred, a)

    # ------------------------------------------------------------------ clauses

    def _resolve_relative(self, verb: Token) -> list[Token]:
        """Antecedent of a relative clause: the modified noun, or for "X is a Y who ..." X."""
        head = verb.head
        if head.dep_ == "attr" and head.head.lemma_ == "be":
            subs = [c for c in head.head.children if c.dep_ in _SUBJ]
            if subs:
                return subs
        return [head]

    def subjects(self, verb: Token) -> tuple[list[Token], bool]:
        """Subject tokens of a verb and whether it is passive, inheriting when it has none."""
        if verb.i in self.verb_info:
            return self.verb_info[verb.i]
        subs: list[Token] = []
        passive = False
        for c in verb.children:
            if c.dep_ in _SUBJ:
                subs.append(c)
                passive = passive or c.dep_ == "nsubjpass"
            elif c.dep_ == "auxpass":
                passive = True
        dep = verb.dep_
        if not subs:
            # "Lambert (died after 938) was the son of ...": the small parser often reads the
            # parenthesis as a clausal subject owning the real subject; adopt that subject.
            doc = self.doc
            for c in verb.children:
                if c.dep_ == "csubj":
                    subs = [
                        g
                        for g in c.children
                        if g.dep_ == "nsubj"
                        and any(doc[j].text == "(" for j in range(g.i + 1, c.i))
                    ]
                    break
        if subs:
            if dep == "relcl" and all(s.lower_ in _RELATIVE for s in subs):
                subs = self._resolve_relative(verb)
        elif dep == "conj" and verb.head.pos_ in ("VERB", "AUX"):
            subs, head_passive = self.subjects(verb.head)
            passive = passive or (head_passive and verb.tag_ == "VBN")
        elif dep == "acl" and verb.head.pos_ in _NOUN_POS and verb.tag_ in ("VBN", "VBG"):
            subs, passive = [verb.head], verb.tag_ == "VBN"
        elif dep == "advcl" and verb.tag_ in ("VBN", "VBG") and verb.head.pos_ in ("VERB", "AUX"):
            subs = self.subjects(verb.head)[0]
            passive = verb.tag_ == "VBN"
        self.verb_info[verb.i] = (subs, passive)
        return subs, passive

    def verb(self, verb: Token) -> None:
        """All triples headed by one verb (or copula)."""
        subj_toks, passive = self.subjects(verb)
        if not subj_toks:
            return
        subjs = self.subjects_of(subj_toks)
        children = list(verb.children)
        neg = any(c.dep_ == "neg" for c in children)
        relational_subj = [t for t in subj_toks if self._is_relational(t)]
        if verb.lemma_ == "be" and not passive:
            self._copula(subjs, relational_subj, children, neg)
            return
        if not subjs:
            return
        prt = " ".join(c.lower_ for c in children if c.dep_ == "prt")
        lemma = verb.lemma_.lower()
        active = f"{lemma} {prt}" if prt else lemma
        base = f"{verb.lower_} {prt}" if passive and prt else (verb.lower_ if passive else active)
        if neg:
            base, active = f"not {base}", f"not {active}"
        own = self._own_noun(children, lemma in _LIGHT_VERBS)
        if lemma in _RECIPROCAL and not any(c.dep_ == "dobj" for c in children):
            self._reciprocal(subj_toks, active)
        for c in children:
            dep = c.dep_
            if dep == "dobj" or (dep == "npadvmod" and self._is_date(c)):
                objs = self.objects([c])
                self.add_all(subjs, base, objs)
                # "met Merkel in Berlin": a non-"of" PP on a proper-name object is the verb's.
                if c.i in self.ent_of or c.pos_ == "PROPN":
                    for p in c.children:
                        if p.dep_ == "prep" and p.lower_ != "of":
                            self.add_all(subjs, f"{base} {p.lower_}", self.prep_objects(p))
            elif dep == "agent" and passive:
                # the agent is the subject and the patient the object of the active verb
                agents = self.subjects_of(g for g in c.children if g.dep_ == "pobj")
                self.add_all(agents, active, self.objects(subj_toks))
            elif dep == "prep" or (dep == "dative" and c.pos_ == "ADP"):
                self.add_all(subjs, f"{base}{own} {c.lower_}", self.prep_objects(c))
                if c.lower_ == "as":  # "succeeded X as CEO of Y": the subject is CEO of Y
                    for role in (g for g in c.children if g.dep_ == "pobj"):
                        if any(p.dep_ == "prep" and p.lower_ == "of" for p in role.children):
                            self.attribute(subjs, role, "is", neg)
            elif dep == "attr" and not passive:  # "X became the king of Y"
                self.attribute(subjs, c, lemma, neg)
            elif dep == "oprd" and passive:  # "X was renamed Y", "X is called Y"
                self.add_all(subjs, base, self.objects([c]))

    def _own_noun(self, children: list[Token], light: bool) -> str:
        """" noun" when the verb's object is a common noun that the verb's prepositional objects
        belong with: one the subject owns ("changed its name to Y", "moved its headquarters to
        Y": "move to" would say where the subject itself went) or the object of a ``light`` verb
        ("made a new home in Y", "took a job at Y"); else "". The noun then joins the predicate
        of those objects ("change name to", "make home in")."""
        for c in children:
            if c.dep_ != "dobj" or c.pos_ != "NOUN" or c.i in self.ent_of:
                continue
            if light or any(
                g.dep_ == "poss" and g.lower_ in _POSSESSIVE_PRONOUNS for g in c.children
            ):
                return f" {c.lemma_.lower()}"
        return ""

    def _reciprocal(self, subj_toks: list[Token], pred: str) -> None:
        """(a, pred, b) for coordinated subjects of a reciprocal verb: "A and B got married"."""
        for tok in subj_toks:
            conj = tok.conjuncts
            if not conj:
                continue
            first = self.arg(self._named_appositive(tok))
            if first is None:
                continue
            for other in self.args_of(conj):
                self.add(first, pred, other)

    def _copula(
        self, subjs: list[Arg], relational_subj: list[Token], children: list[Token], neg: bool
    ) -> None:
        """Copula: "X is (the) Y (of Z)", "X is famous for Y", "X is in Y", "The N of Y is X"."""
        attrs = [a for c in children if c.dep_ == "attr" for a in (c, *c.conjuncts)]
        acomps = [c for c in children if c.dep_ == "acomp"]
        for attr in attrs:
            if relational_subj and (attr.i in self.ent_of or attr.pos_ == "PROPN"):
                # "The capital of France is Paris" -> (paris, capital of, france)
                self.attribute(self.args_of([attr]), relational_subj[0], "is", neg)
            else:
                self.attribute(subjs, attr, "is", neg)
        for acomp in acomps:
            adj = acomp.lemma_.lower()
            for p in acomp.children:
                if p.dep_ == "prep":
                    pred = f"{adj} {p.lower_}"
                    self.add_all(subjs, f"not {pred}" if neg else pred, self.prep_objects(p))
        if not attrs and not acomps:
            base = "is not" if neg else "is"
            for c in children:
                if c.dep_ == "prep":
                    self.add_all(subjs, f"{base} {c.lower_}", self.prep_objects(c))

    def _is_relational(self, tok: Token) -> bool:
        """A common noun with a prepositional complement or a named possessor ("the capital of
        France", "France's capital")."""
        return (
            tok.i not in self.ent_of
            and tok.pos_ in _NOUN_POS
            and any(c.dep_ == "prep" or self._is_genitive_relation(tok, c) for c in tok.children)
        )

    def _is_date(self, tok: Token) -> bool:
        ent = self.ent_of.get(tok.i)
        return ent is not None and ent.label_ == "DATE"

    def apposition(self, tok: Token) -> None:
        """ "X, Y, ..." where Y (``tok``) is an appositive of X."""
        head = tok.head
        x_ent, y_ent = head.i in self.ent_of, tok.i in self.ent_of
        if not y_ent and tok.pos_ in _NOUN_POS:
            # "Paris, the capital of France" / "Hugh, King of Italy"; two common nouns
            # ("the son, Lothair") describe each other and give no named node.
            x = self.arg(head) if (x_ent or head.pos_ == "PROPN") else None
            if x is not None:
                self.attribute([x], tok, "is", neg=False)
        elif y_ent and not x_ent and head.pos_ == "NOUN":
            y = self.arg(tok)
            if y is not None:
                self.attribute([y], head, "is", neg=False)
        elif x_ent and y_ent:
            lx, ly = self.ent_of[head.i].label_, self.ent_of[tok.i].label_
            if (lx in _PLACE and ly in _PLACE) or lx in _TEMPORAL or ly in _TEMPORAL:
                return  # "Paris, France" is an address and "Bertha (863-925)" a lifespan
            x, y = self.arg(head), self.arg(tok)
            if x is not None and y is not None:
                self.add(x, "is", y)

    # ------------------------------------------------------------------ driver

    def run(self) -> Extraction:
        for tok in self.doc:
            pos = tok.pos_
            if pos == "VERB" or (pos == "AUX" and tok.dep_ not in ("aux", "auxpass")):
                self.verb(tok)
            elif tok.dep_ == "appos":
                self.apposition(tok)
        return Extraction(mentions=self._mentions(), triples=tuple(self.triples))


def extract_from_doc(doc: Doc, resolve_pronouns: bool = False) -> Extraction:
    """Mentions and triples of one parsed passage (see the module docstring for the rules).
    With ``resolve_pronouns``, he/she/him stand for the passage's first named person."""
    return _DocRules(doc, resolve_pronouns).run()
