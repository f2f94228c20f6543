"""Benchmark 2: a Discord component click through our adapter vs a bare discord.py handler.

Both sides are real discord.py clients, logged in (`client.login`) against the same lean fake
REST API (bench/fake_discord.py) running in its own process on 127.0.0.1, the way Discord's
servers are not on the bot's CPU either. The gateway is played as the tests play it: a raw
INTERACTION_CREATE payload handed to discord.py's own `parse_interaction_create`, which builds
the `Interaction` and schedules the client's `on_interaction`; a turn ends when every task
discord.py scheduled for it has finished.

Ours is the production client (`adapters.discord.client.build_client`) on a `ConversationService`
with a temporary SQLite store (the production default): `on_interaction` reading the click from
its custom_id (the forged-id gate, then session, version, node, choice), session load, engine
step, compare-and-set save, the rendered next question sent
as the interaction's response (callback type 7, "update message"; a deferral and an edit only when
the core takes longer than 2 s). Bare is
a plain `discord.Client` whose `on_interaction` takes the same custom_ids and only sends the
deferred update. Both get the same payloads (the whole message, embed and components, as
Discord sends it) from the same closed-loop users, in alternating blocks.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import random
import re
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import discord

from adapters.discord import render
from adapters.discord.client import OutsourceBot, build_client, intents
from bench.common import Floor, Row, Scale, Section, against_floor, measured_quietly, median, percentile
from bench.planner import Planner
from bench.procs import Server, free_port
from bot.conversation import engine
from bot.conversation.replies import Question
from bot.conversation.service import ConversationService
from bot.dialogs.catalog import MAIN_DIALOG, Catalog
from bot.dialogs.model import Dialog
from bot.stores import SqliteStore

TITLE = "2. Discord turn vs a bare discord.py handler"
APP_ID = "2000"  # the fake's application id
BOT_AUTHOR = {"id": "1000", "username": "outsource-check", "discriminator": "0", "avatar": None, "global_name": None, "bot": True}
BUTTONS = ("oc:a:", "oc:z:")  # an answer button, and "None of these" (the button that answers a pick-several question)
TURN_TIMEOUT = 15.0  # a turn whose tasks have not finished by then is counted as lost (bounded, never a hang)
_ids = itertools.count(1_400_000_000_000_000_000)


# --- the clicks: planned offline with the real engine and our own rendering --------------------------


@dataclass
class Click:
    raw: bytes  # the INTERACTION_CREATE data as JSON, as the gateway delivers it; id and token are added per dispatch
    channel: str
    message: str


@dataclass
class PlannedCheck:
    """One user's check, worked out in advance: its first session and every button click after it."""

    user_id: str
    session: Any
    clicks: list[Click] = field(default_factory=list)


def _user(user_id: str) -> dict:
    return {"id": user_id, "username": f"user{user_id}", "discriminator": "0", "avatar": None, "global_name": None}


def click_payload(user_id: str, channel: str, message: str, rendered: render.Rendered, custom_id: str) -> dict:
    """What Discord's gateway sends for a button press in our DM: the whole message comes with it."""
    assert rendered.view is not None and rendered.embed is not None
    user = _user(user_id)
    shown = {
        "id": message, "channel_id": channel, "type": 0, "content": rendered.content or "", "author": BOT_AUTHOR,
        "attachments": [], "embeds": [rendered.embed.to_dict()], "mentions": [], "mention_roles": [], "pinned": False,
        "mention_everyone": False, "tts": False, "timestamp": "2024-01-01T00:00:00+00:00", "edited_timestamp": None,
        "flags": 0, "components": rendered.view.to_components(),
    }
    return {
        "application_id": APP_ID, "type": 3, "data": {"custom_id": custom_id, "component_type": 2}, "version": 1,
        "locale": "en-US", "app_permissions": "0", "entitlements": [], "attachment_size_limit": 10485760,
        "channel_id": channel, "user": user, "context": 1, "authorizing_integration_owners": {"1": user_id},
        "channel": {"id": channel, "type": 1, "last_message_id": None, "flags": 0, "recipients": [user]},
        "message": shown,
    }


