import itertools
import random
import unicodedata

import pytest

from graphmem.text import normalize_name, printable, token_spans, tokenize


def test_normalize_keeps_non_ascii():
    assert normalize_name("München") == "münchen"
    assert normalize_name("  Zoë   Ångström ") == "zoë ångström"
    assert normalize_name("東京タワー") == "東京タワー"
    assert normalize_name("Ｍünchen") == "münchen"  # full-width M folds via NFKC


def test_normalize_trims_edge_punctuation_only():
    assert normalize_name("“The Beatles”,") == "the beatles"
    assert normalize_name("AT&T") == "at&t"
    assert normalize_name("(C++)") == "c++"
    assert normalize_name("STRASSE") == normalize_name("Straße")  # casefold, not lower


def test_tokenize_scripts():
    assert tokenize("Tokyo (東京) is big.") == ["Tokyo", "(", "東", "京", ")", "is", "big", "."]
    assert tokenize("Léonie Åberg's") == ["Léonie", "Åberg", "'", "s"]
    assert tokenize("") == []


def test_normalize_drops_control_characters_in_any_script():
    assert normalize_name("Lon\x00don") == "london"
    assert normalize_name("\x1b[31mRed\x1b[0m Army") == "31mred[0m army"  # "[" is edge punctuation
    assert normalize_name("Mün\x85chen\x9b") == "mün chen"  # NEL is a line break: a space
    assert normalize_name("東京\x07タワー") == "東京タワー"
    assert normalize_name("Ada\tLovelace\r\n") == "ada lovelace"
    assert normalize_name("\x00\x01\x7f") == ""
    # zero-width joiners are not control characters: they carry meaning in Indic and emoji text
    assert normalize_name("क्\u200dष") == "क्\u200dष"


def test_printable_escapes_control_characters_for_a_terminal():
    assert printable("plain München 東京") == "plain München 東京"
    assert printable("\x1b[2J\x1b[31mred\x07") == "\\x1b[2J\\x1b[31mred\\x07"
    assert printable("line\nnext\ttab\rback") == "line\\nnext\\ttab\\rback"
    assert printable("\x9b1m C1 \x7f") == "\\x9b1m C1 \\x7f"
    assert printable("abc\u202edcba") == "abc\\u202edcba"  # bidi override: reorders the line
    assert printable("lone \ud800") == "lone \\ud800"  # could not even be written to stdout


# ---- combining marks, NFC/NFD and many scripts (issue 11, "Unicode") --------------------------


SCRIPTS = {
    # text: its tokens (NFC)
    "devanagari": ("हिन्दी साहित्य सम्मेलन", ["हिन्दी", "साहित्य", "सम्मेलन"]),
    "tamil": ("தமிழ் நாடு அரசு", ["தமிழ்", "நாடு", "அரசு"]),
    "latin accents": ("José Martí, Łódź", ["José", "Martí", ",", "Łódź"]),
    "vietnamese": ("Nguyễn Thị Minh Khai", ["Nguyễn", "Thị", "Minh", "Khai"]),
    "greek": ("Ῥόδος και Ἀθῆναι", ["Ῥόδος", "και", "Ἀθῆναι"]),
    "cyrillic": ("Йо́шкар-Ола́ и Ёлкино", ["Йо́шкар", "-", "Ола́", "и", "Ёлкино"]),
    "arabic": ("العَرَبِيَّة في مِصْر", ["العَرَبِيَّة", "في", "مِصْر"]),
    "hebrew": ("יְרוּשָׁלַיִם", ["יְרוּשָׁלַיִם"]),
    "japanese": ("ガンダムが好き", ["ガ", "ン", "ダ", "ム", "が", "好", "き"]),
    "korean": ("한국어 사전", ["한", "국", "어", "사", "전"]),
    "chinese beyond the BMP": ("𠮷野家", ["𠮷", "野", "家"]),
    "persian zwnj": ("می\u200cخواهم", ["می\u200cخواهم"]),
}


@pytest.mark.parametrize("name", SCRIPTS)
def test_marks_stay_in_their_word_in_every_script(name):
    text, tokens = SCRIPTS[name]
    assert tokenize(text) == tokens
    nfd = unicodedata.normalize("NFD", text)
    # the decomposed spelling splits the same way; its tokens are slices of the NFD string
    assert [unicodedata.normalize("NFC", t) for t in tokenize(nfd)] == tokens
    assert [nfd[a:b] for a, b in token_spans(nfd)] == tokenize(nfd)


