"""One real process for tests/test_followups.py's race: `python -m tests.followups_worker KIND WHERE PREFIX OUT GO`.

It opens its own store (the SQLite file WHERE, or the Redis at WHERE under PREFIX), says it is
ready (creates OUT.ready), waits for the file GO, then runs the follow-up runner until nothing is
left for it: every job it handles is appended to OUT, one key a line. Exit status 0, or 3 if GO
never came.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

from bot.followups.jobs import Job
from bot.followups.runner import FollowUpRunner
from bot.stores.redis import RedisStore
from bot.stores.sqlite import SqliteStore

HANG = 60.0  # a hang guard, not a speed limit


async def ready_then_wait(out: str, go: str) -> bool:
    """Say this process is ready (OUT.ready), then wait for GO; False if it never came (a hang guard)."""
    Path(out + ".ready").touch()
    deadline = time.monotonic() + HANG
    while not Path(go).exists():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.001)
    return True


async def main(kind: str, where: str, prefix: str, out: str, go: str) -> int:
    store = RedisStore(where, prefix=prefix) if kind == "redis" else SqliteStore(where)
    try:
        with open(out, "a", encoding="utf-8") as handled:

            async def handler(job: Job) -> None:
                handled.write(job.key + "\n")
                handled.flush()
                await asyncio.sleep(0)

            runner = FollowUpRunner(store, handler, limit=5)
            if not await ready_then_wait(out, go):
                return 3
            while await runner.run_once() > 0:  # 0: nothing due is left that the other process does not hold
                pass
    finally:
        await store.close()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(*sys.argv[1:6])))
