"""Benchmark 4: compare-and-set saves vs a plain write, per store; turn cost as the store fills up.

CAS is what keeps two processes from both advancing a check, so it must stay cheap: at most twice
the same store's plain unconditional write of the same session. And a turn must cost about the
same with a million stored sessions as with a thousand (within 20%).
"""

from __future__ import annotations

import random
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from bench import keyspace
from bench.common import BENCH_REDIS_SMALL_URL, BENCH_REDIS_URL, Row, Scale, Section, median
from bot.conversation import engine
from bot.conversation.events import Answer, Event
from bot.conversation.replies import Question
from bot.conversation.service import ConversationService
from bot.conversation.session import Session
from bot.dialogs.catalog import MAIN_DIALOG, Catalog
from bot.stores import MemoryStore, SqliteStore

TITLE = "4. Stores"


async def _rate(op: Callable[[int], Awaitable[object]], count: int) -> float:
    started = time.perf_counter()
    for i in range(count):
        await op(i)
    return count / (time.perf_counter() - started)


def _plain_writer(kind: str, store) -> Callable[[Session], Awaitable[object]]:
    """The same store writing the same session unconditionally (no version check): the baseline."""
    if kind == "memory":

        async def plain(session: Session) -> None:
            store._rows[session.id] = session.to_json()
            store._versions[session.id] = session.version

        return plain
    if kind == "sqlite":

        async def plain(session: Session) -> None:
            values = (session.id, session.owner, session.version, int(session.finished), session.updated_at, session.to_json())
            await store._run(lambda db: db.execute(
                "INSERT OR REPLACE INTO sessions (id, owner, version, finished, updated_at, data) VALUES (?, ?, ?, ?, ?, ?)", values))

        return plain

    async def plain(session: Session) -> None:  # redis: the same keys, written in one round trip without the check
        async with store._redis.pipeline(transaction=False) as pipe:
            key = store._session_key(session.id)
            pipe.hset(key, mapping={"v": session.version, "d": session.to_json()})
            pipe.expire(key, int(store._ttl) + 3600)
            pipe.zadd(store._user_sessions(session.owner), {session.id: session.updated_at})
            await pipe.execute()

    return plain


async def open_kind(kind: str, workdir: Path, name: str, url: str | None = None):
    if kind == "memory":
        return MemoryStore()
    if kind == "sqlite":
        return SqliteStore(workdir / f"{name}.sqlite3")
    # Redis: a key prefix of this run's own (runs may share the server); the URL is read when
    # called, since the smoke tests point it elsewhere
    return keyspace.open_store(url or BENCH_REDIS_URL, f"stores-{name}")


async def close_kind(kind: str, store) -> int | None:
    """Close the store; Redis: after deleting this run's keys (and only those), returning how many there were."""
    if kind == "redis":
        return await keyspace.close_store(store)
    await store.close()
    return None


