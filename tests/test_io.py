"""graphmem.io.read_documents on poison input: the same validation as Memory.add, an
InputError naming file and line, never a RecursionError or a document with a coerced id."""

from __future__ import annotations

import pytest

from graphmem import InputError, read_documents


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"id": true, "text": "x"}', ':2: "id" must be a string (or an integer), got true'),
        ('{"id": 1.5, "text": "x"}', ':2: "id" must be a string (or an integer), got 1.5'),
        (
            '{"text": "x", "metadata": ' + '{"m": ' * 3000 + "1" + "}" * 3000 + "}",
            ":2: JSON nested too deeply to decode (metadata may be at most 32 levels deep)",
        ),
        ('{"text": "x", "metadata": {"v": -Infinity}}', ':2: metadata["v"] is -inf: only finite numbers are allowed'),
        (
            '{"text": "x \\udc00"}',
            (":2: text contains a lone surrogate (\\udc00 at character 2), which is not valid "
            "Unicode"),
        ),
    ],
)
def test_read_documents_refuses_poison_records(tmp_path, line: str, message: str) -> None:
    f = tmp_path / "c.jsonl"
    f.write_text('{"id": 7, "text": "fine"}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_documents(f)
    assert str(err.value) == f"{f}{message}"


def test_read_documents_json_list_too_deep(tmp_path) -> None:
    f = tmp_path / "c.json"
    f.write_text("[" * 5000 + "]" * 5000, encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_documents(f)
    assert str(err.value) == (
        f"{f}: JSON nested too deeply to decode (metadata may be at most 32 levels deep)"
    )


def test_integer_ids_stay_accepted(tmp_path) -> None:
    f = tmp_path / "c.jsonl"
    f.write_text('{"id": 7, "text": "fine"}\n', encoding="utf-8")
    assert [d.id for d in read_documents(f)] == ["7"]
