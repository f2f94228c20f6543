"""The pictures of a team comparison and of one result, from rounds and checks driven through the core."""

from __future__ import annotations

import struct
import zlib
from dataclasses import replace
from io import BytesIO

from PIL import Image

from bot import words
from bot.conversation import layout, png
from bot.conversation import picture as picture_module
from bot.conversation.events import Answer, Event, OpenRound, RevealRound, Start, TakeRoundCheck
from bot.conversation.picture import MARGIN, MEDIAN, MEMBER_COLOURS, WIDTH, Picture, result_picture, team_picture
from bot.conversation.replies import Question, ResultCard, Spread, TeamSummary
from bot.conversation.service import ConversationService
from bot.dialogs.catalog import Catalog
from bot.stores import MemoryStore
from tests.helpers import Clock, small_dialog

STARTER = "slack:T1:U0LEAD"
PATHS = {
    "consultant": ["none", "Shop", ("blog",)],
    "agency": ["two", "Shop", ("twitter",), 5],
    "in_house": ["two", "Shop", ("twitter", "facebook"), 1],
}
TEAM = (("Annika", "agency"), ("Bertram", "agency"), ("Cyrano", "in_house"), ("Delphine", "consultant"))


def service() -> ConversationService:
    clock = Clock()
    return ConversationService(catalog=Catalog.of(small_dialog()), store=MemoryStore(clock=clock), clock=clock)


async def finish(svc: ConversationService, user: str, first: Question, outcome: str) -> ResultCard:
    question, replies = first, [first]
    for value in PATHS[outcome]:
        replies = await svc.handle(Event(user, Answer(question.session_id, question.node, value, question.version)))
        question = replies[0]  # type: ignore[assignment]
    assert isinstance(replies[0], ResultCard) and replies[0].outcome == outcome
    return replies[0]


async def team_summary(team=TEAM, topic: str = "Socials in 2027?", anonymous: bool = False) -> TeamSummary:
    svc = service()
    (card, _) = await svc.handle(
        Event(STARTER, OpenRound(name="Lead", surface="C1:1.0", dialog="small", topic=topic, anonymous=anonymous))
    )
    for i, (name, outcome) in enumerate(team):
        user = f"slack:T1:U{i:03d}"
        first = (await svc.handle(Event(user, TakeRoundCheck(card.round_id, name=name))))[0]
        assert isinstance(first, Question)
        await finish(svc, user, first, outcome)
    summary = (await svc.handle(Event(STARTER, RevealRound(card.round_id))))[0]
    assert isinstance(summary, TeamSummary)
    return summary


async def result_card(outcome: str = "agency") -> ResultCard:
    svc = service()
    user = "slack:T1:U001"
    first = (await svc.handle(Event(user, Start("small"))))[0]
    assert isinstance(first, Question)
    return await finish(svc, user, first, outcome)


def decoded(picture: Picture) -> Image.Image:
    image = Image.open(BytesIO(picture.png))
    assert image.format == "PNG"
    image.load()
    return image


def count(image: Image.Image, colour: tuple[int, int, int]) -> int:
    return sum(n for n, c in image.convert("RGB").getcolors(maxcolors=1 << 20) or [] if c == colour)


async def test_the_team_comparison_is_a_png_with_every_member_and_the_median() -> None:
    summary = await team_summary()
    picture = team_picture(summary)
    image = decoded(picture)
    assert image.mode == "RGB" and image.width == WIDTH and 150 <= image.height <= 600
    assert picture.filename == "team-comparison.png"
    assert count(image, MEDIAN) > 0
    for colour in MEMBER_COLOURS[: len(TEAM)]:
        assert count(image, colour) > 0
    assert image.getpixel((0, 0)) == (255, 255, 255)  # opaque white, whatever the chat's background


async def test_the_spreads_carry_each_finished_members_point_in_member_order() -> None:
    summary = await team_summary(team=(*TEAM, ("Eve", "agency")))
    for spread in summary.spreads:
        assert [name for name, _ in spread.points] == ["Annika", "Bertram", "Cyrano", "Delphine", "Eve"]
        scores = [score for _, score in spread.points if score is not None]
        assert (min(scores), max(scores)) == (spread.low, spread.high)


async def test_a_member_never_asked_about_a_dimension_has_no_point_on_it() -> None:
    """Delphine's check (the consultant's path) ends before the trust question: her 0 there would be
    an opinion she never gave, pulling the team's median and span."""
    summary = await team_summary()
    trust = next(s for s in summary.spreads if s.label == "Trust")
    assert dict(trust.points) == {"Annika": 2, "Bertram": 2, "Cyrano": -2, "Delphine": None}
    assert (trust.low, trust.median, trust.high) == (-2, 2, 2)  # over the three who answered
    (line,) = [line for line in team_picture(summary).alt.splitlines() if line.startswith("Trust: ")]
    assert "Annika at 2" in line and "Delphine" not in line
    time = next(s for s in summary.spreads if s.label == "Time")
    assert all(score is not None for _, score in time.points)  # everyone was asked about their hours