def plan_check(dialog: Dialog, *, number: int, rng: random.Random, now: float) -> PlannedCheck:
    """Walk a check through the engine, clicking a random answer button on each question that has one.

    The check's planned clicks stop at the first question answered only through a menu or a
    modal (the user then starts another check): every measured turn is a button click.
    """
    user_id = str(3_000_000_000 + number)
    channel, message = str(4_000_000_000 + number), str(5_000_000_000 + number)
    step = engine.start(dialog, session_id=f"bench{number:09d}", owner=f"discord:{user_id}", now=now, surface=f"{channel}:{message}")
    plan = PlannedCheck(user_id, step.session)
    session, replies = step.session, step.replies
    while replies and isinstance(replies[0], Question):
        question = replies[0]
        rendered = render.question(question, in_dm=True)
        assert rendered.view is not None
        buttons = [c["custom_id"] for row in rendered.view.to_components() for c in row["components"]
                   if str(c.get("custom_id", "")).startswith(BUTTONS)]
        if not buttons:
            break
        custom_id = rng.choice(buttons)
        choice = custom_id.split(":")[5] if custom_id.startswith("oc:a:") else None
        value: object = () if choice is None else int(choice) if choice.isdigit() else choice  # as AnswerButton decodes it
        raw = json.dumps(click_payload(user_id, channel, message, rendered, custom_id)).encode()
        plan.clicks.append(Click(raw, channel, message))
        step = engine.answer(dialog, session, node=question.node, value=value, version=session.version, now=now)
        assert step.accepted, step.replies
        session, replies = step.session, step.replies
    return plan


# --- the two clients --------------------------------------------------------------------------------


BARE_CUSTOM_ID = re.compile(r"oc:[az]:[A-Za-z0-9_:-]{1,95}")  # the custom_ids the planned clicks carry


async def defer_only(interaction: discord.Interaction) -> None:
    """Issue 7's bare handler: the component's deferred update (callback type 6), nothing else."""
    await interaction.response.defer()


async def whole_message(interaction: discord.Interaction) -> None:
    """The floor (issue 15): answers the click with the message it came from, as an update (type 7).

    The least a useful handler does: one response carrying a whole message (its embed, and its
    components rebuilt into a view), with none of our session, engine or rendering.
    """
    message = interaction.message
    assert message is not None
    view = discord.ui.View.from_message(message, timeout=None)
    view.stop()  # sent, not listened to: a live one would be kept in the client's view store, as ours are not
    await interaction.response.edit_message(content=message.content, embed=message.embeds[0], view=view)


class BareClient(discord.Client):
    """A bare discord.py app: a click on the same custom_ids, read in `on_interaction` as ours are, gets `answer`.

    Read there rather than through a `discord.ui.DynamicItem`, which is the cheaper of discord.py's
    two ways (before calling a dynamic item discord.py rebuilds the clicked message's whole view),
    so that the floor is the least a bare app pays, not the idiom's price.
    """

    def __init__(self, answer: Callable[[discord.Interaction], Awaitable[None]] = defer_only) -> None:
        super().__init__(intents=intents(), allowed_mentions=discord.AllowedMentions.none())  # the same intents as ours
        self.answer = answer

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        data = interaction.data or {}
        if interaction.type is discord.InteractionType.component and BARE_CUSTOM_ID.fullmatch(str(data.get("custom_id", ""))):
            await self.answer(interaction)


class Side:
    """One logged-in client and a way to run one turn on it to the end of everything it scheduled."""

    def __init__(self, name: str, client: discord.Client) -> None:
        self.name = name
        self.client = client
        self.state = client._connection
        self._sink: list[asyncio.Task] | None = None
        # instrumentation only: note the tasks discord.py schedules while one payload is parsed
        views = self.state._view_store
        add_task = views.add_task
        schedule = client._schedule_event

        def noted_add_task(task: asyncio.Task) -> None:
            add_task(task)
            if self._sink is not None:
                self._sink.append(task)

        def noted_schedule(*args: Any, **kwargs: Any) -> asyncio.Task:
            task = schedule(*args, **kwargs)
            if self._sink is not None:
                self._sink.append(task)
            return task

        views.add_task = noted_add_task  # type: ignore[method-assign]
        client._schedule_event = noted_schedule  # type: ignore[method-assign]

    async def turn(self, payload: dict) -> bool:
        """Dispatch as the gateway would; True when discord.py ran a component handler and all its tasks ended in time."""
        sink: list[asyncio.Task] = []
        self._sink = sink
        try:
            self.state.parse_interaction_create(payload)
        finally:
            self._sink = None
        if not any(t.get_name() == "discord.py: on_interaction" for t in sink):
            return False  # no handler was scheduled
        _, late = await asyncio.wait(sink, timeout=TURN_TIMEOUT)
        return not late


