"""One real process for tests/test_followups_wired.py's race: `python -m tests.followups_wired_worker WHERE OUT GO`.

It serves the SQLite file WHERE as a bot does its follow-ups: the real service, the real runner and
adapters/runtime.py's handler, with a delivery that appends each recipient's key to OUT instead of
posting. It says it is ready (creates OUT.ready), waits for the file GO, then runs until nothing due
is left for it. Exit status 0, or 3 if GO never came.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

from adapters.runtime import follow_up_handler
from bot.conversation.replies import Question, Reply
from bot.conversation.service import ConversationService
from bot.dialogs.catalog import Catalog
from bot.followups.runner import FollowUpRunner
from bot.stores.sqlite import SqliteStore
from tests.followups_worker import ready_then_wait

ROOT = Path(__file__).resolve().parent.parent


async def main(where: str, out: str, go: str) -> int:
    store = SqliteStore(where)
    service = ConversationService(
        catalog=Catalog.load(ROOT / "dialogs"), store=store, nudge_after=1.0, clock=lambda: time.time() + 3600
    )  # an hour on: every check has been quiet for its second
    try:
        with open(out, "a", encoding="utf-8") as posted:

            async def deliver_to(user: str, replies: list[Reply]) -> None:
                assert any(isinstance(r, Question) and r.preface and r.preface[0].startswith("You're 0 of") for r in replies)
                posted.write(user + "\n")
                posted.flush()
                await asyncio.sleep(0)

            runner = FollowUpRunner(store, follow_up_handler(service, "slack", deliver_to), limit=3)
            if not await ready_then_wait(out, go):
                return 3
            for _ in range(500):  # until nothing is due (a posted nudge re-arms itself, quietly: bounded, not endless)
                if await runner.run_once(now=time.time() + 3600) == 0:
                    break
    finally:
        await store.close()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(*sys.argv[1:4])))