async def test_a_dimension_nobody_was_asked_about_is_left_out() -> None:
    summary = await team_summary(team=(("Delphine", "consultant"), ("Dora", "consultant")))
    assert [s.label for s in summary.spreads] == ["Time"]
    assert "Trust" not in team_picture(summary).alt


async def test_the_alt_text_describes_every_dimension() -> None:
    summary = await team_summary()
    alt = team_picture(summary).alt
    assert "Socials in 2027?" in alt and summary.team_outcome_title in alt
    for spread in summary.spreads:
        (line,) = [line for line in alt.splitlines() if line.startswith(f"{spread.label}: ")]
        assert f"team median {spread.median:g} (range {spread.range_low} to {spread.range_high})" in line
        for name, score in spread.points:
            assert (f"{name} at {score}" in line) if score is not None else (f"{name} at" not in line)


async def test_an_anonymous_round_shows_no_names() -> None:
    summary = await team_summary(anonymous=True)
    picture = team_picture(summary)
    names = [name for name, _ in TEAM]
    for spread in summary.spreads:
        assert spread.points and not {name for name, _ in spread.points} & set(names)
    assert not any(name in picture.alt for name in names)
    assert "Member 1 at" in picture.alt
    decoded(picture)


async def test_the_picture_grows_with_the_dimensions() -> None:
    summary = await team_summary()
    more = replace(summary, spreads=summary.spreads * 3)
    assert decoded(team_picture(more)).height > decoded(team_picture(summary)).height


async def test_members_on_one_score_stay_distinguishable() -> None:
    summary = await team_summary(team=(("Annika", "agency"), ("Bertram", "agency")))
    assert all(len({score for _, score in s.points}) == 1 for s in summary.spreads)  # every point shared
    one = replace(summary, spreads=tuple(replace(s, points=s.points[:1]) for s in summary.spreads))
    # the second member is stacked above the first: both colours show, and the rows grow to hold them
    image = decoded(team_picture(summary))
    assert count(image, MEMBER_COLOURS[0]) > 0 and count(image, MEMBER_COLOURS[1]) > 0
    assert image.height > decoded(team_picture(one)).height


async def test_a_long_topic_and_names_in_any_script_fit_the_width() -> None:
    team = (("שלום 🎉 " * 20, "agency"), ("名前\u200f\n\tnext line", "in_house"), ("x" * 300, "consultant"))
    summary = await team_summary(team=team, topic="Should we? ")
    summary = replace(summary, topic="Should we? " * 50)  # longer than the core lets a topic be
    long_name = ("y" * 400, 1)
    summary = replace(summary, spreads=tuple(replace(s, points=(*s.points, long_name)) for s in summary.spreads))
    picture = team_picture(summary)
    image = decoded(picture)
    assert image.width == WIDTH
    right_margin = image.crop((WIDTH - MARGIN + 1, 0, WIDTH, image.height))
    assert right_margin.getcolors() == [(right_margin.width * image.height, (255, 255, 255))]  # clipped, not overflowing
    assert "Should we?" in picture.alt and "שלום 🎉" in picture.alt
    assert all("\n" not in line and "\t" not in line for line in picture.alt.splitlines()[2:])
    assert len(picture.alt.splitlines()) == 2 + len(summary.spreads)  # a name's newline starts no line


async def test_the_same_summary_gives_the_same_bytes() -> None:
    summary = await team_summary()
    assert team_picture(summary).png == team_picture(summary).png


def test_a_summary_without_points_still_draws_the_span_and_median() -> None:
    summary = TeamSummary(
        round_id="r",
        version=1,
        topic="",
        members=(),
        spreads=(Spread("Budget", -10, 0.5, 10, -20, 20),),
        disagreements=(),
        team_outcome="x",
        team_outcome_title="X",
        agreement=(0, 0),
        strength="weak",
        rule="",
    )
    picture = team_picture(summary)
    assert count(decoded(picture), MEDIAN) > 0
    assert "Budget: no member scores; team median 0.5 (range -20 to 20)" in picture.alt


