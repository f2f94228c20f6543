"""What the long-running bots do besides serving: the core they serve from (`open_core`), what runs
beside them while they serve (`serving`: the ops port, expiry, follow-ups), and process settings
applied once start-up is over.

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
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from adapters.ops import ops_port, start_ops_server
from bot.conversation.events import SYSTEM, Event, RunFollowUp
from bot.conversation.replies import FollowUp, Notice, NoticeKind, Reply
from bot.conversation.service import ConversationService
from bot.dialogs.catalog import Catalog
from bot.followups import plan
from bot.followups.jobs import Job
from bot.followups.runner import Elsewhere, FollowUpRunner, Handler
from bot.stores import checked, open_store
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


# --- follow-ups ---------------------------------------------------------------------------------
# Round reminders, nudges about half-done checks and decision reviews are jobs in the store
# (bot/followups/); each chat bot runs a FollowUpRunner beside itself that claims the due ones, asks
# the core for their replies (`RunFollowUp`) and delivers each recipient's replies as that user's turn.

NUDGE_AFTER = "OUTSOURCE_CHECK_NUDGE_AFTER"
FOLLOW_UPS_EVERY = "OUTSOURCE_CHECK_FOLLOW_UPS_EVERY"
CHAT_PLATFORMS = ("slack", "discord")  # the platforms whose bots run follow-ups (user keys start with them)
DeliverTo = Callable[[str, list[Reply]], Awaitable[None]]  # a recipient's user key, and their replies
follow_log = logging.getLogger("outsource_check.followups")


def nudge_after() -> float | None:
    """`OUTSOURCE_CHECK_NUDGE_AFTER` ("24h", "30m", "2d", seconds, or "off"): 24 hours by default; None: off."""
    text = os.environ.get(NUDGE_AFTER, "").strip()
    if not text:
        return plan.DEFAULT_NUDGE_AFTER
    try:
        return plan.parse_nudge_after(text)
    except ValueError as exc:
        raise ValueError(f"{NUDGE_AFTER}: {exc}") from None


def follow_ups_every() -> float:
    """`OUTSOURCE_CHECK_FOLLOW_UPS_EVERY` seconds between looks for due follow-ups (30 by default)."""
    return seconds_setting(FOLLOW_UPS_EVERY, 30.0)


def follow_up_handler(service: ConversationService, platform: str, deliver_to: DeliverTo) -> Handler:
    """The runner's handler: the core's replies for a due job, each recipient's delivered as their turn.

    A job about another platform's user (one store shared by the Slack and Discord bots) is handed
    back for that platform's runner. A store outage, or a delivery that failed for every recipient,
    raises: the job is tried again once its lease ends. A recipient whose delivery failed while
    others' went through is logged and not retried (a retry would remind the others twice).
    """

    async def handle(job: Job) -> None:
        owner_platform = job.owner.partition(":")[0]
        if job.owner and owner_platform not in CHAT_PLATFORMS:
            follow_log.info("follow-up %s is about a user no chat bot can reach; dropped", job.key)
            return
        if job.owner and owner_platform != platform:
            raise Elsewhere(job.key)
        replies = await service.handle(Event(SYSTEM, RunFollowUp(job)))
        if any(isinstance(r, Notice) and r.kind is NoticeKind.UNAVAILABLE for r in replies):
            raise StoreUnavailable(f"follow-up {job.key}: the store is unavailable")
        failed: list[BaseException] = []
        recipients = [r for r in replies if isinstance(r, FollowUp)]
        for reply in replies:
            if not isinstance(reply, FollowUp):
                follow_log.warning("follow-up %s: a %s without a recipient was dropped", job.key, type(reply).__name__)
                continue
            try:
                await deliver_to(reply.user, list(reply.replies))
            except Exception as exc:  # one recipient's platform error must not cost the others theirs
                follow_log.warning("follow-up %s could not reach a recipient: %s", job.key, exc)
                failed.append(exc)
        if failed and len(failed) == len(recipients):
            raise failed[0]

    return handle


@contextlib.asynccontextmanager
async def following_up(store: SessionStore, handler: Handler, every: float) -> AsyncIterator[FollowUpRunner]:
    """Run a `FollowUpRunner` beside the bot while the block runs (like `expiring`); stop it on the way out
    (a job in hand stays claimed and comes back when its lease ends)."""
    runner = FollowUpRunner(store, handler)
    task = asyncio.create_task(runner.run_forever(every), name="outsource-check: follow-ups")
    try:
        yield runner
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


# --- a chat process, start to end ---------------------------------------------------------------


@dataclass(frozen=True)
class Core:
    """What a chat process serves from: its store, the service on it, and how often its background
    tasks look (read at start-up, so a bad setting stops it there)."""

    store: SessionStore
    service: ConversationService
    purge_every: float
    follow_ups_every: float


async def open_core(catalog: Catalog, store_spec: str | None) -> Core:
    """The settings read and the store opened and checked; ValueError or StoreUnavailable says in one
    line what is wrong (the caller prints it and exits 2). The caller closes `store`."""
    every, nudges, follow_every = purge_every(), nudge_after(), follow_ups_every()
    store = await checked(open_store(store_spec))
    return Core(store, ConversationService(catalog=catalog, store=store, nudge_after=nudges), every, follow_every)


@contextlib.asynccontextmanager
async def serving(core: Core, platform: str, deliver_to: DeliverTo, host: str) -> AsyncIterator[None]:
    """While the block serves: the ops port (metrics, health), expiry and follow-ups beside it, with
    the start-up objects frozen out of GC passes first. All of it stops on the way out."""
    ops = await start_ops_server(core.store, host=host, port=ops_port())
    settle_after_start_up()
    handler = follow_up_handler(core.service, platform, deliver_to)
    try:
        async with expiring(core.store, core.purge_every), following_up(core.store, handler, core.follow_ups_every):
            yield
    finally:
        if ops is not None:
            await ops.cleanup()
