"""The turns a chat process is running, so that stopping it never cuts one off.

Every platform acknowledges a click first and does the work after (Slack's listener runs on after
its ack, Discord's interaction after its deferral), so a process told to stop (SIGTERM from a
container runtime, a deploy) must wait for those turns: their replies still need the platform's
API. A turn that begins while the process is stopping is told so rather than started.
"""

from __future__ import annotations

import asyncio
import logging
from types import TracebackType

from adapters.logs import new_turn


class Turns:
    def __init__(self, log: logging.Logger) -> None:
        self.log = log  # the platform's own logger: its lines say which process is stopping
        self.running: set[asyncio.Task[object]] = set()
        self.late: set[asyncio.Task[object]] = set()  # begun once stopping had started: refused
        self.stopping = False

    def turn(self, *, fresh: bool = True) -> _Turn:
        """One turn (`fresh`: with a new correlation id for the logs): tracked until it ends.
        Nested use (a turn inside a turn, in the same task) counts once."""
        return _Turn(self, fresh)

    def is_late(self) -> bool:
        """Whether the current turn began after stopping started (say so instead of doing it)."""
        return asyncio.current_task() in self.late

    async def finish(self, *, timeout: float) -> None:
        """Refuse new turns, then wait (at most `timeout` seconds) for the ones running."""
        self.stopping = True
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        announced = False
        while True:  # turns that began just before `stopping` was set are waited for too
            pending = [t for t in self.running if t is not asyncio.current_task() and not t.done()]
            if not pending:
                return
            if not announced:
                self.log.info("finishing %d turn(s) in flight", len(pending))
                announced = True
            left = deadline - loop.time()
            if left <= 0:
                self.log.warning("%d turn(s) still running after %ss; closing anyway", len(pending), timeout)
                return
            await asyncio.wait(pending, timeout=left)


class _Turn:
    """`async with turns.turn():` as a plain object, not an `asynccontextmanager`: every click enters
    one or two, and a generator-based manager costs 2 us a time against 0.4 (issue 15's twelfth pass)."""

    __slots__ = ("turns", "fresh", "task")

    def __init__(self, turns: Turns, fresh: bool) -> None:
        self.turns = turns
        self.fresh = fresh
        self.task: asyncio.Task[object] | None = None  # set only for the outermost turn of a task

    async def __aenter__(self) -> None:
        if self.fresh:
            new_turn()
        task = asyncio.current_task()
        if task is None or task in self.turns.running:
            return
        self.task = task
        self.turns.running.add(task)
        if self.turns.stopping:
            self.turns.late.add(task)

    async def __aexit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self.task is not None:
            self.turns.running.discard(self.task)
            self.turns.late.discard(self.task)
