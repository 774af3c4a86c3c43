"""What only the PostgreSQL store has: URLs and schemas, a lost connection, the write lock's
timeout across connections, read-only opening. On the session's real server."""

from __future__ import annotations

import pytest
from contract_procs import one_document

from graphmem.config import StoreConfig
from graphmem.errors import InputError, StoreError
from graphmem.store.open import open_store, redacted
from graphmem.store.postgres_schema import parse_url


def test_url_schema_and_password_handling():
    url = parse_url("postgresql://ann:s3cret@db.example:5433/app?sslmode=disable&schema=mem_1")
    assert url.schema == "mem_1"
    assert url.conninfo == "postgresql://ann:s3cret@db.example:5433/app?sslmode=disable"
    assert url.shown == "postgresql://ann:***@db.example:5433/app?sslmode=disable&schema=mem_1"
    assert parse_url("postgresql://db/app").schema == "public"
    with pytest.raises(InputError, match=r"postgresql://ann:\*\*\*@db/app\?schema=x-y: schema 'x-y'"):
        parse_url("postgresql://ann:pw@db/app?schema=x-y")
    assert redacted("postgresql://db/app") == "postgresql://db/app"


def test_unreachable_server_is_a_store_error_without_the_password(tmp_path):
    with pytest.raises(StoreError, match=r"cannot connect to postgresql://ann:\*\*\*@/app") as err:
        open_store(f"postgresql://ann:pw@/app?host={tmp_path}&connect_timeout=2")
    assert "pw" not in str(err.value).replace("postgresql", "")


def test_a_schema_of_another_program_is_refused(pg_server, pg_location):
    url = pg_location()
    store = open_store(url)
    store.close()
    import psycopg

    schema = url.rsplit("schema=", 1)[1]
    with psycopg.connect(pg_server.url, autocommit=True) as c:
        c.execute(f"CREATE SCHEMA other_{schema}")
        c.execute(f"CREATE TABLE other_{schema}.invoices (id int)")
    with pytest.raises(StoreError, match="holds other tables \\(invoices\\) but no graphmem store"):
        open_store(pg_server.url_for(f"other_{schema}"))


def test_lost_connection_reconnects(pg_server, pg_location):
    import psycopg

    store = open_store(pg_location())
    store.check_embedder("test-vectors", 8)
    store.write(one_document("before", 8))
    pid = store._session.conn.info.backend_pid  # the test's view of the server, not the API
    with psycopg.connect(pg_server.url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    with pytest.raises(StoreError, match="cannot"):
        store.counts()  # the call that finds the connection gone fails, naming the store
    store.write(one_document("after", 8))  # the next one reconnects
    assert [d.doc_id for d in store.documents()] == ["before", "after"]
    store.close()


def test_write_lock_timeout_and_read_only(pg_location):
    url = pg_location()
    holder = open_store(url)
    holder.check_embedder("test-vectors", 8)
    waiter = open_store(url, StoreConfig(lock_timeout_s=0.2))
    reader = open_store(url, StoreConfig(read_only=True))
    with holder.writing():
        holder.write(one_document("held", 8))
        with pytest.raises(StoreError, match="held the write lock for more than 0.2 s"):
            waiter.write(one_document("waiting", 8))
        assert reader.counts()["documents"] == 0  # readers never wait, and see the last commit
    assert [d.doc_id for d in reader.documents()] == ["held"]
    with pytest.raises(StoreError, match="is read-only \\(opened read-only\\)"):
        reader.write(one_document("nope", 8))
    for s in (holder, waiter, reader):
        s.close()
