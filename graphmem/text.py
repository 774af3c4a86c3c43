"""Unicode-safe text handling: entity-name normalisation and a script-aware word tokenizer.

Nothing here strips non-ASCII characters: ``"München"`` normalises to ``"münchen"`` and CJK text
survives. Case folding uses :meth:`str.casefold` after NFKC so that compatibility forms
(full-width letters, ligatures) compare equal. Control characters (Unicode category ``Cc``: C0,
DEL and C1) never belong in a name and are dropped; :func:`printable` shows them escaped.

Combining marks (categories Mn, Mc, Me: Indic vowel signs and viramas, Arabic harakat, the
accents of decomposed Latin, Greek and Cyrillic, kana voicing marks) are not letters to
:mod:`re`, so a plain ``\\w+`` cuts "हिन्दी" and NFD "Jose\\u0301" apart. The tokenizer keeps
every mark with the character before it, so the NFC and NFD spellings of a text split into
the same tokens (equal once normalised) at offsets of the text as given.
"""

from __future__ import annotations

import functools
import re
import unicodedata

# Ideographic and kana/hangul syllabic scripts are written without spaces; each character is a
# token there, which keeps token counts (and so chunk sizes) meaningful for CJK text. Conjoining
# hangul jamo are listed so that they never join a run of letters: a syllable written as jamo
# (the NFD form of every hangul syllable) is matched whole by _HANGUL instead.
_CJK = (
    "\u1100-\u11ff\ua960-\ua97f\ud7b0-\ud7ff"  # conjoining hangul jamo
    "\u3040-\u30ff"  # hiragana, katakana
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # CJK ideographs (BMP)
    "\uac00-\ud7af"  # hangul syllables
    "\U00020000-\U0003ffff"  # CJK ideographs beyond the BMP (extensions B-H, compatibility)
)
# One hangul syllable: precomposed, or the modern leading consonant + vowel (+ trailing
# consonant) jamo that NFC composes into one; other jamo stay single characters in both forms.
_HANGUL = "[\uac00-\ud7a3]|[\u1100-\u1112][\u1161-\u1175][\u11a8-\u11c2]?"
# Planes holding combining marks (0, 1 and 14, the variation selectors supplement): scanning
# them takes ~12 ms, done once, on the first tokenisation.
_MARK_PLANES = ((0x0000, 0x20000), (0xE0000, 0xE1000))
_ZERO_WIDTH_JOINERS = "\u200c\u200d"  # ZWNJ/ZWJ: inside Indic and Persian words
_SPACE_RE = re.compile(r"\s+", re.UNICODE)
# Unicode category Cc is exactly C0 (U+0000-U+001F), DEL (U+007F) and C1 (U+0080-U+009F).
_CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f]")
# What a terminal must not receive raw: controls (escape sequences start with ESC or C1 CSI),
# bidirectional embeddings/overrides/isolates (they reorder the rest of the line) and lone
# surrogates (not encodable: writing one raises UnicodeEncodeError).
_UNPRINTABLE_RE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_SHORT_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}
# Punctuation trimmed off the edges of a name; punctuation inside stays ("AT&T", "O'Neil",
# "Jean-Luc", "3.5"). Brackets and quotes are trimmed only as described in _trim_edges.
_EDGE_PUNCT = ".,;:!?¡¿…、。，；：！？·-–—।॥،؛؟۔"  # with Devanagari danda, Arabic comma/stops
_BRACKETS = "()[]{}<>（）［］｛｝「」『』【】〈〉《》〔〕"  # opening, closing, opening, ...
_OPENING = dict(zip(_BRACKETS[::2], _BRACKETS[1::2]))
_CLOSING = {close: open_ for open_, close in _OPENING.items()}
# Quotation marks, paired by position (an opening one first, a closing one last) rather than by
# shape, since languages pair them differently (“…”, „…“, »…«, «…»).
_QUOTES = frozenset("\"'`“”‘’«»„‚‹›")


@functools.cache
def _token_re() -> re.Pattern[str]:
    """The tokenizer's pattern, built on first use (the mark class needs a scan of Unicode).

    Alternatives, tried in order: a hangul syllable; one CJK character; a run of letters/digits
    (anything ``\\w`` but CJK) and marks; one other non-space character. Each takes the marks
    that follow it, so no mark is ever a token of its own unless it follows a space.
    """
    category = unicodedata.category
    marks = [
        c for lo, hi in _MARK_PLANES for c in range(lo, hi) if category(chr(c)).startswith("M")
    ]
    bmp = _char_class([c for c in marks if c < 0x10000])
    astral = _char_class([c for c in marks if c >= 0x10000])
    # re tests a class holding ranges beyond U+FFFF range by range (4x slower on English text
    # than the old tokenizer); the BMP marks go in one fast class, and the rest are looked at
    # only for a character beyond the BMP (1.75x the old tokenizer's time, ~13 MB/s).
    mark = rf"(?:[{bmp}]|(?=[\U00010000-\U0010ffff])[{astral}])"
    inner = rf"(?:[{bmp}{_ZERO_WIDTH_JOINERS}]|(?=[\U00010000-\U0010ffff])[{astral}])"
    letters = rf"[^\W{_CJK}]+"  # runs, not single characters
    word = rf"(?:{letters}|{mark})(?:{letters}|{inner}+)*"
    return re.compile(
        rf"(?:{_HANGUL}){mark}*|[{_CJK}]{mark}*|{word}|(?!{mark})[^\w\s]{mark}*", re.UNICODE
    )


