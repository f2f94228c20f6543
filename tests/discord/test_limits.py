"""Discord's component and embed limits hold for every node of both shipped dialogs, and a
dialog at (or past) the limits renders clipped instead of crashing."""

from __future__ import annotations

from types import SimpleNamespace

import discord
import pytest

from adapters.common.pictures import draw
from adapters.discord import components, render
from bot.conversation import layout
from bot.conversation.replies import Advice, Option, Progress, Question, ResultCard, ScoreLine
from bot.dialogs.catalog import Catalog
from bot.dialogs.model import SCALE_VALUES, Node
from tests.conftest import DIALOGS

SESSION = "S" * 16  # longer than the core's 12-character ids
VERSION = 999_999_999


def as_question(dialog_title: str, node: Node) -> Question:
    if node.kind == "scale":
        options = tuple(Option(str(v), f"{v} - {node.scale_low if v == 1 else node.scale_high}") for v in SCALE_VALUES)
    else:
        options = tuple(Option(c.id, c.label) for c in node.choices)
    return Question(
        session_id=SESSION, version=VERSION, dialog_id="d", dialog_title=dialog_title, node=node.id, kind=node.kind,
        text=node.text, options=options, progress=Progress(30, 30), why=node.why, source=node.source.file if node.source else "",
        preface=("A message before the question. " * 20,), min_picks=node.min_picks, max_picks=node.max_picks or 0,
        max_length=node.max_length, can_go_back=True,
    )


def shipped_questions() -> list[Question]:
    catalog = Catalog.load(DIALOGS)
    return [as_question(d.title, n) for d in catalog.dialogs.values() for n in d.nodes.values() if n.is_question]


def check_limits(rendered: render.Rendered) -> None:
    rows = rendered.view.to_components() if rendered.view else []
    assert len(rows) <= 5
    for row in rows:
        items = row["components"]
        assert len(items) <= 5 and (len(items) == 1 or all(i["type"] == 2 for i in items))
        for item in items:
            assert len(item["custom_id"]) <= components.MAX_CUSTOM_ID and components.read(item["custom_id"]) is not None, item["custom_id"]
            assert len(item.get("label", "")) <= 80
            if item["type"] == 3:
                assert 1 <= len(item["options"]) <= 25 and all(len(o["label"]) <= 100 for o in item["options"])
                assert item["min_values"] <= item["max_values"] <= len(item["options"])
    embed = rendered.embed
    if embed is not None:
        assert len(embed) <= 6000 and len(embed.title or "") <= 256 and len(embed.description or "") <= 4096
        assert len(embed.fields) <= 25 and all(len(f.value) <= 1024 and len(f.name) <= 256 for f in embed.fields)
        assert len(embed.footer.text or "") <= 2048
    assert len(rendered.content or "") <= 2000
    if rendered.view is not None:
        assert_discord_reads_it_back(rendered)


@pytest.mark.parametrize("question", shipped_questions(), ids=lambda q: q.node)
def test_every_shipped_question_fits_discord(question: Question) -> None:
    rendered = render.question(question)
    check_limits(rendered)
    answers = [i for row in rendered.view.to_components() for i in row["components"] if components.read(i.get("custom_id")) is not None]
    assert answers, "every question offers a way to answer (a component whose clicks come back to our items)"


def assert_discord_reads_it_back(rendered: render.Rendered) -> None:
    """discord.py reads the components we send (as it reads any message's) and writes them back as
    the same JSON: what we build is exactly what a view of discord.ui items would have sent."""
    assert rendered.view is not None
    sent = rendered.view.to_components()
    message = SimpleNamespace(components=[discord.ActionRow(row) for row in sent], flags=discord.MessageFlags())
    assert discord.ui.View.from_message(message, timeout=None).to_components() == sent  # type: ignore[arg-type]


async def test_views_are_sent_stopped_so_the_client_keeps_none_of_them() -> None:
    """A live view would be registered in discord.py's view store on every send; ours hold nothing to
    dispatch (clicks come back through the registered `Act` and `Menu` items), so they go stopped and empty."""
    question = shipped_questions()[0]
    view = render.question(question).view
    assert view is not None and view.is_finished() and not view.is_dispatchable()
    sent = [i for row in view.to_components() for i in row["components"]]
    assert sent and all(i["type"] in (2, 3) and components.read(i["custom_id"]) is not None for i in sent)


def test_a_dialog_at_and_past_the_limits_renders_clipped() -> None:
    for kind in ("choice", "multi"):
        options = tuple(Option(f"c{i:02d}" + "x" * 29, f"{i} " + "L" * 120) for i in range(25))
        question = Question(
            session_id=SESSION, version=VERSION, dialog_id="d", dialog_title="T" * 300, node="n" * 32, kind=kind,
            text="Q" * 5000, options=options, progress=Progress(1, 2), why="W" * 3000, source="s" * 100,
            preface=("P" * 3000,) * 5, min_picks=25 if kind == "multi" else 0, max_picks=25, can_go_back=True,
            description="D" * 3000, previous=(options[0].id,) if options else ("x" * 600,),
        )
        check_limits(render.question(question))
    small = Question(session_id=SESSION, version=VERSION, dialog_id="d", dialog_title="T", node="n", kind="choice", text="?",
                     options=tuple(Option(f"c{i}", "B" * 90) for i in range(4)), progress=Progress(1, 2))
    check_limits(render.question(small))


def test_a_huge_result_card_stays_inside_the_embed_limits() -> None:
    card = ResultCard(
        session_id=SESSION, version=VERSION, dialog_id="d", dialog_title="D" * 300, outcome="o", title="T" * 400,
        summary="S" * 5000, why="W" * 2000,
        scores=tuple(ScoreLine(f"d{i}", "L" * 200, i, -10, 10) for i in range(12)),
        reasons=tuple(Advice("R" * 600, "Q" * 600, "A" * 300) for _ in range(10)),
        tensions=tuple(Advice("T" * 600, "Q" * 600, "A" * 300) for _ in range(10)),
        next_steps=tuple("N" * 300 for _ in range(20)), still_to_settle=tuple("U" * 300 for _ in range(10)),
        sources=tuple("s" * 100 for _ in range(10)), preface=("P" * 2000,) * 3, subject="B" * 200,
    )
    check_limits(render.rendered(layout.result(card), shown=draw(card)))
    shared = render.rendered(layout.shared(card, "discord:3000")).embed
    assert len(shared) <= 6000 and all(len(f.value) <= 1024 for f in shared.fields)
