"""The door every document passes: graphmem.validate (pure functions, no models)."""

from __future__ import annotations

import math

import pytest

from graphmem.errors import InputError
from graphmem.types import Document
from graphmem.validate import (
    MAX_METADATA_DEPTH,
    metadata_problem,
    text_problem,
    validate_document,
)


def nested(depth: int, leaf: object = 1) -> dict:
    """``{"a": {"a": ... leaf}}`` with ``depth`` mappings, built without recursion."""
    value: object = leaf
    for _ in range(depth):
        value = {"a": value}
    assert isinstance(value, dict)
    return value


@pytest.mark.parametrize(
    ("metadata", "problem"),
    [
        ({"a": [1, 2, 3, math.nan]}, 'metadata["a"][3] is nan: only finite numbers are allowed'),
        ({"x": math.inf}, 'metadata["x"] is inf: only finite numbers are allowed'),
        ({"x": {"y": -math.inf}}, 'metadata["x"]["y"] is -inf: only finite numbers are allowed'),
        ({3: "x"}, "metadata has a non-string key 3 (int): keys must be strings"),
        ({"a": {(1, 2): "x"}}, 'metadata["a"] has a non-string key (1, 2) (tuple): keys must be strings'),
        (
            {"s": {1, 2}},
            ('metadata["s"] is set, not a JSON value (string, finite number, boolean, null, '
            "list or object)"),
        ),
        (
            {"b": [b"raw"]},
            ('metadata["b"][0] is bytes, not a JSON value (string, finite number, boolean, null, '
            "list or object)"),
        ),
        (
            {"k": "ok \ud800 here"},
            ('metadata["k"] contains a lone surrogate (\\ud800 at character 3), which is not '
            "valid Unicode"),
        ),
        (
            {"\udc80": 1},
            ('key "\\udc80" of metadata contains a lone surrogate (\\udc80 at character 0), '
            "which is not valid Unicode"),
        ),
        (
            {"a\x1b[31m": {"\ud800x": 1}},
            ('key "\\ud800x" of metadata["a\\x1b[31m"] contains a lone surrogate (\\ud800 at '
            "character 0), which is not valid Unicode"),
        ),
        (
            nested(MAX_METADATA_DEPTH + 1),
            'metadata["a"]["a"]["a"]...["a"] (level 33) is nested deeper than 32 levels',
        ),
        (
            nested(5000),
            'metadata["a"]["a"]["a"]...["a"] (level 33) is nested deeper than 32 levels',
        ),
        (
            {"l": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]},
            'metadata["l"][0][0]...[0] (level 33) is nested deeper than 32 levels',
        ),
    ],
)
def test_metadata_problems_name_the_path(metadata: object, problem: str) -> None:
    assert metadata_problem(metadata) == problem


def test_metadata_of_json_values_up_to_the_depth_limit_is_fine() -> None:
    assert metadata_problem({}) is None
    assert metadata_problem(nested(MAX_METADATA_DEPTH)) is None
    assert metadata_problem(
        {"s": "München 東京", "i": 10**30, "f": -1.5e300, "t": True, "n": None, "l": [1, "x", []]}
    ) is None
    assert metadata_problem({"t": (1, 2)}) is None  # a tuple is stored as a JSON list


def test_shared_subtrees_are_not_cycles_and_a_cycle_is_bounded() -> None:
    leaf = {"x": 1}
    assert metadata_problem({"a": leaf, "b": leaf}) is None
    loop: dict = {}
    loop["self"] = loop
    assert metadata_problem(loop) == (
        'metadata["self"]["self"]["self"]...["self"] (level 33) is nested deeper than 32 levels'
    )


def test_a_long_key_is_shortened_in_the_message() -> None:
    problem = metadata_problem({"k" * 500: math.nan})
    assert problem == f'metadata["{"k" * 40}..."] is nan: only finite numbers are allowed'


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("fine", None),
        ("Zoë 東京 \u200d emoji 👩\u200d💻", None),
        ("   ", "text is empty"),
        ("\u200b\u200d\x01", "text is empty: only control or zero-width characters"),
        ("\ufeff\u2060 \x00\x7f\x9f", "text is empty: only control or zero-width characters"),
        ("ab\ud800", "text contains a lone surrogate (\\ud800 at character 2), which is not valid Unicode"),
        ("\udfff", "text contains a lone surrogate (\\udfff at character 0), which is not valid Unicode"),
        (42, "text must be str, got int"),
    ],
)
def test_text_problems(value: object, problem: str | None) -> None:
    assert text_problem(value) == problem


def test_validate_document_names_the_source_and_field() -> None:
    def error(doc: Document) -> str:
        with pytest.raises(InputError) as err:
            validate_document(doc, "add() item 3")
        return str(err.value)

    assert error(Document(text="x", title="T\ud800")) == (
        "add() item 3: title contains a lone surrogate (\\ud800 at character 1), which is not "
        "valid Unicode"
    )
    assert error(Document(text="x", id="\ud800")) == (
        "add() item 3: id contains a lone surrogate (\\ud800 at character 0), which is not "
        "valid Unicode"
    )
    assert error(Document(text="x", id=True)) == (  # type: ignore[arg-type]
        "add() item 3: id must be a non-empty string, got True"
    )
    assert error(Document(text="x", id="  ")) == "add() item 3: id must be a non-empty string, got '  '"
    assert error(Document(text="x", title=7)) == "add() item 3: title must be str, got int"  # type: ignore[arg-type]
    assert error(Document(text="x", metadata=[1])) == (  # type: ignore[arg-type]
        "add() item 3: metadata must be a mapping, got list"
    )
    assert error(Document(text="x", metadata={"v": math.nan})) == (
        'add() item 3: metadata["v"] is nan: only finite numbers are allowed'
    )
    with pytest.raises(InputError) as err:
        validate_document(Document(text="\u200b"), "c.jsonl", 7)
    assert str(err.value) == "c.jsonl:7: text is empty: only control or zero-width characters"
    assert (err.value.source, err.value.line) == ("c.jsonl", 7)


def test_a_valid_document_is_returned_unchanged() -> None:
    doc = Document(text="Ada was born in London.", id="ada", title="Ada", metadata={"k": [1.5]})
    assert validate_document(doc, "add() item 0") is doc


def test_query_problems() -> None:
    from graphmem.validate import query_problem

    assert query_problem("Where was Ada born?") is None
    assert query_problem("हिन्दी कहाँ बोली जाती है?") is None
    assert query_problem("\U0001f600 emoji is a valid pair") is None
    assert query_problem("a \ud800 b") == (
        "query contains a lone surrogate (\\ud800 at character 2), which is not valid Unicode"
    )
    assert query_problem("   ") == "query is empty"
    assert query_problem(3) == "query must be str, got int"
