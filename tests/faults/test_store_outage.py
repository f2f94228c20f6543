"""A store outage: a private redis-server is SIGKILLed mid-conversation and restarted on the same port.

Users of the real `outsource-check slack` process (and of `outsource-check chat`) who click or type
during the outage are told to try again; nothing they answered before is lost, nothing is
half-written, and once Redis is back the same click goes through exactly once.
"""

from __future__ import annotations

import asyncio
import io
import time
import uuid

from adapters.terminal.chat import TerminalChat
from bot.conversation.service import ConversationService
from bot.dialogs.catalog import Catalog
from bot.stores import MemoryStore
from bot.stores.redis import RedisStore
from tests.conftest import DIALOGS
from tests.faults.conftest import (
    CHAT_TRY_AGAIN,
    QUESTION,
    QUESTION_OR_TRY_AGAIN,
    RETRIES,
    Chat,
    answer_until_taken,
    answered_or_told,
    answers_of,
    assert_no_traceback_reached_users,
    attempt,
    press,
    question_number,
    record_figures,
    terminal_session,
    texts_sent,
    the_session,
    try_agains,
    unique,
    until,
)

USERS = 10
OUTAGE_ROUNDS = 4  # every user clicks at least this many times while Redis is down,
OUTAGE_SECONDS = 2.0  # and the outage lasts at least this long (a figure to report, never a limit)
ROUND_GAP = 0.25
MAX_ROUNDS = 40


def prefix() -> str:
    return f"oc-test-faults-{uuid.uuid4().hex[:10]}:"


async def started(bot, user_id: str):
    """`/outsource-check` typed in the bot's DM; the first question is on screen."""
    user = bot.user(user_id)
    status, _ = await user.command(channel=user.dm)
    assert status == 200
    fake = bot.fake
    await until(lambda: any(ch == user.dm and question_number(m) == 1 for (ch, _), m in fake.messages.items()), "question 1")
    return user


async def answer(user, clicked: list) -> None:
    """One click, waited for until the living message moved on."""
    click, result = await attempt(user)
    assert result == "answered", result
    clicked.append((click.node, click.value))


async def test_slack_users_clicking_through_a_redis_outage_lose_nothing(fake, bots, private_redis) -> None:
    keys = prefix()
    bot = await bots.start(private_redis.url, metrics=True, env={"OUTSOURCE_CHECK_REDIS_PREFIX": keys})
    ids = [unique(f"out{n}") for n in range(USERS)]
    users = await asyncio.gather(*(started(bot, i) for i in ids))
    clicked: dict[str, list] = {u.id: [] for u in users}

    async def two_answers(user) -> None:
        for _ in range(2):
            await answer(user, clicked[user.id])

    await asyncio.gather(*(two_answers(u) for u in users))
    assert await bot.ready() == 200

    # --- the outage: Redis dies with every user mid-check ------------------------------------------
    private_redis.kill()
    down_since = time.monotonic()
    down_clicks = rounds = 0
    while rounds < MAX_ROUNDS and (rounds < OUTAGE_ROUNDS or time.monotonic() - down_since < OUTAGE_SECONDS):
        if rounds:
            await asyncio.sleep(ROUND_GAP)  # users click again now and then, as people do
        rounds += 1
        told = {u.id: try_agains(fake, u.id) for u in users}
        clicks = await asyncio.gather(*(press(u) for u in users))  # the screen is unchanged: the same button again
        outcomes = await asyncio.gather(*(answered_or_told(u, c, told[u.id]) for u, c in zip(users, clicks, strict=True)))
        assert outcomes == ["try again"] * USERS, outcomes
        down_clicks += len(clicks)
    assert await bot.ready() == 503, "readiness says the store is gone"
    assert bot.alive()

    # --- Redis is back, with everything it had acknowledged ------------------------------------------
    private_redis.start()
    outage = time.monotonic() - down_since  # a figure for the docs, never asserted
    retried = 0

    async def recover(user) -> None:
        nonlocal retried
        retried += await answer_until_taken(user, clicked[user.id], "after Redis came back")
        for _ in range(2):
            await answer(user, clicked[user.id])

    await asyncio.gather(*(recover(u) for u in users))
    assert await bot.ready() == 200

    store = RedisStore(private_redis.url, prefix=keys)
    try:
        lost = doubled = answered = 0
        for user in users:
            stored = answers_of(await the_session(store, user.id))
            expected = clicked[user.id]
            answered += len(expected)
            lost += max(0, len(expected) - len(stored))
            doubled += max(0, len(stored) - len(expected))
            assert stored == expected, (user.id, stored, expected)
    finally:
        await store.close()
    told_total = sum(try_agains(fake, u.id) for u in users)
    assert told_total == down_clicks + retried, "every click during the outage, and only those, got a try again"
    assert_no_traceback_reached_users(fake)
    bots.finish()
    record_figures(
        "test_slack_users_clicking_through_a_redis_outage_lose_nothing",
        users=USERS, outage_seconds=round(outage, 2), clicks_during_outage=down_clicks, told_try_again=told_total, retries_after_restart=retried,
        answers_expected=answered, lost=lost, doubled=doubled, process_exits=0,
    )


