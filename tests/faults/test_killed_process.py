"""A Slack HTTP process SIGKILLed in the middle of a turn; another one starts on the same store.

Two moments, on each store a deployment can share between processes (a SQLite file, a Redis):

- after the save, before the update: the click was saved, but the user's message never moved on
  (the fake Slack holds the update, then drops it unanswered). Pressing the same button again on
  the new process changes nothing ("already answered"); `/outsource-check resume` shows where they are.
- during the save: the save could not finish (another writer holds SQLite's lock; Redis's writes
  are paused with CLIENT PAUSE WRITE) when the process died. Nothing was written; the same button,
  pressed again, is answered by the new process.

Either way every answer is stored exactly once: none lost, none doubled.
"""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

import pytest

from bot.stores import SqliteStore
from bot.stores.redis import RedisStore
from tests.faults.conftest import (
    HANG,
    answers_of,
    assert_no_traceback_reached_users,
    changed,
    notices,
    press,
    question_number,
    record_figures,
    the_session,
    try_agains,
    unique,
    until,
)
from tests.faults.test_store_outage import answer, started

AFTER_SAVE = "after the save, before the update"
DURING_SAVE = "during the save"


async def outcome(user, click, told_before: int) -> str:
    """"answered" once the message moved on, else the first new thing the user was told."""
    fake = user.h.fake
    await fake.wait_for(lambda: changed(fake, click.message) or len(notices(fake, user.id)) > told_before, HANG)
    return "answered" if changed(fake, click.message) else notices(fake, user.id)[told_before]


def blocked_saves(server) -> list[str]:
    """Ids of Redis clients held by CLIENT PAUSE WRITE in a script call (the store's compare-and-set)."""
    return [c["id"] for c in server.client().client_list() if "b" in c.get("flags", "") and c.get("cmd") in {"eval", "evalsha"}]


@pytest.mark.parametrize("when", [AFTER_SAVE, DURING_SAVE])
@pytest.mark.parametrize("kind", ["sqlite", "redis"])
async def test_a_process_killed_mid_turn_loses_and_doubles_nothing(kind: str, when: str, fake, bots, tmp_path: Path, request) -> None:
    keys = f"oc-test-faults-{uuid.uuid4().hex[:10]}:"
    env = {"OUTSOURCE_CHECK_REDIS_PREFIX": keys}
    if kind == "redis":
        server = request.getfixturevalue("private_redis")
        spec = server.url
    else:
        spec = str(tmp_path / "data" / "sessions.sqlite3")
    first = await bots.start(spec, env=env)
    store = RedisStore(spec, prefix=keys) if kind == "redis" else SqliteStore(spec)  # the test's own look at it
    try:
        user = await started(first, unique("kill"))
        clicked: list = []
        for _ in range(2):
            await answer(user, clicked)

        # --- the kill ------------------------------------------------------------------------------
        blocked_id = ""
        if when == AFTER_SAVE:
            gate = fake.hold("response_url")  # the update is parked here
            fake.script("response_url", status=0)  # and, once let go, dropped unanswered
            arrived = fake.arrived_methods.count("response_url")
            click = await press(user)
            await until(lambda: fake.arrived_methods.count("response_url") > arrived, "the update to be sent")
            first.kill()
            gate.set()
            saved = answers_of(await the_session(store, user.id))
            assert saved == [*clicked, (click.node, click.value)], "the click was saved before the process died"
            clicked.append((click.node, click.value))
        else:
            lock = None
            if kind == "sqlite":
                lock = sqlite3.connect(spec, timeout=HANG, isolation_level=None)
                lock.execute("BEGIN IMMEDIATE")  # another writer: the bot's save must wait for it
            else:
                server.client().client_pause(int(HANG * 1000), all=False)  # writes (and scripts) wait; reads go on
            try:
                told = try_agains(fake, user.id)
                click = await press(user)  # acknowledged: the turn is under way
                if kind == "redis":
                    await until(lambda: blocked_saves(server) or try_agains(fake, user.id) > told, "the save to block")
                    blocked_id = (blocked_saves(server) or [""])[0]
                first.kill()
                if kind == "redis" and blocked_id:  # Redis must notice the dead client before writes resume
                    await until(lambda: blocked_id not in blocked_saves(server), "Redis to drop the dead client")
            finally:
                if lock is not None:
                    lock.execute("ROLLBACK")
                    lock.close()
                if kind == "redis":
                    server.client().client_unpause()
            saved = answers_of(await the_session(store, user.id))
            assert saved == clicked, "nothing of the interrupted turn was written"
        assert changed(fake, click.message) is False, "the user's message never moved on"

        # --- another process on the same store; the user carries on -------------------------------------
        second = await bots.start(spec, env=env)
        user = second.user(user.id)
        told = len(notices(fake, user.id))
        again = await press(user, click.message)  # the screen is unchanged: the same button again
        result = await outcome(user, again, told)
        if when == AFTER_SAVE:
            assert result != "answered" and "already answered" in result, result
            before = user.living()
            status, _ = await user.command("resume", channel=user.dm)
            assert status == 200
            await until(lambda: user.living() != before and question_number(user.living()) > 0, "the resumed check")
        else:
            assert result == "answered", result
            clicked.append((again.node, again.value))
        for _ in range(2):
            await answer(user, clicked)

        stored = answers_of(await the_session(store, user.id))
        assert stored == clicked, (stored, clicked)
        assert len({node for node, _ in stored}) == len(stored), "no question answered twice"
        assert first.errors() == []
        assert_no_traceback_reached_users(fake)
        bots.finish()
    finally:
        await store.close()
    record_figures(
        f"test_a_process_killed_mid_turn_loses_and_doubles_nothing[{kind}-{when}]",
        answers_clicked=len(clicked), answers_stored=len(stored), lost=max(0, len(clicked) - len(stored)),
        doubled=max(0, len(stored) - len(clicked)), redis_save_seen_blocked=bool(blocked_id),
        second_press=result, second_process_exit=0,
    )
