"""Benchmark 6: bytes stored per finished session, and a process's memory with many live sessions.

A finished check must stay small (under 2 KB) because it is kept for the user's history; the
memory store keeps every live session in the process, so its footprint sets how many fit.
The process figure comes from a fresh process, so nothing else this run did is counted.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time

from bench import keyspace
from bench.common import BENCH_REDIS_URL, ROOT, Row, Scale, Section, median
from bot.conversation import engine
from bot.conversation.replies import Question
from bot.dialogs import walk as paths
from bot.dialogs.catalog import Catalog

TITLE = "6. Memory"


def finished_sizes() -> dict[str, list[int]]:
    """JSON bytes of a finished session on every distinct path the path walk found, per dialog."""
    catalog = Catalog.load()
    out: dict[str, list[int]] = {}
    for dialog in catalog.dialogs.values():
        sizes = []
        for _, answers in paths.walk(dialog).examples:
            step = engine.start(dialog, session_id="s" * 12, owner="slack:T0123ABCD:U0123ABCDEF", now=time.time(),
                                prefill={"agency_name": "Buzz Social Media Agency"}, surface="D0123ABCDEF:1700000000.123456")
            for record in answers[len(step.session.answers):]:
                step = engine.answer(dialog, step.session, node=record.node, value=record.value, version=step.session.version, now=time.time())
            if step.session.finished:
                sizes.append(len(step.session.to_json().encode()))
        out[dialog.id] = sizes
    return out


async def redis_bytes(count: int = 200) -> tuple[float, float]:
    """Redis MEMORY USAGE of a finished session's hash, and of its user index (sorted set).

    The keys carry this run's own prefix (runs may share the server), a little longer than the
    production `oc:`: the figure includes those extra bytes, so it errs on the high side."""
    store = keyspace.open_store(BENCH_REDIS_URL, "memory")
    dialog = Catalog.load().dialogs["outsource_check"]
    hashes, indexes = [], []
    try:
        for i in range(count):
            step = engine.start(dialog, session_id=f"m{i:011d}", owner=f"slack:T0123ABCD:U{i:010d}", now=time.time(),
                                surface="D0123ABCDEF:1700000000.123456")
            while isinstance(step.replies[0], Question):
                q = step.replies[0]
                value: object = q.options[i % len(q.options)].id if q.kind != "multi" else (q.options[0].id,)
                step = engine.answer(dialog, step.session, node=q.node, value=value, version=step.session.version, now=time.time())
            await store.save(step.session, expected_version=0)
            hashes.append(await store._redis.memory_usage(store._session_key(step.session.id)))
            indexes.append(await store._redis.memory_usage(store._user_sessions(step.session.owner)))
    finally:
        await keyspace.close_store(store)
    return median(hashes), median(indexes)


PROBE = """
import asyncio, json, sys, time
from pathlib import Path
def rss():
    for line in Path('/proc/self/status').read_text().splitlines():
        if line.startswith('VmRSS:'):
            return int(line.split()[1]) * 1024
from bot.dialogs.catalog import Catalog
from bot.conversation.events import Answer, Event, Start
from bot.conversation.replies import Question
from bot.conversation.service import ConversationService
from bot.stores import MemoryStore
import adapters.slack.app  # what a bot process has loaded anyway
count = int(sys.argv[1])
service = ConversationService(catalog=Catalog.load(), store=MemoryStore())
async def main():
    # one session started and answered first, so lazily built caches are not counted as sessions
    (q,) = await service.handle(Event('warm', Start()))
    await service.handle(Event('warm', Answer(q.session_id, q.node, q.options[0].id, q.version)))
    before = rss()
    for i in range(count):
        user = f'slack:T1:U{i:08d}'
        (q,) = await service.handle(Event(user, Start()))
        for _ in range(i % 6):  # live checks at different stages
            replies = await service.handle(Event(user, Answer(q.session_id, q.node,
                q.options[0].id if q.kind != 'multi' else (q.options[0].id,), q.version)))
            if not isinstance(replies[0], Question):
                break
            q = replies[0]
    after = rss()
    size = sum(len(t) for t in service.store._rows.values())
    print(json.dumps({'before': before, 'after': after, 'json': size, 'count': len(service.store._rows) - 1}))
asyncio.run(main())
"""


def process_memory(count: int) -> dict[str, int]:
    out = subprocess.run([sys.executable, "-c", PROBE, str(count)], cwd=ROOT, capture_output=True, text=True, timeout=300,
                         env={"PYTHONPATH": str(ROOT), "PATH": ""})
    if out.returncode:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout)


async def run(scale: Scale) -> Section:
    section = Section("memory", TITLE)
    sizes = finished_sizes()
    for dialog_id, found in sizes.items():
        section.add(Row(f"bytes stored per finished session: {dialog_id} (largest of {len(found)} paths)", max(found), 2048,
                        "bytes", "the 2 KB target", "< 2 KB", max(found) < 2048, note=f"median {median(found):.0f} bytes of JSON"))
    hash_bytes, index_bytes = await redis_bytes(50 if scale.name == "smoke" else 200)
    section.add(Row("Redis memory per finished session (hash + user index)", hash_bytes + index_bytes, 2048, "bytes",
                    "the 2 KB target", "< 2 KB", hash_bytes + index_bytes < 2048,
                    note=f"MEMORY USAGE: hash {hash_bytes:.0f} + index {index_bytes:.0f} bytes (median of the sessions)"))
    probe = await asyncio.to_thread(process_memory, scale.memory_sessions)
    grown = probe["after"] - probe["before"]
    section.add(
        Row(f"process memory with {probe['count']:,} live sessions (memory store)", probe["after"] / 2**20, probe["before"] / 2**20,
            "MiB", "same process before the sessions", note=f"{grown / probe['count']:.0f} bytes RSS per live session; "
            f"{probe['json'] / probe['count']:.0f} bytes of JSON per session"),
    )
    section.method = (
        "Finished sessions: every distinct ending the path walk finds in each shipped dialog, replayed through the engine with "
        "realistic ids (Slack user, DM surface, a long agency name), measured as the JSON every store keeps. Redis: "
        "`MEMORY USAGE` of 200 finished sessions' keys (under this run's own "
        f"{len(keyspace.run_prefix('memory'))}-byte key prefix instead of production's 3-byte `oc:`, so slightly high). "
        "Process: a fresh Python process with the catalog and the Slack adapter imported; resident memory (VmRSS) before and after starting that many checks through the service on the "
        "memory store, each answered 0 to 5 questions deep."
    )
    return section
