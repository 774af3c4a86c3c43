"""Group commit of adds (graphmem.server.batching) over a fake writer: no models, no process."""

from __future__ import annotations

import asyncio
import threading

import pytest

from graphmem.errors import ConflictError
from graphmem.server.batching import AddBatch, run_batch
from graphmem.server.service import MemoryService
from graphmem.types import Document


class FakeWriter:
    """Records each add call; refuses any document whose text says so."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []
        self.gate = threading.Event()
        self.gate.set()

    def add(self, docs, source="add()"):
        self.gate.wait(10)
        self.calls.append([d.id for d in docs])
        if any("refuse" in d.text for d in docs):
            raise ConflictError("refused")
        return [d.id for d in docs]


def doc(i: str, text: str = "text") -> Document:
    return Document(f"{text} {i}", id=i)


def test_one_call_answers_each_request_with_its_ids():
    batch, writer = AddBatch(max_docs=100), FakeWriter()
    first = batch.append([doc("a"), doc("b")], "s", {"a", "b"})
    second = batch.append([doc("c")], "s", {"c"})
    run_batch(writer, batch)  # type: ignore[arg-type]
    assert writer.calls == [["a", "b", "c"]]
    assert first.result() == ["a", "b"] and second.result() == ["c"]


def test_a_failed_batch_runs_each_request_alone():
    batch, writer = AddBatch(max_docs=100), FakeWriter()
    good = batch.append([doc("a")], "s", {"a"})
    bad = batch.append([doc("b", "refuse")], "s", {"b"})
    run_batch(writer, batch)  # type: ignore[arg-type]
    assert writer.calls == [["a", "b"], ["a"], ["b"]]
    assert good.result() == ["a"]
    with pytest.raises(ConflictError):
        bad.result()


def test_abandoned_requests_are_not_written():
    batch, writer = AddBatch(max_docs=100), FakeWriter()
    gone = batch.append([doc("a")], "s", {"a"})
    kept = batch.append([doc("b")], "s", {"b"})
    gone.cancel()
    run_batch(writer, batch)  # type: ignore[arg-type]
    assert writer.calls == [["b"]] and kept.result() == ["b"]


def test_batches_take_distinct_ids_within_limits():
    batch = AddBatch(max_docs=3)
    batch.append([doc("a"), doc("b")], "s", {"a", "b"})
    assert not batch.accepts({"a"}, 1)  # the same id twice: next batch
    assert not batch.accepts({"x", "y"}, 2)  # over max_docs
    assert batch.accepts({"c"}, 1)
    assert AddBatch(max_docs=3).accepts({"p", "q", "r", "s"}, 4)  # one large request alone


def _service(writer: FakeWriter, **kwargs) -> MemoryService:
    service = MemoryService(__import__("pathlib").Path("unused"), readers=1, **kwargs)
    service._writer = writer  # type: ignore[assignment]  # no start(): no store, no models
    return service


@pytest.mark.parametrize("batch_adds", [True, False])
def test_queued_adds_share_a_commit_and_a_write_between_splits_them(batch_adds):
    writer = FakeWriter()
    service = _service(writer, batch_adds=batch_adds)

    async def scenario() -> list[list[str]]:
        writer.gate.clear()  # the writer is busy: everything below queues
        first = asyncio.ensure_future(service.add([doc("a")], "s"))
        await asyncio.sleep(0.05)  # "a" is running, blocked on the gate
        queued = [asyncio.ensure_future(service.add([doc(i)], "s")) for i in ("b", "c")]
        await asyncio.sleep(0)
        other = asyncio.ensure_future(service.write(lambda m: m.add([doc("d")])))
        await asyncio.sleep(0)
        late = asyncio.ensure_future(service.add([doc("e")], "s"))
        await asyncio.sleep(0.05)
        writer.gate.set()
        return list(await asyncio.gather(first, *queued, other, late))

    try:
        answers = asyncio.run(scenario())
    finally:
        service.close()
    assert answers == [["a"], ["b"], ["c"], ["d"], ["e"]]
    if batch_adds:
        assert writer.calls == [["a"], ["b", "c"], ["d"], ["e"]]
    else:
        assert writer.calls == [["a"], ["b"], ["c"], ["d"], ["e"]]
