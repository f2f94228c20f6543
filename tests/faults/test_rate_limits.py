"""429 storms from the (fake) Slack Web API against a real `outsource-check slack` process.

Slack answers a call it will not take now with HTTP 429 and `Retry-After`; nothing of that call
was done. Within slack_sdk's retries (three) the bot waits at least Retry-After and sends the call
again, so the turn completes with one message, never two. A storm longer than the retries ends in
the short apology; the answer was saved before any of this, and `resume` shows the check again.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict

from bot.stores import SqliteStore
from bot.words import SLACK_APOLOGY as APOLOGY
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
    unique,
    until,
)
from tests.faults.test_store_outage import answer, started

USERS = 6
RETRY_AFTER = 1  # seconds, as Slack's header carries it
RATE_LIMITED = {"ok": False, "error": "ratelimited"}


def limited(fake, method: str, count: int, retry_after: int | None = RETRY_AFTER) -> None:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    for _ in range(count):
        fake.script(method, status=429, body=RATE_LIMITED, headers=headers)


def waits_after_429s(fake, method: str, key) -> list[float]:
    """For each 429 answered to `method`, the seconds until the same call (by `key`) came again."""
    by_target: dict[object, list[dict]] = defaultdict(list)
    for call in fake.named(method):
        by_target[key(call["body"])].append(call["body"])
    waits = []
    for calls in by_target.values():
        for sent, again in zip(calls, calls[1:], strict=False):
            if sent["_status"] == 429:
                waits.append(again["_at"] - sent["_at"])
    return waits


async def test_a_429_storm_within_the_retries_completes_every_turn_once(fake, bots, tmp_path) -> None:
    spec = str(tmp_path / "data" / "sessions.sqlite3")
    bot = await bots.start(spec)
    users = await asyncio.gather(*(started(bot, unique(f"rl{n}")) for n in range(USERS)))
    clicked: dict[str, list] = {u.id: [] for u in users}

    # every click's in-place update is refused twice over (response_url, then chat.update, then chat.update
    # again), and at the same time a newcomer's first question cannot be posted in the DM, twice
    limited(fake, "response_url", USERS, retry_after=None)
    limited(fake, "chat.update", 2 * USERS)
    limited(fake, "chat.postMessage", 2)
    newcomer = bot.user(unique("rlnew"))
    *clicks, (status, _) = await asyncio.gather(*(press(u) for u in users), newcomer.command(channel=newcomer.dm))
    assert status == 200
    for user, click in zip(users, clicks, strict=True):
        await fake.wait_for(lambda click=click: changed(fake, click.message), HANG)
        clicked[user.id].append((click.node, click.value))
    await until(lambda: any(ch == newcomer.dm and question_number(m) == 1 for (ch, _), m in fake.messages.items()),
                "the newcomer's first question")
    assert not any(fake.scripted.values()), "every scripted 429 was sent"

    for user in users:  # and the checks go on as before
        await answer(user, clicked[user.id])

    refused = sum(1 for call in fake.calls if call["body"]["_status"] == 429)
    update_waits = waits_after_429s(fake, "chat.update", lambda body: (body.get("channel"), body.get("ts")))
    start_waits = waits_after_429s(fake, "chat.postMessage", lambda body: body.get("channel"))
    assert len(update_waits) == 2 * USERS and len(start_waits) == 2
    assert min(update_waits + start_waits) >= RETRY_AFTER, "no call came again sooner than Retry-After said"
    posted = [c for c in fake.dm_posts(newcomer.id) if c["body"]["_status"] == 200]
    assert len(posted) == 1, "one message in the newcomer's DM, not one per attempt"
    for user in [*users, newcomer]:
        assert sum(ch == user.dm for ch, _ in fake.messages) == 1, f"{user.id} has one message in the DM"
        assert APOLOGY not in notices(fake, user.id)
    store = SqliteStore(spec)
    try:
        for user in users:
            assert answers_of(await the_session(store, user.id)) == clicked[user.id]
    finally:
        await store.close()
    assert_no_traceback_reached_users(fake)
    bots.finish()
    record_figures(
        "test_a_429_storm_within_the_retries_completes_every_turn_once",
        users=USERS + 1, calls_answered_429=refused, turns_completed=USERS + 1, retry_after_s=RETRY_AFTER,
        shortest_wait_s=round(min(update_waits + start_waits), 2), duplicate_messages=0, apologies=0, lost=0, process_exits=0,
    )


async def test_a_429_storm_longer_than_the_retries_apologises_and_loses_nothing(fake, bots, tmp_path) -> None:
    spec = str(tmp_path / "data" / "sessions.sqlite3")
    bot = await bots.start(spec)
    user = await started(bot, unique("rlstorm"))
    clicked: list = []
    await answer(user, clicked)

    limited(fake, "response_url", 1, retry_after=None)
    limited(fake, "chat.update", 4, retry_after=0)  # the first attempt and all three retries
    told = len(notices(fake, user.id))
    click = await press(user)
    await until(lambda: len(notices(fake, user.id)) > told, "the apology")
    assert notices(fake, user.id)[told] == APOLOGY, notices(fake, user.id)[told:]
    assert not changed(fake, click.message) and not any(fake.scripted.values())
    clicked.append((click.node, click.value))  # saved before the update was attempted

    status, _ = await user.command("resume", channel=user.dm)
    assert status == 200
    await until(lambda: question_number(user.living()) == len(clicked) + 1, "the resumed check, one question further")
    await answer(user, clicked)
    store = SqliteStore(spec)
    try:
        assert answers_of(await the_session(store, user.id)) == clicked
    finally:
        await store.close()
    assert_no_traceback_reached_users(fake)
    bots.finish()
    record_figures(
        "test_a_429_storm_longer_than_the_retries_apologises_and_loses_nothing",
        consecutive_429s=4, apologies=1, answers_expected=len(clicked), lost=0, doubled=0, process_exits=0,
    )
