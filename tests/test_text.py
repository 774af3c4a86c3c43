from graphmem.text import normalize_name, printable, tokenize


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