# --- the load: closed-loop users, then the fake's arrival times -------------------------------------


@dataclass
class Block:
    side: str
    sent: dict[str, float] = field(default_factory=dict)  # token -> dispatched (perf_counter)
    wanted: int = 0  # the clicks the block was to send
    elapsed: float = 0.0
    finished: int = 0  # turns whose tasks all ended
    failed: set[str] = field(default_factory=set)  # tokens whose turn did not end cleanly
    missing: set[str] = field(default_factory=set)  # tokens whose callback (ours: or edit) never reached the fake
    acks: list[float] = field(default_factory=list)  # dispatched -> callback at the fake
    turns: list[float] = field(default_factory=list)  # dispatched -> the turn's last call at the fake
    calls: dict[str, int] = field(default_factory=dict)
    cpu: float = 0.0  # CPU seconds of the benchmark process over a closed-loop block (clients and load alike)

    @property
    def bad(self) -> int:
        """Turns lost, failed or refused, and clicks that could not be sent."""
        return len(self.failed | self.missing) + max(0, self.wanted - len(self.sent))

    @property
    def throughput(self) -> float:
        return self.finished / self.elapsed if self.elapsed else 0.0

    def ms(self, which: str, pct: float) -> float:
        return percentile(getattr(self, which), pct) * 1000.0


async def _click(side: Side, block: Block, click: Click, sent: float | None = None) -> bool:
    """One click by one user; its latency counts from `sent` (the planned time, when paced) or from now."""
    token = f"bench.{click.channel}.{click.message}.{next(_ids)}"
    payload = discord.utils._from_json(click.raw)  # decoded per dispatch, as discord.py decodes a gateway frame
    payload["id"], payload["token"] = str(next(_ids)), token
    block.sent[token] = time.perf_counter() if sent is None else sent
    if await side.turn(payload):
        block.finished += 1
        return True
    block.failed.add(token)
    return False


@measured_quietly
async def closed_loop(side: Side, checks: list[PlannedCheck], *, clicks: int, users: int) -> Block:
    """`users` people, each clicking its next button as soon as its previous turn ended; stops after `clicks`."""
    block = Block(side.name, wanted=clicks)
    queue = deque(checks)
    remaining = clicks

    async def person() -> None:
        nonlocal remaining
        while remaining > 0 and queue:
            check = queue.popleft()
            for click in check.clicks:
                if remaining <= 0:
                    return
                remaining -= 1
                if not await _click(side, block, click):
                    break  # a turn that did not end cleanly: this check's later clicks would be stale

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(person() for _ in range(users)))
    block.elapsed = time.perf_counter() - started
    block.cpu = time.process_time() - cpu
    return block


@measured_quietly
async def paced(side: Side, checks: list[PlannedCheck], *, rate: float, seconds: float) -> Block:
    """Clicks arriving at a fixed rate, each from a user whose previous turn has ended (else a new user).

    Latency counts from the planned arrival time, so a client that falls behind is charged for it.
    """
    count = int(rate * seconds)
    block = Block(side.name, wanted=count)
    fresh = deque(deque(c.clicks) for c in checks)
    ready: deque[deque[Click]] = deque()
    returned = asyncio.Event()
    running: set[asyncio.Task] = set()

    async def one(clicks: deque[Click], planned: float) -> None:
        if await _click(side, block, clicks.popleft(), planned) and clicks:
            ready.append(clicks)
            returned.set()

    started = time.perf_counter()
    for i in range(count):
        planned = started + i / rate
        delay = planned - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if not ready and not fresh and running:  # every planned user is mid-turn: the next click waits (and is charged)
            returned.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(returned.wait(), TURN_TIMEOUT)
        clicks = ready.popleft() if ready else fresh.popleft() if fresh else None
        if clicks is None:
            break  # planned too few checks: stop rather than invent clicks (counted as not sent)
        task = asyncio.create_task(one(clicks, planned))
        running.add(task)
        task.add_done_callback(running.discard)
    if running:
        await asyncio.wait(set(running), timeout=TURN_TIMEOUT + 5)
    block.elapsed = time.perf_counter() - started
    return block


