"""What the long-running bots do besides serving: process settings applied once start-up is over,
and the expiry task that deletes abandoned checks (`expiring`, at the end).

Everything a bot builds while starting (imported modules, the loaded dialogs, the platform
client) lives until the process ends, yet Python's cyclic garbage collector would keep walking
all of it on every full collection: in the Discord benchmark those passes took 35-50 ms each,
the tail of the bot's latency. Freezing what exists after start-up takes it out of the
collector's sight (the same passes: about 5 ms). Reference cycles made while serving are still
collected. The young generation's threshold stays Python's default: raising it to 10,000 made
every pass twenty times longer (7 ms) for no less collecting in all, which only moved the pauses
into the p99.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from bot.stores.base import SessionStore, StoreUnavailable, seconds_setting, ttl_seconds


def settle_after_start_up() -> None:
    """Call once, when the bot is about to serve: its start-up objects are frozen out of GC passes."""
    gc.collect()
    gc.freeze()


# --- expiry -----------------------------------------------------------------------------------
# Unfinished checks nobody touched for OUTSOURCE_CHECK_SESSION_TTL seconds are already invisible
# (every store's load skips them); this task deletes them, in every store, while a bot runs.

PURGE_EVERY = "OUTSOURCE_CHECK_PURGE_EVERY"
log = logging.getLogger("outsource_check.expiry")


def purge_every(ttl: float | None = None) -> float:
    """`OUTSOURCE_CHECK_PURGE_EVERY` seconds; by default a tenth of the TTL, at least a minute, at most an hour."""
    ttl = ttl_seconds() if ttl is None else ttl
    return seconds_setting(PURGE_EVERY, min(3600.0, max(60.0, ttl / 10)))


async def purge_forever(
    store: SessionStore, every: float, *, sleep: Callable[[float], Awaitable[object]] = asyncio.sleep
) -> None:
    """Purge now, then every `every` seconds, until cancelled. A failed purge is logged and retried next time."""
    while True:
        try:
            dropped = await store.purge_expired()
            if dropped:
                log.info("dropped %d unfinished check(s) idle past the TTL", dropped)
        except StoreUnavailable as exc:
            log.warning("expiry skipped, the store is unavailable (%s); next try in %.0f s", exc, every)
        except Exception:
            log.exception("expiry failed; next try in %.0f s", every)
        await sleep(every)


@contextlib.asynccontextmanager
async def expiring(store: SessionStore, every: float) -> AsyncIterator[asyncio.Task]:
    """Run `purge_forever` beside the bot while the block runs; stop it (between purges, or mid-call) on the way out."""
    task = asyncio.create_task(purge_forever(store, every), name="outsource-check: expiry")
    try:
        yield task
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
