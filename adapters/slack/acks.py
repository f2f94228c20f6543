"""Slack's answer leaves the moment a listener acks, and the listener goes on in a task of its own.

bolt's default asyncio runner starts each listener in a task and looks for its ack every 10 ms
(slack_bolt/listener/asyncio_runner.py), so no ack left sooner than that: at human pace it was
most of an ack's time (docs/performance.md, benchmark 9). The app runs bolt with
`process_before_response`, where bolt answers when the listener it awaits returns, and wraps
every listener in `ack_first`, which returns at the ack.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger("outsource_check.slack")


LISTENING: set[asyncio.Task[None]] = set()  # listeners running after their ack (the loop keeps only weak references)
ACK_WITHIN = 3.0  # seconds: Slack stops waiting for an answer then, and so does bolt's own runner


def ack_first(listener: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[object]]:
    """`listener` in a task of its own, returning to bolt as soon as it acks, with the ack's response.

    With `process_before_response`, bolt answers Slack when the listener it awaits returns; this
    returns at the ack, so the rest of the turn runs after the answer, as bolt's default runner
    would run it, but without that runner's 10 ms polling for the ack. A listener that fails before
    its ack fails here, for bolt to answer 500 and log it as before; one that fails later is logged.
    One that has not acked within `ACK_WITHIN` is given up on, as bolt's runner would (bolt then
    answers 404, as for a request no listener took), and goes on. An event listener takes no ack
    (bolt acknowledges events itself): it returns at once."""

    @functools.wraps(listener)  # bolt reads the arguments to pass from the listener's own signature
    async def run(**kwargs: object) -> object:
        loop = asyncio.get_running_loop()
        ack = kwargs.get("ack")
        acked: asyncio.Future[object] | None = None
        if callable(ack):
            acked = loop.create_future()

            async def ack_then_go_on(*args: object, **options: object) -> object:
                response = await ack(*args, **options)
                if not acked.done():
                    acked.set_result(response)
                return response

            kwargs["ack"] = ack_then_go_on
        task = asyncio.ensure_future(listener(**kwargs))
        LISTENING.add(task)
        task.add_done_callback(functools.partial(_listener_ended, acked))
        if acked is None:
            return None
        late = loop.call_later(ACK_WITHIN, _no_ack_in_time, acked)
        try:
            return await acked
        finally:
            late.cancel()

    return run


def _no_ack_in_time(acked: asyncio.Future[object]) -> None:
    if not acked.done():
        log.warning("a Slack listener did not acknowledge within %g s: bolt answers without it", ACK_WITHIN)
        acked.set_result(None)


def _listener_ended(acked: asyncio.Future[object] | None, task: asyncio.Task[None]) -> None:
    LISTENING.discard(task)
    failure = None if task.cancelled() else task.exception()
    if acked is not None and not acked.done():  # ended without an ack: bolt answers as it would have
        if failure is not None:
            acked.set_exception(failure)
        else:
            acked.set_result(None)
    elif failure is not None:
        log.error("a Slack listener failed after its ack", exc_info=failure)