def _char_class(code_points: list[int]) -> str:
    """The inside of a regex character class matching exactly ``code_points`` (sorted)."""
    ranges: list[str] = []
    start = prev = code_points[0]
    for c in [*code_points[1:], -1]:
        if c != prev + 1:
            tail = "" if prev == start else "-" + re.escape(chr(prev))
            ranges.append(re.escape(chr(start)) + tail)
            start = c
        prev = c
    return "".join(ranges)


def normalize_name(text: str) -> str:
    """Canonical form of an entity or phrase name.

    NFKC, case-folded (and put back in NFKC, which folding can leave: "ΐ" folds to a decomposed
    form), whitespace collapsed (control characters that are line or field breaks, such as
    tab, newline or NEL, count as whitespace), other control characters dropped, surrounding
    punctuation trimmed. Brackets and quotes at the edges go only when they enclose the whole
    name or have no partner in it, so "Salt Lantern (novel)" keeps its bracket. Internal
    punctuation is kept because it often carries meaning ("AT&T", "C++"); format characters
    such as the zero-width joiner are kept because Indic scripts and emoji sequences need them.
    Canonically equivalent spellings (NFC and NFD) give the same name.

    >>> normalize_name("  München ")
    'münchen'
    >>> normalize_name("“The Beatles”")
    'the beatles'
    >>> normalize_name("Salt Lantern (novel)")
    'salt lantern (novel)'
    >>> normalize_name("Lon\\x00don")
    'london'
    """
    text = _SPACE_RE.sub(" ", text)
    if _CONTROL_RE.search(text):  # dropped before normalising: "a\x96\u0301" is "á"
        text = _CONTROL_RE.sub("", text)
    text = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return _trim_edges(_SPACE_RE.sub(" ", text))


def _trim_edges(text: str) -> str:
    """``text`` without edge spaces and edge punctuation; an edge bracket or quote goes when it
    pairs with the opposite edge (it encloses everything) or has no partner inside, and then
    trimming goes on ("((x))" → "x", "“Beatles”," → "beatles", "x (y)" stays)."""
    while True:
        text = text.strip(_EDGE_PUNCT + " ")
        if not text:
            return text
        first, last = text[0], text[-1]
        if len(text) >= 2 and _encloses(text):
            text = text[1:-1]
        elif last in _CLOSING and _partner(text, len(text) - 1) is None:
            text = text[:-1]
        elif first in _OPENING and _partner(text, 0) is None:
            text = text[1:]
        elif last in _QUOTES and not any(c in _QUOTES for c in text[:-1]):
            text = text[:-1]
        elif first in _QUOTES and not any(c in _QUOTES for c in text[1:]):
            text = text[1:]
        else:
            return text


def _encloses(text: str) -> bool:
    """Whether the first and last characters are a bracket pair around the whole text (the
    opening one closes at the very end) or a pair of quotes with no other quote between them."""
    first, last = text[0], text[-1]
    if first in _OPENING:
        return _OPENING[first] == last and _partner(text, 0) == len(text) - 1
    return first in _QUOTES and last in _QUOTES and not any(c in _QUOTES for c in text[1:-1])


def _partner(text: str, i: int) -> int | None:
    """Position of the bracket matching the one at ``i`` (nesting counted), or None."""
    c = text[i]
    if c in _OPENING:
        close, step, stop = _OPENING[c], 1, len(text)
    else:
        close, step, stop = _CLOSING[c], -1, -1
    depth = 0
    for j in range(i, stop, step):
        if text[j] == c:
            depth += 1
        elif text[j] == close:
            depth -= 1
            if depth == 0:
                return j
    return None


def printable(text: str) -> str:
    """``text`` safe to write to a terminal: control characters, bidirectional overrides and
    lone surrogates shown as escapes (``\\x1b``, ``\\n``, ``\\u202e``, ``\\ud800``); everything
    else, in any script, unchanged.

    Stored text is whatever the input held; written raw, an ANSI sequence in a passage could
    clear the screen or recolour and fake the output around it.

    >>> printable("red \\x1b[31mtext")
    'red \\\\x1b[31mtext'
    """
    return _UNPRINTABLE_RE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    c = match.group()
    if c in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[c]
    return f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}"


def tokenize(text: str) -> list[str]:
    """Split into word tokens: runs of letters/digits with their combining marks, single
    punctuation marks, single CJK characters (a hangul syllable, NFC or NFD, is one).

    >>> tokenize("Tokyo (東京) is big.")
    ['Tokyo', '(', '東', '京', ')', 'is', 'big', '.']
    >>> tokenize("हिन्दी भाषा")
    ['हिन्दी', 'भाषा']
    """
    return _token_re().findall(text)


def token_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of :func:`tokenize`'s tokens in ``text`` as given (not normalised), for
    cutting text without losing its spacing."""
    return [m.span() for m in _token_re().finditer(text)]


def is_word(token: str) -> bool:
    """Whether a token holds a letter or digit (a word, not punctuation or a stray mark)."""
    return any(c.isalnum() for c in token)