def test_a_decomposed_accent_is_part_of_its_word():
    assert tokenize("Jose\u0301 Marti\u0301") == ["Jose\u0301", "Marti\u0301"]
    assert token_spans("Jose\u0301 Marti\u0301") == [(0, 5), (6, 12)]
    assert tokenize("हिन्दी") == ["हिन्दी"]  # ends in a vowel sign (Mc), was cut off before
    assert tokenize("a \u0301b") == ["a", "\u0301b"]  # a mark after a space opens a token
    assert tokenize("=\u0338 x") == ["=\u0338", "x"]  # NFD of "≠": one symbol


@pytest.mark.parametrize("name", SCRIPTS)
def test_normalize_name_is_the_same_for_nfc_and_nfd(name):
    text, _ = SCRIPTS[name]
    for form in ("NFD", "NFKD"):
        assert normalize_name(unicodedata.normalize(form, text)) == normalize_name(text)
    assert normalize_name(normalize_name(text)) == normalize_name(text)


def test_normalize_name_exact_values_in_several_scripts():
    assert normalize_name("Jose\u0301 Marti\u0301") == "josé martí"
    assert normalize_name("ΐ") == "\u0390"  # casefold decomposes it; the name is recomposed
    assert normalize_name("Ῥόδος") == "ῥόδοσ"  # casefold: final sigma folds to σ
    assert normalize_name("ЁЛКИНО") == "ёлкино"
    assert normalize_name("हिन्दी।") == "हिन्दी"  # the danda ends a sentence
    assert normalize_name("مِصْر؟") == "مِصْر"
    assert normalize_name("「東京タワー」") == "東京タワー"
    assert normalize_name("ｶﾞﾝﾀﾞﾑ") == "ガンダム"  # half-width katakana and voicing mark, NFKC


@pytest.mark.parametrize(
    ("name", "normalized"),
    [
        ("Salt Lantern (novel)", "salt lantern (novel)"),
        ("The Salt Lantern (1999 film)", "the salt lantern (1999 film)"),
        ("(C++)", "c++"),
        ("((x))", "x"),
        ("[Salt Lantern (novel)]", "salt lantern (novel)"),
        ("(a) and (b)", "(a) and (b)"),  # first and last bracket are not one pair
        ("Salt Lantern (novel", "salt lantern (novel"),  # the inner "(" is not at an edge
        ("Beatles)", "beatles"),
        ("(Beatles", "beatles"),
        ("Beatles),", "beatles"),
        ("“The Beatles”,", "the beatles"),
        ("„Faust“", "faust"),
        ("«Война и мир»", "война и мир"),
        ("‘Salt’ Lantern", "‘salt’ lantern"),  # the quotes pair inside the name
        ("James'", "james"),
        ("'n'", "n"),
        ("O'Neil", "o'neil"),
        ("[1]", "1"),
        ("()", ""),
        ("「東京」(Tokyo)", "「東京」(tokyo)"),
    ],
)
def test_normalize_name_keeps_balanced_brackets(name, normalized):
    assert normalize_name(name) == normalized
    assert normalize_name(normalized) == normalized


def _random_text(rng: random.Random) -> str:
    """Short strings heavy in what normalisation can recompose: marks, jamo, kana, symbols."""
    pool = [
        "a", "e", "A", "I", "=", "(", ")", " ", "\u0301", "\u0308", "\u0338", "\u0345",
        "\u093f", "\u094d", "\u0915", "\u3099", "\u304b", "\u30ab", "\u1100", "\u1112",
        "\u1113", "\u1161", "\u1176", "\u11a8", "\u11c3", "\uac00", "\uac01", "\u200d",
        "\u0399", "\u1f80", "\x96", "\u00a8", "東",
    ]
    return "".join(rng.choice(pool) for _ in range(rng.randrange(1, 10)))


def test_nfc_and_nfd_tokenise_alike_on_random_text():
    rng = random.Random(11)
    for _ in range(3000):
        text = _random_text(rng)
        nfc, nfd = (unicodedata.normalize(f, text) for f in ("NFC", "NFD"))
        assert [unicodedata.normalize("NFC", t) for t in tokenize(nfd)] == tokenize(nfc), text
        for form in (text, nfc, nfd):
            spans = token_spans(form)
            assert [form[a:b] for a, b in spans] == tokenize(form)
            assert all(not form[b:a].strip() for (_, b), (a, _) in itertools.pairwise(spans))
        assert normalize_name(nfc) == normalize_name(nfd), text
        assert normalize_name(normalize_name(text)) == normalize_name(text), text
