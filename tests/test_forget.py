"""`forget` ("delete my data") leaves nothing of the user in any store: no key, no row, no byte on disk.

The user takes a check privately, joins a colleague's team round, starts a round of their own,
types a shop name only they know, then asks to be forgotten. Afterwards, while the store is still
open (the process runs on), their id, their display name and what they typed appear nowhere:
not in Redis (any key or value under the test's prefix), not in the memory store, and not in the
SQLite file, its write-ahead log or its shared-memory index.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from bot.conversation.events import Answer, Event, Forget, OpenRound, Start, TakeRoundCheck
from bot.conversation.replies import Notice, Question, ResultCard, RoundCard
from bot.conversation.service import ConversationService
from bot.dialogs.catalog import Catalog
from bot.followups.jobs import Job
from bot.stores import MemoryStore, SqliteStore
from tests.conftest import STORE_KINDS, close_store, make_store
from tests.helpers import Clock, small_dialog

COLLEAGUE = "slack:T1:U0COLLEAGUE"


@pytest.fixture(params=STORE_KINDS)
async def kind_and_service(request, tmp_path: Path):
    clock = Clock()
    store = await make_store(request.param, tmp_path, clock)
    yield request.param, ConversationService(catalog=Catalog.of(small_dialog()), store=store, clock=clock)
    await close_store(request.param, store)


async def take(service: ConversationService, user: str, first: Question, typed: str) -> list:
    """Answer the small check to its end: two hours, the typed shop name, Twitter, trust 5."""
    question, replies = first, []
    for value in ("two", typed, ("twitter", "facebook"), 5):
        replies = await service.handle(Event(user, Answer(question.session_id, question.node, value, question.version)))
        if not isinstance(replies[0], Question):
            break
        question = replies[0]
    assert isinstance(replies[0], ResultCard), replies
    return replies


async def everything_stored(kind: str, store) -> bytes:
    """Every byte the store holds, however it holds it."""
    if kind == "memory":
        assert isinstance(store, MemoryStore)
        jobs = [text for text, _, _ in store._jobs.values()]
        return "\n".join([*store._rows, *store._rows.values(), *store._rounds, *store._rounds.values(), *store._jobs, *jobs]).encode()
    if kind == "sqlite":
        assert isinstance(store, SqliteStore)
        files = [store.path, Path(f"{store.path}-wal"), Path(f"{store.path}-shm")]
        return b"\n".join(f.read_bytes() for f in files if f.exists())
    out = []
    async for key in store._redis.scan_iter(match=f"{store._p}*"):
        out.append(key)
        kind_of = await store._redis.type(key)
        if kind_of == "hash":
            out += [f"{k}={v}" for k, v in (await store._redis.hgetall(key)).items()]
        elif kind_of == "zset":
            out += await store._redis.zrange(key, 0, -1)
        elif kind_of == "set":
            out += await store._redis.smembers(key)
        else:
            out.append(str(await store._redis.get(key)))
    return "\n".join(out).encode()


async def test_forget_leaves_no_trace_of_the_user(kind_and_service) -> None:
    kind, service = kind_and_service
    store = service.store
    run = uuid.uuid4().hex[:8].upper()
    user, name, typed = f"slack:T1:UFORGET{run}", f"Zelda{run}", f"Secret Shop {run}"
    # a check of their own
    (first,) = await service.handle(Event(user, Start("small")))
    await take(service, user, first, typed)
    # a colleague's round, joined and finished
    (card, _) = await service.handle(Event(COLLEAGUE, OpenRound(name="Colleague", surface="C1:1.0", dialog="small")))
    joined = await service.handle(Event(user, TakeRoundCheck(card.round_id, name=name)))
    await take(service, user, joined[0], typed)
    # a round of their own
    (own, _) = await service.handle(Event(user, OpenRound(name=name, surface="C2:1.0", dialog="small", topic=f"{typed}'s socials")))
    assert isinstance(own, RoundCard)
    # a follow-up about their check, due later (what it carries goes with them)
    await store.schedule(Job(f"nudge:{first.session_id}", "nudge", 2e9, (("shop", typed), ("name", name)), owner=user))
    before = await everything_stored(kind, store)
    if kind == "sqlite":
        await store.checkpoint()  # as SQLite's own checkpoints would have by now: the rows are in the file itself
        before = await everything_stored(kind, store)
    assert all(word.encode() in before for word in (user, name, typed)), "the test sees what it looks for"

    (done,) = await service.handle(Event(user, Forget(confirmed=True)))
    assert isinstance(done, Notice) and done.kind == "forgotten" and "deleted 2 check(s)" in done.text

    after = await everything_stored(kind, store)
    for word in (user, name, typed, user.rsplit(":", 1)[1]):
        assert word.encode() not in after, f"{word!r} is still in the {kind} store after forget"
    assert await store.sessions_of(user) == [] and await store.rounds_of(user) == []
    colleague_round = await store.load_round(card.round_id)
    assert colleague_round is not None and colleague_round.members == (), "the colleague's round stays, without them"
    assert await store.load_round(own.round_id) is None, "the round they started is gone"
    assert COLLEAGUE.encode() in after, "the colleague's data is untouched"


async def test_redis_forget_deletes_the_round_index_key(tmp_path: Path) -> None:
    """The `:r` key (the user's rounds, written by save_round for every member) outlived forget."""
    from tests.conftest import drop_redis_keys, redis_store

    store = await redis_store(Clock())
    service = ConversationService(catalog=Catalog.of(small_dialog()), store=store, clock=Clock())
    user = f"slack:T1:UR{uuid.uuid4().hex[:8].upper()}"
    try:
        (card, _) = await service.handle(Event(COLLEAGUE, OpenRound(name="Colleague", surface="C1:1.0", dialog="small")))
        await service.handle(Event(user, TakeRoundCheck(card.round_id, name="Member")))
        assert await store._redis.exists(store._user_rounds(user)) == 1
        await service.handle(Event(user, Forget(confirmed=True)))
        assert [k async for k in store._redis.scan_iter(match=f"{store._p}u:{user}:*")] == []
    finally:
        await drop_redis_keys(store)
