"""`graphmem add-conversation`: a turns .jsonl into a memory (one real memory, built once)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from click.testing import CliRunner

from graphmem import Memory
from graphmem.cli import main

LINES = [
    {"speaker": "Melanie", "text": "Did you go to the Pride parade in Dublin?", "id": "t1",
     "session": "s1", "session_time": "2023-05-08T13:56:00Z"},
    {"speaker": "Caroline", "text": "Yes, I did!", "id": "t2", "session": "s1",
     "session_time": "2023-05-08T13:56:00Z"},
]


def write(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_add_conversation_cli(tmp_path):
    turns = write(tmp_path / "turns.jsonl", LINES)
    store = tmp_path / "mem"
    runner = CliRunner()
    r = runner.invoke(main, ["add-conversation", str(turns), "--store", str(store), "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout) == {"added": 2, "ids": ["t1", "t2"]}
    r = runner.invoke(main, ["documents", "--store", str(store), "--json"])
    listed = {d["id"]: d["metadata"] for d in json.loads(r.stdout)["documents"]}
    assert {k: {m: v for m, v in meta.items() if m != "time"} for k, meta in listed.items()} == {
        "t1": {"speaker": "Melanie", "session": "s1"},
        "t2": {"speaker": "Caroline", "session": "s1"},
    }
    r = runner.invoke(main, ["add-conversation", str(turns), "--store", str(store)])
    assert r.exit_code == 0, r.output
    assert r.stdout == f"{turns}: 2 turns in {store}\n"  # stored unchanged: skipped
    r = runner.invoke(main, ["add-conversation", str(turns), "--store", str(store),
                             "--namespace", "u1", "--window", "0"])
    assert r.exit_code == 0, r.output
    with Memory(store) as mem:
        assert mem.namespaces() == ["default", "u1"]
        docs = {d.doc_id: d for d in mem.documents(namespace="u1")}
        assert docs["t2"].time == datetime(2023, 5, 8, 13, 56, tzinfo=timezone.utc).timestamp()
        assert docs["t2"].passages == 1


def test_add_conversation_cli_bad_line(tmp_path):
    turns = write(tmp_path / "turns.jsonl", [LINES[0], {"speaker": "B", "id": "t9"}])
    r = CliRunner().invoke(main, ["add-conversation", str(turns), "--store", str(tmp_path / "m")])
    assert r.exit_code == 1
    assert r.output == f"error: {turns}:2: missing field 'text'\n"
    assert not (tmp_path / "m").exists()  # nothing opened, nothing created