async def cas_vs_plain(kind: str, workdir: Path, ops: int) -> tuple[float, float, list[float]]:
    """(CAS saves/s, plain writes/s, per-block ratios), in alternating blocks on one store."""
    store = await open_kind(kind, workdir, "cas")
    dialog = Catalog.load().dialogs[MAIN_DIALOG]
    session = engine.start(dialog, session_id="cas", owner="bench:cas", now=time.time()).session
    plain = _plain_writer(kind, store)
    current = [session]

    async def cas(_: int) -> None:
        nxt = current[0].bump()
        assert await store.save(nxt, expected_version=current[0].version)
        current[0] = nxt

    plain_current = [session.bump(id="plain")]

    async def write(_: int) -> None:  # the next version too, as `cas` makes it: only the check differs
        nxt = plain_current[0].bump()
        await plain(nxt)
        plain_current[0] = nxt

    cas_rates, plain_rates = [], []
    try:
        await store.save(session, expected_version=0)
        for _ in range(5):
            plain_rates.append(await _rate(write, ops // 5))
            cas_rates.append(await _rate(cas, ops // 5))
    finally:
        await close_kind(kind, store)
    ratios = [p / c for c, p in zip(cas_rates, plain_rates, strict=True)]
    return median(cas_rates), median(plain_rates), ratios


def _filler(dialog_session: Session, count: int, start: int) -> list[tuple[str, str, str, float]]:
    """(id, owner, JSON, updated_at) of finished sessions, cheap to make: one template, new ids."""
    template = dialog_session.to_json()
    rows = []
    for i in range(start, start + count):
        sid, owner = f"f{i:010d}", f"slack:T1:UF{i:09d}"
        text = template.replace(dialog_session.id, sid, 1).replace(dialog_session.owner, owner, 1)
        rows.append((sid, owner, text, dialog_session.updated_at))
    return rows


async def fill(kind: str, store, finished: Session, count: int, start: int) -> None:
    """Add `count` finished sessions straight into the store's own structures (the fast bulk path)."""
    chunk = 50_000
    for offset in range(start, start + count, chunk):
        rows = _filler(finished, min(chunk, start + count - offset), offset)
        if kind == "memory":
            store._rows.update((sid, text) for sid, _, text, _ in rows)
            store._versions.update((sid, finished.version) for sid, _, _, _ in rows)
        elif kind == "sqlite":
            await store._run(lambda db, rows=rows: db.executemany(
                "INSERT OR IGNORE INTO sessions (id, owner, version, finished, updated_at, data) VALUES (?, ?, ?, 1, ?, ?)",
                [(sid, owner, finished.version, at, text) for sid, owner, text, at in rows]))
        else:
            async with store._redis.pipeline(transaction=False) as pipe:
                for sid, owner, text, at in rows:
                    pipe.hset(store._session_key(sid), mapping={"v": finished.version, "d": text})
                    pipe.zadd(store._user_sessions(owner), {sid: at})
                await pipe.execute()


class TurnWorkload:
    """Live checks on one store, answered turn by turn through the real service."""

    def __init__(self, store, checks: int, tag: str) -> None:
        self.catalog = Catalog.load()
        self.dialog = self.catalog.dialogs[MAIN_DIALOG]
        self.service = ConversationService(catalog=self.catalog, store=store)
        self.store = store
        self.checks = checks
        self.tag = tag
        self.rng = random.Random(3)
        self.live: list[tuple[str, Question]] = []

    async def refill(self) -> None:
        while len(self.live) < self.checks:
            user = f"bench:{self.tag}:{len(self.live)}:{self.rng.random()}"
            step = engine.start(self.dialog, session_id=f"w{self.tag}{self.rng.randrange(10**12)}", owner=user, now=time.time())
            await self.store.save(step.session, expected_version=0)
            self.live.append((user, step.replies[0]))  # type: ignore[arg-type]

    async def turns(self, count: int) -> list[float]:
        """Seconds per turn for `count` turns spread over the live checks."""
        await self.refill()
        out = []
        for i in range(count):
            index = i % len(self.live)
            user, question = self.live[index]
            value: object = question.options[0].id if question.kind != "multi" else (question.options[0].id,)
            started = time.perf_counter()
            replies = await self.service.handle(Event(user, Answer(question.session_id, question.node, value, question.version)))
            out.append(time.perf_counter() - started)
            if replies and isinstance(replies[0], Question):
                self.live[index] = (user, replies[0])
            else:
                self.live.pop(index)
                await self.refill()
        return out


async def turn_vs_size(kind: str, workdir: Path, small: int, large: int, turns: int) -> tuple[float, float, list[float], str]:
    """Median turn seconds with `small` vs `large` sessions stored: two stores side by side, in alternating blocks,
    so a noisy neighbour hurts both alike. Redis: each side under a key prefix of its own, the small one on
    `OUTSOURCE_CHECK_BENCH_REDIS_SMALL`: by default another database of the same server, since Redis looks
    every key up in one table per database, so a small side in the large side's database would be as big."""
    dialog = Catalog.load().dialogs[MAIN_DIALOG]
    finished_session = _finished(dialog)
    block = max(20, turns // 6)
    small_store = await open_kind(kind, workdir, "small", url=BENCH_REDIS_SMALL_URL)
    large_store = await open_kind(kind, workdir, "large")
    small_times, large_times, ratios = [], [], []
    try:
        await fill(kind, small_store, finished_session, small, 0)
        started = time.perf_counter()
        await fill(kind, large_store, finished_session, large, 0)
        filled = time.perf_counter() - started
        a, b = TurnWorkload(small_store, 50, "s"), TurnWorkload(large_store, 50, "l")
        await a.turns(block)
        await b.turns(block)  # warm both
        for _ in range(6):
            s, lg = await a.turns(block), await b.turns(block)
            small_times += s
            large_times += lg
            ratios.append(median(lg) / median(s))
    finally:
        try:
            await close_kind(kind, small_store)
        finally:
            keys = await close_kind(kind, large_store)
    size = f"{keys:,} keys" if keys is not None else f"{large:,}"
    return median(small_times), median(large_times), ratios, f"filled to {size} in {filled:.0f} s"


def _finished(dialog) -> Session:
    step = engine.start(dialog, session_id="template0001", owner="slack:T1:UTEMPLATE01", now=time.time())
    while step.replies and isinstance(step.replies[0], Question):
        q = step.replies[0]
        value: object = q.options[0].id if q.kind != "multi" else (q.options[0].id,)
        step = engine.answer(dialog, step.session, node=q.node, value=value, version=step.session.version, now=time.time())
    assert step.session.finished
    return step.session


async def run(scale: Scale, workdir: Path) -> Section:
    section = Section("stores", TITLE)
    for kind in ("memory", "sqlite", "redis"):
        cas, plain, ratios = await cas_vs_plain(kind, workdir, scale.store_ops)
        cost_ratio = median(ratios)  # CAS time / plain time = plain rate / CAS rate
        section.add(Row(f"{kind}: compare-and-set saves/s", cas, plain, "saves/s", "plain unconditional writes/s",
                        "CAS cost <= 2x plain", cost_ratio <= 2.0, ratio=cas / plain,
                        note=f"CAS costs {cost_ratio:.2f}x a plain write (median of 5 alternating blocks)"))
    small, large = scale.store_sizes
    for kind in ("memory", "sqlite", "redis"):
        s, lg, ratios, how = await turn_vs_size(kind, workdir, small, large, scale.store_ops)
        ratio = median(ratios)
        section.add(Row(f"{kind}: one turn with {large:,} sessions stored", lg * 1000, s * 1000, "ms",
                        f"same turn, {small:,} sessions stored", "within 20%", abs(ratio - 1) <= 0.20, ratio=ratio, note=how))
    section.method = (
        "CAS: one session saved again and again with `save(expected_version=...)`, each time one version on, against the "
        "same store writing the same session without a check (memory: the dict entries, JSON and version; SQLite: `INSERT OR REPLACE` through "
        "the store's own worker thread and lock; Redis: the same HSET, EXPIRE and ZADD in one pipelined round trip), in 5 "
        "alternating blocks. Turns: `ConversationService.handle(Answer)` (load, engine step, CAS save) on 50 live checks of "
        "the shipped dialog, with the store holding that many other finished sessions: two stores side by side, measured in 6 "
        "alternating blocks (Redis: each side under a key prefix of this run's own, the small side in another database of the "
        "same server, since Redis keeps one key table per database)."
    )
    section.notes.append(f"Finished session used as filler: {len(_finished(Catalog.load().dialogs[MAIN_DIALOG]).to_json())} bytes of JSON")
    return section