async def collect(http: aiohttp.ClientSession, fake_url: str, block: Block, *, edits: bool) -> Block:
    """Join the dispatch times with the fake's arrival times; a turn without its calls is lost."""
    async with http.get(f"{fake_url}/bench/times") as response:
        times = await response.json()
    callbacks, edited = times["callbacks"], times["edits"]
    block.calls = times["calls"]
    for token, sent in block.sent.items():
        callback = callbacks.get(token)
        if callback is None:
            block.missing.add(token)
            continue
        at, kind = callback
        if edits:  # ours: the update itself as the response (7), or a deferral (6) and then the edit
            end = at if kind == 7 else edited.get(token) if kind == 6 else None
        else:  # bare: the deferred update is all it sends
            end = at if kind == 6 else None
        if end is None:
            block.missing.add(token)
            continue
        block.acks.append(callback[0] - sent)
        block.turns.append(end - sent)
    return block


def med(blocks: list[Block], fn: Callable[[Block], float]) -> float:
    return median([fn(b) for b in blocks])


class ErrorCount(logging.Handler):
    """discord.py only logs a failing handler: count what the turns logged at WARNING or above."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.seen: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        self.seen[f"{record.name}: {record.getMessage()[:80]}"] += 1


async def run(scale: Scale, workdir: Path | None = None) -> Section:
    section = Section("discord", TITLE)
    workdir = workdir or Path(".")
    fake = Server(["-m", "bench.fake_discord"], {}, workdir / "fake-discord.log", free_port())
    fake_url = f"http://127.0.0.1:{fake.port}"
    store = SqliteStore(workdir / "discord-turn.sqlite3")
    catalog = Catalog.load()
    dialog = catalog.dialogs[MAIN_DIALOG]
    def plan(number: int, rng: random.Random) -> PlannedCheck:
        return plan_check(dialog, number=number, rng=rng, now=time.time())

    planner, bare_planner = Planner(plan, store), Planner(plan)
    errors = ErrorCount()
    saved_base = discord.http.Route.BASE
    ours_client: OutsourceBot | None = None
    bare_client: BareClient | None = None
    updating_client: BareClient | None = None
    http = aiohttp.ClientSession()
    try:
        await fake.ready()
        discord.http.Route.BASE = f"{fake_url}/api/v10"
        ours_client = build_client(service=ConversationService(catalog=catalog, store=store), sync_commands=False)
        bare_client = BareClient()
        updating_client = BareClient(whole_message)
        await ours_client.login("bench-token")
        await bare_client.login("bench-token")
        await updating_client.login("bench-token")
        ours, bare, updating = Side("ours", ours_client), Side("bare", bare_client), Side("updating", updating_client)
        logging.getLogger().addHandler(errors)  # after start-up (discord.py's voice notices are not turns)
        users, clicks = scale.discord_users, scale.discord_clicks
        warm = max(40, clicks // 10)
        await collect(http, fake_url, await closed_loop(bare, await bare_planner.checks(warm), clicks=warm, users=users), edits=False)
        await collect(http, fake_url, await closed_loop(ours, await planner.checks(warm), clicks=warm, users=users), edits=True)
        await collect(http, fake_url, await closed_loop(updating, await bare_planner.checks(warm), clicks=warm, users=users), edits=True)
        bare_runs: list[Block] = []
        updating_runs: list[Block] = []
        ours_runs: list[Block] = []
        for _ in range(scale.discord_blocks):
            bare_checks, updating_checks, ours_checks = (await bare_planner.checks(clicks), await bare_planner.checks(clicks),
                                                         await planner.checks(clicks))
            bare_runs.append(await collect(http, fake_url, await closed_loop(bare, bare_checks, clicks=clicks, users=users), edits=False))
            updating_runs.append(await collect(http, fake_url, await closed_loop(updating, updating_checks, clicks=clicks, users=users),
                                               edits=True))
            ours_runs.append(await collect(http, fake_url, await closed_loop(ours, ours_checks, clicks=clicks, users=users), edits=True))
        rate = max(5.0, 0.5 * med(ours_runs, lambda b: b.throughput))
        needed = int(rate * scale.paced_seconds) + 200
        bare_paced = await collect(http, fake_url, await paced(bare, await bare_planner.checks(needed), rate=rate,
                                                               seconds=scale.paced_seconds), edits=False)
        updating_paced = await collect(http, fake_url, await paced(updating, await bare_planner.checks(needed), rate=rate,
                                                                   seconds=scale.paced_seconds), edits=True)
        ours_paced = await collect(http, fake_url, await paced(ours, await planner.checks(needed), rate=rate,
                                                               seconds=scale.paced_seconds), edits=True)
        _report(section, scale, ours_runs, bare_runs, ours_paced, bare_paced, rate, errors)
        _against_floor(section, ours_runs, bare_runs, updating_runs, ours_paced, updating_paced, rate)
    finally:
        logging.getLogger().removeHandler(errors)
        for client in (ours_client, bare_client, updating_client):
            if client is not None:
                await client.close()
        discord.http.Route.BASE = saved_base
        await http.close()
        await store.close()
        fake.stop()
    return section


def _against_floor(section: Section, ours_runs: list[Block], bare_runs: list[Block], updating_runs: list[Block],
                   ours_paced: Block, updating_paced: Block, rate: float) -> None:
    """Rows against a bare handler that also answers with a whole message (the floor), judged by issue 15's targets."""
    def cpu_ms(blocks: list[Block]) -> float:
        return 1000.0 * sum(b.cpu for b in blocks) / max(1, sum(b.finished for b in blocks))

    def side(blocks: list[Block]) -> Floor:
        return Floor(med(blocks, lambda b: b.throughput), med(blocks, lambda b: b.ms("turns", 99)), cpu_ms(blocks))

    section.add(
        Row("process CPU per full-load turn", cpu_ms(ours_runs), cpu_ms(bare_runs), "ms", "bare discord.py, CPU per deferral",
            note="time.process_time() of the benchmark process over the closed-loop blocks, per turn: the client's work "
                 "plus discord.py parsing the payload, the same for every side"),
        *against_floor(
            side(ours_runs), side(updating_runs),
            ratio=median([o.throughput / u.throughput for o, u in zip(ours_runs, updating_runs, strict=True) if u.throughput]),
            labels=("bare discord.py, update-message responses/s", "bare p99: interaction -> update",
                    "bare discord.py, CPU per update-message response"),
            what="interaction -> next question",
        ),
        Row(f"against the floor: p99 at an equal paced load ({rate:.0f} clicks/s)", ours_paced.ms("turns", 99),
            updating_paced.ms("turns", 99), "ms", "bare p99: interaction -> update, same load"),
    )
    section.method += (
        " The floor (rows marked \"against the floor\", judged by issue 15's targets): a plain `discord.Client` whose `on_interaction` answers with the "
        "message the click came from (its embed, and `View.from_message` of its components) as an update-message response (type 7)."
    )


