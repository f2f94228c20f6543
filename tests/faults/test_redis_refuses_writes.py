"""Redis up but refusing writes: out of memory (maxmemory reached, noeviction), or demoted to a read-only replica.

Reads still work, every save is refused with an error reply (`OOM ...`, `READONLY ...`). The
store's own list of "outage" replies (`bot/stores/redis.py`, OUTAGE_REPLIES) names both, so users
should be told to try again, as in any outage, and carry on once Redis takes writes again.

redis-py (8.1.0) turns those replies into exception classes (OutOfMemoryError, ReadOnlyError;
NoPermissionError and MasterDownError alike) and strips the code from the message: the store's
`is_outage()` reads the class as well as the message's first word (these tests failed before it did).
"""

from __future__ import annotations

import uuid

import pytest

from bot.stores.redis import RedisStore
from tests.faults.conftest import (
    CHAT_TRY_AGAIN,
    QUESTION,
    Chat,
    answers_of,
    assert_no_traceback_reached_users,
    attempt,
    free_port,
    terminal_session,
    the_session,
    unique,
)
from tests.faults.test_store_outage import answer, shadow, started


def refuse_writes(server, how: str) -> None:
    client = server.client()
    if how == "out of memory":
        client.config_set("maxmemory", "1")  # the default policy, noeviction: every write is refused with OOM
    else:
        client.execute_command("REPLICAOF", "127.0.0.1", str(free_port()))  # a primary nobody runs: it keeps its data


def take_writes(server, how: str) -> None:
    client = server.client()
    if how == "out of memory":
        client.config_set("maxmemory", "0")
    else:
        client.execute_command("REPLICAOF", "NO", "ONE")


@pytest.mark.parametrize("how", ["a read-only replica"])  # out of memory takes the same path (the chat tests show both)
async def test_slack_users_are_told_to_try_again_while_redis_refuses_writes(how: str, fake, bots, private_redis) -> None:
    keys = f"oc-test-faults-{uuid.uuid4().hex[:10]}:"
    bot = await bots.start(private_redis.url, env={"OUTSOURCE_CHECK_REDIS_PREFIX": keys})
    user = await started(bot, unique("refuse"))
    clicked: list = []
    await answer(user, clicked)
    refuse_writes(private_redis, how)
    try:
        _, result = await attempt(user)  # the defect: this click gets HTTP 404 (no ack) and no reply
        assert result == "try again"
    finally:
        take_writes(private_redis, how)
    await answer(user, clicked)
    store = RedisStore(private_redis.url, prefix=keys)
    try:
        assert answers_of(await the_session(store, user.id)) == clicked
    finally:
        await store.close()
    assert_no_traceback_reached_users(fake)
    bots.finish()


@pytest.mark.parametrize("how", ["out of memory", "a read-only replica"])
async def test_a_terminal_user_is_told_to_try_again_while_redis_refuses_writes(how: str, private_redis) -> None:
    keys = f"oc-test-faults-{uuid.uuid4().hex[:10]}:"
    user = f"fault-{uuid.uuid4().hex[:8]}"
    chat = Chat(private_redis.url, user, env={"OUTSOURCE_CHECK_REDIS_PREFIX": keys})
    try:
        await chat.start()
        await chat.say("1")
        refuse_writes(private_redis, how)
        try:
            await chat.say("1", CHAT_TRY_AGAIN)  # the defect: the chat exits here with a traceback
        finally:
            take_writes(private_redis, how)
        await chat.say("1", QUESTION)
        assert await chat.quit() == 0
    finally:
        await chat.close()
    assert "Traceback" not in chat.out + chat.err
    stored = await terminal_session(private_redis.url, keys, user)
    assert answers_of(stored) == await shadow(["1", "1"])
