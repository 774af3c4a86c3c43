from graphmem.text import normalize_name, tokenize


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