async def test_one_result_is_a_row_per_score_with_one_point() -> None:
    card = await result_card()
    picture = result_picture(card)
    image = decoded(picture)
    assert picture.filename == "your-result.png"
    assert image.mode in ("RGB", "P") and "transparency" not in image.info and image.width == WIDTH  # opaque (indexed: smaller)
    assert image.convert("RGB").getpixel((0, 0)) == (255, 255, 255)
    assert count(image, MEMBER_COLOURS[0]) > 0 and count(image, MEDIAN) == 0
    lines = picture.alt.splitlines()
    assert card.title in lines[1]
    for line in card.scores:
        assert f"{line.label}: you at {line.score} (range {line.low} to {line.high})" in lines
    more = replace(card, scores=card.scores * 4)
    assert decoded(result_picture(more)).height > image.height


def test_a_picture_recompressed_band_by_band_decodes_to_exactly_what_was_drawn() -> None:
    """png.encode reuses the base's compressed bands for rows left alone: any decoder must read back
    every pixel, in changed bands, untouched ones, a band cut short at the bottom, and the edges."""
    width, height = 37, 8 * png.BAND + 3  # a last band of three lines
    base = Image.new("P", (width, height))
    base.putpalette([(i * 7) % 256 for i in range(768)])
    base.putdata([(x * 3 + y * 5) % 40 for y in range(height) for x in range(width)])
    bands = png.bands_of(base)
    drawn = base.copy()
    drawn.paste(200, (0, 0, width, 1))  # the first line
    drawn.paste(201, (5, 17, 9, 30))  # across a band boundary
    drawn.paste(202, (30, height - 2, width, height))  # inside the short last band
    encoded = png.encode(drawn, bands, [(0, 0), (17, 29), (height - 2, height - 1)])
    # zlib checks the stream's Adler-32, combined from the bands' own (a decoder may stop before it)
    assert zlib.decompress(idat(encoded)) == png._scanlines(drawn)
    decoded = Image.open(BytesIO(encoded))
    assert decoded.mode == "P" and decoded.size == (width, height)
    assert decoded.tobytes() == drawn.tobytes()
    assert decoded.getpalette() == drawn.getpalette()
    assert png.encode(base, bands, []) != encoded and Image.open(BytesIO(png.encode(base, bands, []))).tobytes() == base.tobytes()


def idat(encoded: bytes) -> bytes:
    """The zlib stream of a PNG (its IDAT chunks, joined)."""
    at, stream = 8, b""
    while at < len(encoded):
        (length,) = struct.unpack(">I", encoded[at:at + 4])
        if encoded[at + 4:at + 8] == b"IDAT":
            stream += encoded[at + 8:at + 8 + length]
        at += 12 + length
    return stream


async def test_a_result_picture_declares_every_row_its_points_changed(monkeypatch) -> None:
    """A point whose rows were not declared would be missing from the PNG (its band reused from the
    base): what decodes must be exactly the image drawn, for results with points all along the axes."""
    drawn: list[Image.Image] = []
    encode = png.encode
    monkeypatch.setattr(png, "encode", lambda image, bands, changed: drawn.append(image.copy()) or encode(image, bands, changed))
    card = await result_card()
    for shift in range(0, 12):
        moved = replace(card, scores=tuple(replace(s, score=s.low + (shift * (s.high - s.low)) // 11) for s in card.scores))
        encoded = result_picture(moved).png
        assert zlib.decompress(idat(encoded)) == png._scanlines(drawn[-1])
        decoded = Image.open(BytesIO(encoded))
        assert decoded.tobytes() == drawn[-1].tobytes() and decoded.getpalette() == drawn[-1].getpalette()
        assert count(decoded, MEMBER_COLOURS[0]) > 0
    assert len(drawn) == 12


async def test_a_result_is_quick_to_draw_once_its_base_is_drawn_and_a_new_agency_name_is_not() -> None:
    """Only a quick picture is drawn on the event loop (adapters/common/pictures.py): a base not drawn
    yet costs 10-20 ms, and an agency's name is part of its base."""
    card = replace(await result_card(), subject="Never vetted before, Ltd.")
    assert not picture_module.is_quick(card)
    result_picture(card)
    assert picture_module.is_quick(card)
    assert picture_module.is_quick(replace(card, scores=tuple(replace(s, score=s.high) for s in card.scores)))
    assert not picture_module.is_quick(replace(card, subject="Another agency"))


async def test_a_result_shows_no_bar_for_a_dimension_its_check_never_asked_about() -> None:
    """The consultant's path ends before the trust question: a bar at 0 would tell the owner we
    judged their trust in an outsider "in the middle" without asking; a 0 they answered stays."""
    short = await result_card("consultant")
    assert [line.label for line in short.scores] == ["Time"]
    assert "Trust" not in result_picture(short).alt
    (glance,) = [s for s in layout.result(short).sections if s.heading == words.ANSWERS_AT_A_GLANCE]
    assert [line.text for line in glance.lines] == ["Time"]  # no number: each dimension has a scale of its own
    full = await result_card("agency")
    assert [line.label for line in full.scores] == ["Time", "Trust"]
