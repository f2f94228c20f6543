"""The follow-up runner: every few seconds, claim the jobs that are due and hand each to its handler.

Every process of a deployment may run one; they share the store (one Redis, or one SQLite file),
and the store decides who handles what. Delivery is **at least once, with a lease**, which makes
it **effectively exactly once**:

- `claim_due` is atomic (one Lua script in Redis, one UPDATE ... RETURNING in SQLite): a due job
  goes to one process, and no other process sees it until its lease ends.
- After the handler succeeds, `done` deletes the job, only if the claim still holds (a job
  re-scheduled meanwhile has a new due time and no claim, and stays).
- A handler that raises (or outlives what is left of the lease) leaves the job claimed: when the
  lease ends it is due again, and the next `run_once` anywhere tries it again. A process that dies
  after claiming loses nothing either: its jobs come back when their leases end.

A handler gets what is left of the lease (less a tenth, `LEASE_MARGIN`) and is stopped after
that, and a batch stops handing out jobs once its lease is that far spent: a job is never in two
handlers at once, as long as the processes' clocks agree to well within that margin (the lease
ends by the claiming process's clock and is read by the others'). So a follow-up is posted twice
only if a process dies (or loses the store) between the handler's post and `done`, or a handler is
stopped after it had posted; never because two processes raced. No timer lives only in memory: a
restart finds every job where it was.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from bot.followups.jobs import Job, JobQueue
from bot.stores.base import StoreUnavailable

log = logging.getLogger("outsource_check.followups")

Handler = Callable[[Job], Awaitable[None]]


class Elsewhere(Exception):  # noqa: N818 - not an error: a hand-back
    """Raised by a handler for a job another process must handle (e.g. a Discord user's nudge claimed by
    the Slack bot sharing the store): the job is handed back, and due again for anyone when its lease ends."""

LEASE_MARGIN = 0.1  # the share of the lease kept in reserve: a handler is stopped before another process may claim its job


class FollowUpRunner:
    def __init__(
        self,
        store: JobQueue,
        handler: Handler,
        *,
        clock: Callable[[], float] = time.time,
        limit: int = 50,
        lease: float = 120.0,
        elapsed: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        """`clock` gives the epoch seconds jobs are due by; `elapsed` measures how much of a lease is spent."""
        if lease <= 0:
            raise ValueError("the lease must be a positive number of seconds")
        self._store = store
        self._handler = handler
        self._clock = clock
        self._limit = limit
        self._lease = lease
        self._elapsed = elapsed
        self._sleep = sleep

    async def run_once(self, now: float | None = None) -> int:
        """Claim the due jobs and handle them one by one; how many were handled (and deleted, or tried to be)."""
        now = self._clock() if now is None else now
        try:
            jobs = await self._store.claim_due(now, limit=self._limit, lease=self._lease)
        except StoreUnavailable as exc:
            log.warning("follow-ups skipped, the store is unavailable (%s)", exc)
            return 0
        started = self._elapsed()
        usable = self._lease * (1 - LEASE_MARGIN)
        handled = 0
        for number, job in enumerate(jobs):
            left = usable - (self._elapsed() - started)
            if left <= 0:  # the rest are handed back: their leases end soon, and they are due again then
                log.warning("follow-ups: %d job(s) left for after their lease, the batch took too long", len(jobs) - number)
                break
            try:
                async with asyncio.timeout(left) as budget:
                    await self._handler(job)
            except Elsewhere:
                log.debug("follow-up %s (%s) is another process's; it is due again once its lease ends", job.key, job.kind)
                continue
            except TimeoutError:
                if not budget.expired():
                    log.exception("follow-up %s (%s) failed; it is tried again once its lease ends", job.key, job.kind)
                else:
                    log.warning("follow-up %s (%s) ran out of its lease; it is tried again once the lease ends", job.key, job.kind)
                continue
            except Exception:
                log.exception("follow-up %s (%s) failed; it is tried again once its lease ends", job.key, job.kind)
                continue
            handled += 1
            try:
                await self._store.done(job)
            except StoreUnavailable as exc:  # handled, but still stored: it comes back after its lease (a double post)
                log.warning("follow-up %s was handled but could not be marked done (%s)", job.key, exc)
        return handled

    async def run_forever(self, interval: float) -> None:
        """`run_once` now, then every `interval` seconds, until cancelled (the job in hand stays claimed,
        and comes back when its lease ends)."""
        while True:
            try:
                await self.run_once()
            except Exception:  # a bug in a store must not stop the follow-ups for good
                log.exception("follow-ups failed; next try in %.0f s", interval)
            await self._sleep(interval)