async def test_a_terminal_user_typing_through_a_redis_outage_loses_nothing(private_redis) -> None:
    keys = prefix()
    user = f"fault-{uuid.uuid4().hex[:8]}"
    chat = Chat(private_redis.url, user, env={"OUTSOURCE_CHECK_REDIS_PREFIX": keys})
    accepted: list[str] = []
    try:
        await chat.start()
        for _ in range(2):
            await chat.say("1")
            accepted.append("1")

        private_redis.kill()
        down = ["1", "1", "b", "1"]  # an answer, again, going back, an answer: each needs the store
        for line in down:
            printed = await chat.say(line, CHAT_TRY_AGAIN)
            assert not QUESTION.search(printed), "nothing moved while the store was down"

        private_redis.start()
        retried = 0
        for _ in range(RETRIES):
            printed = await chat.say("1", QUESTION_OR_TRY_AGAIN)
            if QUESTION.search(printed):
                accepted.append("1")
                break
            retried += 1
        else:
            raise AssertionError("still told to try again after Redis came back")
        for _ in range(40):  # to the end of the check, first choice each time (bounded: the dialog is shorter)
            printed = await chat.say("1")
            accepted.append("1")
            if "RECOMMENDATION:" in printed:
                break
        assert "RECOMMENDATION:" in printed
        assert await chat.quit() == 0
    finally:
        await chat.close()
    assert "Traceback" not in chat.out + chat.err

    stored = await terminal_session(private_redis.url, keys, user)
    expected = await shadow(accepted)
    assert stored.finished and answers_of(stored) == expected
    told = len(CHAT_TRY_AGAIN.findall(chat.out))
    assert told == len(down) + retried
    record_figures(
        "test_a_terminal_user_typing_through_a_redis_outage_loses_nothing",
        lines_during_outage=len(down), told_try_again=told, answers_expected=len(expected),
        answers_stored=len(stored.answers), lost=max(0, len(expected) - len(stored.answers)),
        doubled=max(0, len(stored.answers) - len(expected)), exit_status=0,
    )


async def shadow(lines: list[str]) -> list:
    """The answers the same accepted lines give in a store that never failed (in this process, in memory)."""
    store = MemoryStore()
    chat = TerminalChat(service=ConversationService(catalog=Catalog.load(DIALOGS), store=store), user="terminal:shadow", out=io.StringIO())
    await chat.begin()
    for line in lines:
        assert await chat.line(line)
    (session,) = await store.sessions_of("terminal:shadow")
    return answers_of(session)


def told_to_try_again(fake) -> int:
    """Calls to Slack that asked the user to try again, whatever the path (ephemeral, DM, Home tab) and wording."""
    return sum("try again in a moment" in text for text in texts_sent(fake))


async def test_every_other_slack_path_says_try_again_during_a_redis_outage(fake, bots, private_redis) -> None:
    """Not only clicks: a new check, resume, history, a typed answer, the Home tab and a team export."""
    bot = await bots.start(private_redis.url, env={"OUTSOURCE_CHECK_REDIS_PREFIX": prefix()})
    ann = await started(bot, unique("path"))
    clicked: list = []
    await answer(ann, clicked)
    newcomer = bot.user(unique("pathnew"))
    private_redis.kill()
    paths = {
        "a new check": lambda: newcomer.command(channel=newcomer.dm),
        "resume": lambda: ann.command("resume", channel=ann.dm),
        "history": lambda: ann.command("history", channel=ann.dm),
        "a typed answer": lambda: ann.type_in_dm("Corner Cafe"),
        "the Home tab": lambda: ann.h.event({"type": "app_home_opened", "user": ann.id, "tab": "home", "channel": ann.dm}),
        "team export": lambda: ann.command("team export", channel="C0GENERAL"),
    }
    for name, path in paths.items():
        before = told_to_try_again(fake)
        status, _ = await path()
        assert status == 200, name
        await until(lambda before=before: told_to_try_again(fake) > before, f"a try again for {name}")
    assert bot.alive()
    assert not any(ch == newcomer.dm for ch, _ in fake.messages), "no placeholder left behind in the newcomer's DM"

    private_redis.start()
    await answer_until_taken(ann, clicked, "after Redis came back")  # the same user carries on where they were
    store = RedisStore(private_redis.url, prefix=bot.extra["OUTSOURCE_CHECK_REDIS_PREFIX"])
    try:
        assert answers_of(await the_session(store, ann.id)) == clicked
    finally:
        await store.close()
    assert_no_traceback_reached_users(fake)
    bots.finish()
    record_figures(
        "test_every_other_slack_path_says_try_again_during_a_redis_outage",
        paths=list(paths), told_try_again=told_to_try_again(fake), process_exits=0, lost=0,
    )
