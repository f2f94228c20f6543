"""The store contract, run against every backend: compare-and-set, expiry, forget."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest

from bot.session import AnswerRecord, Session
from bot.stores import MemoryStore, SqliteStore, open_store
from tests.conftest import STORE_KINDS, close_store, make_store
from tests.helpers import Clock

TTL = 3600.0


@pytest.fixture(params=STORE_KINDS)
async def clock_and_store(request, tmp_path: Path):
    clock = Clock()
    store = await make_store(request.param, tmp_path, clock, ttl=TTL)
    yield clock, store
    await close_store(request.param, store)


def session(session_id: str = "s1", owner: str = "slack:T1:U1", version: int = 1, **changes) -> Session:
    base = Session(
        id=session_id,
        owner=owner,
        dialog_id="outsource_check",
        dialog_hash="abc",
        node="know_how",
        answers=(AnswerRecord("goal", "set_up"), AnswerRecord("channels", ("twitter", "blog")), AnswerRecord("trust", 4)),
        scores=(("know_how", 2),),
        version=version,
        started_at=Clock().now,
        updated_at=Clock().now,
    )
    return dataclasses.replace(base, **changes)


async def test_round_trip_keeps_every_field(clock_and_store) -> None:
    _, store = clock_and_store
    original = session(context=(("round", "r1"),))
    assert await store.save(original, expected_version=0)
    assert await store.load("s1") == original
    assert await store.load("nope") is None


async def test_compare_and_set(clock_and_store) -> None:
    _, store = clock_and_store
    first = session(version=1)
    assert await store.save(first, expected_version=0)
    assert not await store.save(first, expected_version=0), "a second insert of the same id must lose"
    second = first.bump(node="hours")
    assert await store.save(second, expected_version=1)
    assert not await store.save(first.bump(node="other"), expected_version=1), "stale version must lose"
    assert not await store.save(second, expected_version=2), "a save must raise the version"
    assert (await store.load("s1")).node == "hours"


async def test_racing_saves_from_one_version_let_exactly_one_win(clock_and_store) -> None:
    _, store = clock_and_store
    base = session(version=1)
    await store.save(base, expected_version=0)
    contenders = [base.bump(node=f"n{i}") for i in range(20)]
    results = await asyncio.gather(*(store.save(c, expected_version=1) for c in contenders))
    assert sum(results) == 1
    winner = contenders[results.index(True)]
    assert (await store.load("s1")) == winner


async def test_unfinished_sessions_expire_finished_ones_stay(clock_and_store) -> None:
    clock, store = clock_and_store
    await store.save(session("open"), expected_version=0)
    await store.save(session("done", outcome="in_house", node=None), expected_version=0)
    clock.advance(TTL + 1)
    assert await store.load("open") is None
    assert (await store.load("done")).outcome == "in_house"
    assert [s.id for s in await store.sessions_of("slack:T1:U1")] == ["done"]
    assert await store.purge_expired() == 1
    assert await store.purge_expired() == 0


async def test_sessions_of_lists_newest_first_and_forget_deletes_only_that_user(clock_and_store) -> None:
    clock, store = clock_and_store
    await store.save(session("a"), expected_version=0)
    await store.save(session("b", updated_at=clock.now + 5), expected_version=0)
    await store.save(session("c", owner="discord:42"), expected_version=0)
    assert [s.id for s in await store.sessions_of("slack:T1:U1")] == ["b", "a"]
    assert await store.forget("slack:T1:U1") == 2
    assert await store.sessions_of("slack:T1:U1") == []
    assert await store.load("a") is None and await store.load("b") is None
    assert (await store.load("c")).owner == "discord:42"


async def test_two_sqlite_stores_on_one_file_share_compare_and_set(tmp_path: Path) -> None:
    """Two processes on one machine open the same file; SQLite decides their races."""
    one, two = SqliteStore(tmp_path / "shared.sqlite3"), SqliteStore(tmp_path / "shared.sqlite3")
    base = session(version=1)
    assert await one.save(base, expected_version=0)
    assert not await two.save(base, expected_version=0)
    results = await asyncio.gather(
        one.save(base.bump(node="from_one"), expected_version=1), two.save(base.bump(node="from_two"), expected_version=1)
    )
    assert sorted(results) == [False, True]
    assert (await one.load("s1")) == (await two.load("s1"))
    await one.close()
    await two.close()


def test_open_store_reads_the_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert isinstance(open_store("memory:"), MemoryStore)
    store = open_store(str(tmp_path / "x.sqlite3"))
    assert isinstance(store, SqliteStore) and store.path == tmp_path / "x.sqlite3"
    monkeypatch.setenv("OUTSOURCE_CHECK_DATA", str(tmp_path / "data"))
    assert open_store().path == tmp_path / "data" / "sessions.sqlite3"
    from bot.stores.redis import RedisStore

    assert isinstance(open_store("redis://127.0.0.1:6379/0"), RedisStore)


async def test_deliveries_are_recognised_the_second_time(clock_and_store) -> None:
    clock, store = clock_and_store
    assert await store.first_time("slack:Ev1", ttl=60)
    assert not await store.first_time("slack:Ev1", ttl=60)
    assert await store.first_time("slack:Ev2", ttl=60)
    assert await store.ping()


async def test_every_session_walks_the_whole_store(clock_and_store) -> None:
    _, store = clock_and_store
    for i in range(5):
        await store.save(session(f"s{i}", owner=f"u{i % 2}"), expected_version=0)
    assert sorted([s.id async for s in store.every_session()]) == [f"s{i}" for i in range(5)]


async def test_a_burst_larger_than_the_redis_pool_waits_instead_of_failing(tmp_path: Path) -> None:
    from tests.conftest import drop_redis_keys, redis_store

    store = await redis_store(Clock(), max_connections=4)
    try:
        sessions = [session(f"b{i}", owner=f"u{i}") for i in range(200)]
        results = await asyncio.gather(*(store.save(s, expected_version=0) for s in sessions))
        assert all(results)
        loaded = await asyncio.gather(*(store.load(s.id) for s in sessions))
        assert [s.id for s in loaded] == [s.id for s in sessions]
    finally:
        await drop_redis_keys(store)


async def test_sqlite_waits_for_another_process_holding_the_lock(tmp_path: Path) -> None:
    """Inline when the file is free; when another process holds the write lock, wait in a thread."""
    import sqlite3

    store = SqliteStore(tmp_path / "busy.sqlite3", clock=Clock())
    other = sqlite3.connect(tmp_path / "busy.sqlite3", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process is writing
    saving = asyncio.ensure_future(store.save(session("s1", version=1), expected_version=0))
    await asyncio.sleep(0)  # let the save try inline and move to its thread
    assert not saving.done(), "the save waits for the lock instead of failing"
    other.execute("COMMIT")
    assert await asyncio.wait_for(saving, 15)
    assert (await store.load("s1")).version == 1
    other.close()
    await store.close()


async def test_sqlite_checkpoints_its_log_in_the_background_never_inside_a_save(tmp_path: Path) -> None:
    """SQLite's own checkpoint would run inside whichever save filled the log (an fsync on the event loop)."""
    import sqlite3

    from bot.stores.sqlite import CHECKPOINT_EVERY

    path = tmp_path / "log.sqlite3"
    store = SqliteStore(path, clock=Clock())
    assert store._fast.execute("PRAGMA wal_autocheckpoint").fetchone() == (0,)
    assert store._db.execute("PRAGMA wal_autocheckpoint").fetchone() == (0,)
    rounds = 8
    wal = Path(f"{path}-wal")
    one_interval = 0  # the log's size once one interval's changes are in it
    for number in range(CHECKPOINT_EVERY * rounds):
        assert await store.save(session(f"s{number}", version=1), expected_version=0)
        if number == CHECKPOINT_EVERY - 2:
            one_interval = wal.stat().st_size
        await asyncio.sleep(0)
    while store._checkpointing is not None:  # the last one may still be running
        await asyncio.sleep(0.01)
    assert store.checkpoints >= rounds // 2, "checkpoints ran as the log grew (one at a time)"
    assert wal.stat().st_size <= 2.5 * one_interval, "the log was written back and started over, not grown without end"
    await store.close()
    with sqlite3.connect(path) as db:  # everything is in the file once the store has closed
        assert db.execute("SELECT count(*) FROM sessions").fetchone() == (CHECKPOINT_EVERY * rounds,)


async def test_a_call_waiting_in_a_thread_does_not_send_the_calls_after_it_there(tmp_path: Path) -> None:
    """Under load, one call waiting in a worker thread once diverted every later call to a thread too."""
    store = SqliteStore(tmp_path / "cascade.sqlite3", clock=Clock())
    assert await store.save(session("s1", version=1), expected_version=0)
    store._lock.acquire()  # as while a call of ours waits in a worker thread for another process's lock
    try:
        assert (await asyncio.wait_for(store.load("s1"), 5)).version == 1
        assert await asyncio.wait_for(store.save(session("s1", version=2), expected_version=1), 5)
    finally:
        store._lock.release()
    assert (await store.load("s1")).version == 2
    await store.close()