def _report(section: Section, scale: Scale, ours_runs: list[Block], bare_runs: list[Block], ours_paced: Block,
            bare_paced: Block, rate: float, errors: ErrorCount) -> None:
    users, clicks = scale.discord_users, scale.discord_clicks
    tput_ratio = median([o.throughput / b.throughput for o, b in zip(ours_runs, bare_runs, strict=True) if b.throughput])
    section.add(
        Row("throughput, full turns/s (closed loop)", med(ours_runs, lambda b: b.throughput), med(bare_runs, lambda b: b.throughput),
            "turns/s", "bare discord.py, deferred updates/s", ">= 0.70x bare", tput_ratio >= 0.70, ratio=tput_ratio,
            note=f"{users} users clicking back to back; ratio = median of the per-block ratios"),
    )

    def latency(label: str, ours_v: float, bare_v: float, pct: int, bare_label: str) -> Row:
        judged = pct == 99
        return Row(f"p{pct} {label}", ours_v, bare_v, "ms", bare_label, "<= 1.5x bare" if judged else "",
                   (ours_v <= 1.5 * bare_v) if judged else None)

    for pct in (50, 95, 99):
        section.add(latency("at full load: interaction -> next question at the fake", med(ours_runs, lambda b, p=pct: b.ms("turns", p)),
                            med(bare_runs, lambda b, p=pct: b.ms("turns", p)), pct, f"bare p{pct}: interaction -> callback"))
    section.add(latency("at full load: interaction -> callback (Discord's 3 s clock stops here)",
                        med(ours_runs, lambda b: b.ms("acks", 99)), med(bare_runs, lambda b: b.ms("acks", 99)), 99,
                        "bare p99: interaction -> callback"))
    for pct in (50, 95, 99):
        section.add(latency(f"at an equal paced load ({rate:.0f} clicks/s): interaction -> next question", ours_paced.ms("turns", pct),
                            bare_paced.ms("turns", pct), pct, f"bare p{pct}: interaction -> callback, same load"))
    section.add(latency(f"at an equal paced load ({rate:.0f} clicks/s): interaction -> callback", ours_paced.ms("acks", 99),
                        bare_paced.ms("acks", 99), 99, "bare p99: interaction -> callback, same load"))
    bad = sum(b.bad for b in ours_runs) + ours_paced.bad
    bare_bad = sum(b.bad for b in bare_runs) + bare_paced.bad
    blocks = [*ours_runs, ours_paced]
    section.add(Row("turns lost, failed or refused", bad, bare_bad, "turns", "bare discord.py", "0", bad == 0,
                    note=f"ours: {sum(len(b.failed) for b in blocks)} handler(s) unfinished or unmatched, "
                         f"{sum(len(b.missing) for b in blocks)} without their callback or edit at the fake, "
                         f"{sum(max(0, b.wanted - len(b.sent)) for b in blocks)} click(s) not sent"))
    section.method = (
        f"Both clients in the benchmark process, logged in with `client.login` against one lean fake REST API in its own process "
        f"on 127.0.0.1 (`bench/fake_discord.py`); {scale.discord_blocks} alternating blocks (bare, ours) of {clicks} clicks each, "
        f"{users} simulated users each clicking its next button when its previous turn ended (after an unmeasured warm-up block "
        f"each), then {scale.paced_seconds:.0f} s each at a fixed arrival rate of half our measured throughput (latency counted "
        "from the planned arrival time). A click is a raw INTERACTION_CREATE payload (a DM button press carrying the whole "
        "message: our rendered embed and components) handed to discord.py's own `ConnectionState.parse_interaction_create`; a "
        "turn ends when every task discord.py scheduled for it has finished. Clicks are planned offline with the engine on the "
        "shipped dialog: a random answer button (or `None of these`) on each question, until the first question answered only "
        "through a menu or a modal; then the user starts a fresh check. Each of our checks is saved to the store first. "
        "Ours: `build_client` on a `ConversationService` with a temporary SQLite store (the production default): the forged-id "
        "gate and the click read from the custom_id in `on_interaction` (session/version/node/choice), session load, engine step, "
        "compare-and-set save, render, and the next question as the interaction's response (callback type 7, update message; "
        "a deferral (6) and an edit of @original only when the core needs more than 2 s). Bare: a "
        "plain `discord.Client` whose `on_interaction` takes the same custom_ids and only sends the deferred update (both bare "
        "clients read clicks there, as ours does: a `DynamicItem` costs more, discord.py first rebuilding the clicked message's view). "
        "Latencies come from the fake's arrival times (CLOCK_MONOTONIC, shared by both processes): our turn ends when the "
        "update arrives (with the next question), the bare one when its callback arrives. Every block runs with the "
        "process's heap so far (both clients' start-up objects included, as `settle_after_start_up()` freezes them in "
        "production) frozen out of GC passes (`bench.common.quiet_heap`)."
    )
    section.notes.append(
        "Per block (ours/bare turns/s): " + ", ".join(f"{o.throughput:.0f}/{b.throughput:.0f}" for o, b in zip(ours_runs, bare_runs, strict=True))
    )
    section.notes.append(
        "Per block p99 at full load (ours edit / bare callback, ms): "
        + ", ".join(f"{o.ms('turns', 99):.1f}/{b.ms('turns', 99):.1f}" for o, b in zip(ours_runs, bare_runs, strict=True))
    )
    calls: Counter[str] = Counter()
    for b in [*ours_runs, ours_paced]:
        calls.update(b.calls)
    section.notes.append(f"Fake Discord calls from our client in the measured blocks: {dict(calls)}")
    if errors.seen:
        section.notes.append(f"Logged at WARNING or above during the turns: {dict(errors.seen.most_common(5))}")
