"""Team rounds in the core: joining, finishing, revealing, positions, closing, through a real store."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from adapters.terminal.render import render
from bot import words
from bot.conversation.events import (
    Answer,
    CloseRound,
    Event,
    Forget,
    OpenRound,
    Restart,
    RevealRound,
    RoundThread,
    SecondLook,
    ShowRound,
    TakePosition,
    TakeRoundCheck,
    TypedReply,
)
from bot.conversation.replies import DecisionRecord, Notice, Position, Question, ResultCard, RoundCard, TeamSummary
from bot.conversation.service import ConversationService
from bot.dialogs.catalog import Catalog
from tests.conftest import STORE_KINDS, close_store, make_store
from tests.helpers import Clock, small_dialog

STARTER = "slack:T1:U0LEAD"
PATHS = {
    "consultant": ["none", "Shop", ("blog",)],
    "agency": ["two", "Shop", ("twitter",), 5],
    "in_house": ["two", "Shop", ("twitter", "facebook"), 1],
}


@pytest.fixture(params=STORE_KINDS)
async def service(request, tmp_path: Path):
    clock = Clock()
    store = await make_store(request.param, tmp_path, clock)
    yield ConversationService(catalog=Catalog.of(small_dialog()), store=store, clock=clock)
    await close_store(request.param, store)


async def open_round(service, **options) -> RoundCard:
    (card, _) = await service.handle(Event(STARTER, OpenRound(name="Lead", surface="C1:1.0", dialog="small", **options)))
    assert isinstance(card, RoundCard) and card.status == "open"
    return card


async def take_and_finish(service, round_id: str, user: str, outcome: str) -> list:
    replies = await service.handle(Event(user, TakeRoundCheck(round_id, name=user.split(":")[-1])))
    question = replies[0]
    assert isinstance(question, Question), replies
    for value in PATHS[outcome]:
        replies = await service.handle(Event(user, Answer(question.session_id, question.node, value, question.version)))
        question = replies[0]
    assert isinstance(replies[0], ResultCard) and replies[0].outcome == outcome
    return replies


def member(i: int) -> str:
    return f"slack:T1:U{i:03d}"


async def test_a_round_of_one(service) -> None:
    card = await open_round(service, topic="Socials in 2027?")
    replies = await take_and_finish(service, card.round_id, STARTER, "agency")
    (private, updated) = replies
    assert isinstance(updated, RoundCard) and updated.finished == ("U0LEAD",)
    summary, after = await service.handle(Event(STARTER, RevealRound(card.round_id)))
    assert isinstance(summary, TeamSummary) and after.status == "revealed"
    assert summary.team_outcome == "agency" and summary.agreement == (1, 1) and summary.strength == "strong"
    assert summary.disagreements == ()


async def test_answers_stay_hidden_until_the_reveal(service) -> None:
    card = await open_round(service)
    await take_and_finish(service, card.round_id, member(1), "consultant")
    (shown,) = await service.handle(Event(member(2), ShowRound(card.round_id)))
    assert isinstance(shown, RoundCard) and shown.finished == ("U001",)
    assert "consultant" not in repr(shown).lower()


async def test_five_members_with_a_majority_disagreements_and_unfinished(service) -> None:
    card = await open_round(service)
    for i, outcome in enumerate(["agency", "agency", "agency", "consultant"], 1):
        await take_and_finish(service, card.round_id, member(i), outcome)
    await service.handle(Event(member(5), TakeRoundCheck(card.round_id, name="U005")))  # never finishes
    summary, _ = await service.handle(Event(STARTER, RevealRound(card.round_id)))
    assert summary.team_outcome == "agency" and summary.agreement == (3, 4) and summary.strength == "strong"
    assert [m.outcome for m in summary.members][-1] == "not finished"
    assert [m.name for m in summary.members] == ["U001", "U002", "U003", "U004", "U005"]
    hours = next(d for d in summary.disagreements if d.question == "Hours")
    assert dict(hours.split) == {"Two hours": 3, "None": 1}
    assert hours.why and hours.source == "Should small businesses outsource their social media?"
    time_spread = next(s for s in summary.spreads if s.label == "Time")
    assert (time_spread.low, time_spread.high) == (-2, 3)


async def test_a_tie_with_the_fallback_goes_to_the_definite_recommendation(service) -> None:
    card = await open_round(service)
    await take_and_finish(service, card.round_id, member(1), "consultant")  # the fallback, first to finish
    await take_and_finish(service, card.round_id, member(2), "in_house")
    summary, _ = await service.handle(Event(STARTER, RevealRound(card.round_id)))
    # in-house's reason holds for one member; the fallback's holds for anyone, which fits no one in particular
    assert summary.agreement == (1, 2) and summary.strength == "moderate"
    assert summary.team_outcome == "in_house"
    assert "the fallback last" in summary.rule


async def test_a_tie_goes_to_the_advice_that_fits_more_of_the_team(service) -> None:
    from bot.team.comparison import team_outcome

    card = await open_round(service)
    await take_and_finish(service, card.round_id, member(1), "in_house")
    await take_and_finish(service, card.round_id, member(2), "agency")
    round_ = (await service.store.rounds_of(member(1)))[0]
    dialog = service.catalog.get("small")
    # the agency member also has the time, so in-house's reason ("You have the time") holds for both;
    # agency's ("You trust an outsider and have two hours") only for the agency member
    assert team_outcome(round_, dialog) == ("in_house", 1)


async def test_redo_before_the_reveal_replaces_the_result(service) -> None:
    card = await open_round(service)
    await take_and_finish(service, card.round_id, member(1), "consultant")
    await take_and_finish(service, card.round_id, member(1), "agency")
    summary, _ = await service.handle(Event(STARTER, RevealRound(card.round_id)))
    assert [(m.name, m.outcome) for m in summary.members] == [("U001", "Agency for Shop")]


async def test_anonymous_rounds_hide_names_in_the_comparison(service) -> None:
    card = await open_round(service, anonymous=True)
    await take_and_finish(service, card.round_id, member(1), "consultant")
    await take_and_finish(service, card.round_id, member(2), "agency")
    summary, _ = await service.handle(Event(STARTER, RevealRound(card.round_id)))
    assert [m.name for m in summary.members] == ["Member 1", "Member 2"]


async def test_positions_change_until_close_and_the_record_says_it_all(service) -> None:
    card = await open_round(service, topic="Q3 socials")
    for i, outcome in enumerate(["agency", "agency", "consultant", "agency"], 1):
        await take_and_finish(service, card.round_id, member(i), outcome)
    (refused,) = await service.handle(Event(member(1), TakePosition(card.round_id, "agree")))
    assert refused.kind == "refused" and "once the results are revealed" in refused.text
    await service.handle(Event(STARTER, RevealRound(card.round_id)))
    await service.handle(Event(member(1), TakePosition(card.round_id, "object", "too early")))
    await service.handle(Event(member(1), TakePosition(card.round_id, "agree", "  fine\n by   me ")))  # changed mind
    await service.handle(Event(member(2), TakePosition(card.round_id, "abstain")))
    (summary, taken) = await service.handle(Event(member(3), TakePosition(card.round_id, "object", "<@U999> we have *no* budget " + "x" * 400)))
    assert taken.kind == "done" and "object" in taken.text
    assert isinstance(summary, TeamSummary) and summary.team_outcome == "agency"
    assert summary.positions == (("agree", 1), ("abstain", 1), ("object", 1))
    assert not summary.carried, "one objection against one agreement: not carried as positions stand"
    assert words.NOT_CARRIED_YET in render(summary)
    (summary, _) = await service.handle(Event(member(4), TakePosition(card.round_id, "agree")))
    assert summary.carried and words.NOT_CARRIED_YET not in render(summary)
    (outsider,) = await service.handle(Event("slack:T1:U0OUT", TakePosition(card.round_id, "agree")))
    assert outsider.kind == "refused" and "took part" in outsider.text
    (odd,) = await service.handle(Event(member(2), TakePosition(card.round_id, "veto")))
    assert odd.kind == "refused"
    await service.handle(Event(STARTER, RoundThread(card.round_id, "C1:2.0")))
    record, comparison, closed = await service.handle(Event(STARTER, CloseRound(card.round_id)))
    assert isinstance(record, DecisionRecord) and closed.status == "closed"
    assert comparison.closed and comparison.thread == "C1:2.0"  # the comparison is redrawn without its buttons
    # the decision is the proposed one, the team's recommendation; an objection outweighed by agreement does not change it
    assert record.carried and record.decision == "Agency for Shop" and record.participants == ("U001", "U002", "U003", "U004")
    objection = "<@U999> we have *no* budget " + "x" * 272
    assert record.positions == (
        Position("U001", "agree", "fine by me"),  # cleaned: one line, its spaces collapsed
        Position("U002", "abstain", ""),
        Position("U003", "object", objection),  # at most 300 characters, kept as typed (adapters escape it)
        Position("U004", "agree", ""),
    )
    assert record.objections == (Position("U003", "object", objection),) and record.closed_short == ""
    for part in (
        "# Decision: Agency for Shop",
        "**Topic:** Q3 socials",
        "**Date:** 2023-11-14",
        "The decision is the team's recommendation",
        "## Positions\n- U001 agrees: fine by me\n- U002 abstains\n- U003 objects: <@U999>",
        f"## Objections\n- U003: {objection}\n",
    ):
        assert part in record.markdown, part
    (late,) = await service.handle(Event(member(1), TakePosition(card.round_id, "object")))
    assert late.kind == "refused" and "closed" in late.text
    (export,) = await service.handle(Event(member(2), ShowRound(card.round_id, record=True)))
    assert export.markdown == record.markdown


async def test_a_proposal_as_many_object_to_as_agree_with_is_not_carried(service) -> None:
    """A record that called the proposal "the decision" while most of those taking part objected would be one
    nobody stands behind: the record says it was not carried, and offers the way forward instead of next steps."""
    card = await open_round(service, topic="Socials")
    for i, outcome in enumerate(["agency", "agency", "agency"], 1):
        await take_and_finish(service, card.round_id, member(i), outcome)
    await service.handle(Event(STARTER, RevealRound(card.round_id)))
    await service.handle(Event(member(1), TakePosition(card.round_id, "agree")))
    await service.handle(Event(member(2), TakePosition(card.round_id, "object", "We can't afford it")))
    (summary, _) = await service.handle(Event(member(3), TakePosition(card.round_id, "object")))
    assert summary.team_outcome == "agency" and not summary.carried
    assert words.NOT_CARRIED_YET in render(summary), "the closer sees it before pressing Close"
    record, closed = await service.handle(Event(STARTER, CloseRound(card.round_id)))
    assert isinstance(record, DecisionRecord) and closed.status == "closed"
    assert not record.carried and record.decision == "Agency for Shop", "the proposal is named, as what was not carried"
    assert record.next_steps == words.NOT_CARRIED_STEPS, "not the agency's next steps: nothing was decided"
    assert record.follow_with == "" and record.review_on == "", "no agency to vet and no decision to review"
    shown = render(record)
    assert "Not carried: Agency for Shop" in shown.splitlines()[:3]
    assert "1 agreed and 2 objected" in shown and "Why it was proposed" in shown and "Main reasons" not in shown
    assert "Decision:" not in shown and "Review on" not in shown and "agency check" not in shown
    assert record.markdown.startswith("# Not carried: Agency for Shop\n")
    assert "1 agreed and 2 objected" in record.markdown and "## Why it was proposed" in record.markdown
    assert "## Objections\n- U002: We can't afford it\n- U003: (no reason given)" in record.markdown
    (after,) = [r for r in await service.handle(Event(STARTER, ShowRound(card.round_id))) if isinstance(r, TeamSummary)]
    assert after.closed and "Not carried" in render(after)
    # the record stays as it was closed, whoever forgets their data afterwards
    await service.handle(Event(member(2), Forget(confirmed=True)))
    await service.handle(Event(member(3), Forget(confirmed=True)))
    (export,) = await service.handle(Event(member(1), ShowRound(card.round_id, record=True)))
    assert not export.carried and export.markdown.startswith("# Not carried: Agency for Shop")


async def test_a_tie_is_not_carried_and_no_objection_is(service) -> None:
    card = await open_round(service)
    for i in (1, 2, 3):
        await take_and_finish(service, card.round_id, member(i), "agency")
    (summary, _) = await service.handle(Event(STARTER, RevealRound(card.round_id)))
    assert summary.carried, "no positions yet: nothing stands against the proposal"
    (summary, _) = await service.handle(Event(member(1), TakePosition(card.round_id, "abstain")))
    assert summary.carried, "an abstention weighs nothing either way"
    (summary, _) = await service.handle(Event(member(2), TakePosition(card.round_id, "object")))
    assert not summary.carried
    (summary, _) = await service.handle(Event(member(3), TakePosition(card.round_id, "agree")))
    assert not summary.carried, "a tie does not carry it"
    (summary, _) = await service.handle(Event(member(1), TakePosition(card.round_id, "agree")))
    assert summary.carried, "two agree, one objects"
    record, *_ = await service.handle(Event(STARTER, CloseRound(card.round_id)))
    assert record.carried and record.markdown.startswith("# Decision: Agency for Shop") and record.review_on


async def test_a_quorum_refuses_an_early_close_unless_the_closer_says_why(service) -> None:
    card = await open_round(service, quorum=3)
    assert card.quorum == 3
    for i, outcome in enumerate(["agency", "consultant", "agency"], 1):
        await take_and_finish(service, card.round_id, member(i), outcome)
    await service.handle(Event(STARTER, RevealRound(card.round_id)))
    await service.handle(Event(member(1), TakePosition(card.round_id, "agree")))
    (short,) = await service.handle(Event(STARTER, CloseRound(card.round_id)))
    assert short.kind == "reason_needed" and "Only 1 of the 3 positions" in short.text and "say why" in short.text
    (blank,) = await service.handle(Event(STARTER, CloseRound(card.round_id, reason=" \n ")))
    assert blank.kind == "reason_needed", "white space is no reason"
    (other,) = await service.handle(Event(member(2), CloseRound(card.round_id, reason="me too")))
    assert other.kind == "refused" and "Only the person who started" in other.text
    await service.handle(Event(member(2), TakePosition(card.round_id, "object", "The agency has not shown a plan")))
    record, closed = await service.handle(Event(STARTER, CloseRound(card.round_id, reason="Board meets\ttomorrow")))
    assert isinstance(record, DecisionRecord) and closed.status == "closed"
    assert record.closed_short == "Closed with 2 of 3 positions: Board meets tomorrow"
    assert record.objections == (Position("U002", "object", "The agency has not shown a plan"),)
    assert "Closed with 2 of 3 positions: Board meets tomorrow" in record.markdown
    assert "## Objections\n- U002: The agency has not shown a plan" in record.markdown


async def test_a_met_quorum_closes_without_a_reason(service) -> None:
    card = await open_round(service, quorum=2)
    for i in (1, 2):
        await take_and_finish(service, card.round_id, member(i), "agency")
    await service.handle(Event(STARTER, RevealRound(card.round_id)))
    for i in (1, 2):
        await service.handle(Event(member(i), TakePosition(card.round_id, "abstain")))
    record, _ = await service.handle(Event(STARTER, CloseRound(card.round_id, reason="not needed")))
    assert record.closed_short == "" and "Closed with" not in record.markdown
    assert "## Objections\n- none" in record.markdown


async def test_only_the_starter_or_an_admin_reveals_and_closes(service) -> None:
    card = await open_round(service)
    await take_and_finish(service, card.round_id, member(1), "agency")
    (refused,) = await service.handle(Event(member(1), RevealRound(card.round_id)))
    assert refused.kind == "refused" and "Only the person who started" in refused.text
    summary, _ = await service.handle(Event(member(2), RevealRound(card.round_id, is_admin=True)))
    assert isinstance(summary, TeamSummary)
    (again,) = await service.handle(Event(STARTER, RevealRound(card.round_id)))
    assert again.kind == "refused"
    (refused,) = await service.handle(Event(member(1), CloseRound(card.round_id)))
    assert refused.kind == "refused"
    record, _ = await service.handle(Event(STARTER, CloseRound(card.round_id)))
    assert record.follow_with == ""  # the small dialog's outcomes suggest no follow-up


async def test_a_closed_or_revealed_round_takes_no_new_members(service) -> None:
    card = await open_round(service)
    await take_and_finish(service, card.round_id, member(1), "agency")
    await service.handle(Event(STARTER, RevealRound(card.round_id)))
    (refused,) = await service.handle(Event(member(2), TakeRoundCheck(card.round_id, name="late")))
    assert refused.kind == "refused"
    (not_member,) = await service.handle(Event(member(3), TakeRoundCheck(card.round_id, name="x", is_member=False)))
    assert not_member.kind == "not_member"


async def test_nothing_to_reveal_before_anyone_finished(service) -> None:
    card = await open_round(service)
    (refused,) = await service.handle(Event(STARTER, RevealRound(card.round_id)))
    assert "Nobody has finished" in refused.text


async def test_it_reveals_itself_once_the_expected_number_finished(service) -> None:
    card = await open_round(service, expected=2)
    await take_and_finish(service, card.round_id, member(1), "agency")
    replies = await take_and_finish(service, card.round_id, member(2), "consultant")
    assert any(isinstance(r, TeamSummary) for r in replies)
    assert replies[-1].status == "revealed"


async def test_it_reveals_itself_after_the_deadline(service) -> None:
    card = await open_round(service, deadline=service.clock() + 3600)
    await take_and_finish(service, card.round_id, member(1), "agency")
    (still_open,) = await service.handle(Event(member(2), ShowRound(card.round_id)))
    assert still_open.status == "open"
    service.clock.advance(3601)
    summary, shown = await service.handle(Event(member(2), ShowRound(card.round_id)))
    assert isinstance(summary, TeamSummary) and shown.status == "revealed"


async def test_restarting_after_the_reveal_does_not_change_the_round(service) -> None:
    card = await open_round(service)
    replies = await take_and_finish(service, card.round_id, member(1), "agency")
    session_id = replies[0].session_id
    await service.handle(Event(STARTER, RevealRound(card.round_id)))
    (question,) = await service.handle(Event(member(1), Restart(session_id)))
    for value in PATHS["consultant"]:
        (question, *rest) = await service.handle(Event(member(1), Answer(session_id, question.node, value, question.version)))
    assert question.outcome == "consultant" and rest == []
    summary, _ = await service.handle(Event(member(1), ShowRound(card.round_id)))
    assert summary.members[0].outcome == "Agency for Shop"


@pytest.mark.parametrize("size", [2, 50])
async def test_many_members_finishing_at_once_all_count_exactly_once(service, size: int) -> None:
    card = await open_round(service)
    users = [member(i) for i in range(size)]
    await asyncio.gather(*(take_and_finish(service, card.round_id, u, "agency" if i % 2 else "consultant") for i, u in enumerate(users)))
    stored = await service.store.load_round(card.round_id)
    assert sorted(m.user for m in stored.members) == sorted(users)
    assert all(m.finished for m in stored.members)
    assert stored.version == 1 + 2 * size  # one join and one result each, nothing lost or doubled


async def test_forget_removes_a_member_and_deletes_rounds_they_started(service) -> None:
    card = await open_round(service)
    await take_and_finish(service, card.round_id, member(1), "agency")
    await service.handle(Event(member(1), Forget(confirmed=True)))
    assert [m.user for m in (await service.store.load_round(card.round_id)).members] == []
    await service.handle(Event(STARTER, Forget(confirmed=True)))
    assert await service.store.load_round(card.round_id) is None
    (gone,) = await service.handle(Event(member(2), ShowRound(card.round_id)))
    assert isinstance(gone, Notice) and gone.kind == "stale"


async def test_joining_after_the_deadline_reveals_and_says_so(service) -> None:
    card = await open_round(service, deadline=service.clock() + 60)
    await take_and_finish(service, card.round_id, member(1), "agency")
    service.clock.advance(61)
    summary, shown, notice = await service.handle(Event(member(2), TakeRoundCheck(card.round_id, name="late")))
    assert isinstance(summary, TeamSummary) and shown.status == "revealed"
    assert notice.kind == "refused" and "Time is up" in notice.text


async def test_the_discussion_names_the_members_at_each_end(service) -> None:
    card = await open_round(service)
    await take_and_finish(service, card.round_id, member(1), "agency")  # hours: two, trust 5
    await take_and_finish(service, card.round_id, member(2), "in_house")  # hours: two, trust 1
    await take_and_finish(service, card.round_id, member(3), "consultant")  # hours: none
    summary, _ = await service.handle(Event(STARTER, RevealRound(card.round_id)))
    hours = next(d for d in summary.disagreements if d.question == "Hours")
    assert [(e.answer, e.count, e.members) for e in hours.ends] == [
        ("Two hours", 2, (member(1), member(2))),
        ("None", 1, (member(3),)),
    ]
    trust = next(d for d in summary.disagreements if d.question == "Trust an outsider?")
    assert [(e.answer, e.members) for e in trust.ends] == [("1 of 5", (member(2),)), ("5 of 5", (member(1),))]  # lowest, highest
    assert all(not d.ends for d in summary.disagreements if d.question.startswith("Which channels")), "picks overlap: no ends"


async def test_an_anonymous_round_describes_the_ends_without_naming_anyone(service) -> None:
    card = await open_round(service, anonymous=True)
    await take_and_finish(service, card.round_id, member(1), "agency")
    await take_and_finish(service, card.round_id, member(2), "consultant")
    summary, _ = await service.handle(Event(STARTER, RevealRound(card.round_id)))
    hours = next(d for d in summary.disagreements if d.question == "Hours")
    assert [(e.answer, e.count, e.members) for e in hours.ends] == [("Two hours", 1, ()), ("None", 1, ())]


async def second_look_round(service) -> RoundCard:
    """Members 1 and 3 get in-house, member 2 an agency: the team splits on trust (1, 5, 1) and on the channels."""
    card = await open_round(service)
    for i, outcome in enumerate(["in_house", "agency", "in_house"], 1):
        await take_and_finish(service, card.round_id, member(i), outcome)
    await service.handle(Event(member(4), TakeRoundCheck(card.round_id, name="U004")))  # never finishes
    return card


async def test_a_second_look_opens_only_after_the_reveal_to_members_who_finished(service) -> None:
    card = await second_look_round(service)
    (early,) = await service.handle(Event(member(1), SecondLook(card.round_id)))
    assert early.kind == "refused" and "once the results are revealed" in early.text
    summary, _ = await service.handle(Event(STARTER, RevealRound(card.round_id)))
    assert summary.can_look_again and summary.moves == () and summary.first_outcome_title == ""
    for who in (member(4), "slack:T1:U0OUT"):  # did not finish; never took part
        (refused,) = await service.handle(Event(who, SecondLook(card.round_id)))
        assert refused.kind == "refused" and "finished their check" in refused.text
    await service.handle(Event(STARTER, CloseRound(card.round_id)))
    (late,) = await service.handle(Event(member(1), SecondLook(card.round_id)))
    assert late.kind == "refused" and "closed" in late.text
    shown, _ = await service.handle(Event(member(1), ShowRound(card.round_id)))
    assert isinstance(shown, TeamSummary) and not shown.can_look_again


async def test_a_second_look_changes_an_answer_and_the_outcome_and_the_comparison_shows_what_moved(service) -> None:
    card = await second_look_round(service)
    summary, _ = await service.handle(Event(STARTER, RevealRound(card.round_id)))
    assert summary.team_outcome == "in_house" and summary.agreement == (2, 3)
    (question,) = await service.handle(Event(member(1), SecondLook(card.round_id, surface="D1:1.0")))
    assert isinstance(question, Question) and question.node == "trust" and question.previous == ("1",)
    assert question.progress.number == 1 and question.progress.about == 2 and not question.can_go_back
    assert question.surface == "D1:1.0"
    (back,) = await service.handle(Event(member(1), Restart(question.session_id, question.version)))
    assert back.kind == "invalid"  # no going back or starting over in a second look
    (other,) = await service.handle(Event(member(2), Answer(question.session_id, "trust", 5, question.version)))
    assert other.kind == "not_owner"
    (channels,) = await service.handle(Event(member(1), Answer(question.session_id, "trust", 5, question.version)))
    assert isinstance(channels, Question) and channels.node == "channels" and channels.progress.number == 2
    assert set(channels.previous) == {"twitter", "facebook"}
    # only the blog would make the hours too few to ask about trust: the path changes, so it is refused
    (reroutes,) = await service.handle(Event(member(1), Answer(channels.session_id, "channels", ("blog",), channels.version)))
    assert reroutes.kind == "invalid" and "change which questions follow" in reroutes.text
    replies = await service.handle(Event(member(1), Answer(channels.session_id, "channels", ("twitter", "facebook"), channels.version)))
    result, after = replies
    assert isinstance(result, ResultCard) and result.outcome == "agency"
    assert isinstance(after, TeamSummary)
    assert after.team_outcome == "agency" and after.agreement == (2, 3) and after.strength == "moderate"
    assert after.first_outcome_title == "In-house" and after.first_agreement == (2, 3) and after.first_strength == "moderate"
    (move,) = after.moves
    assert (move.name, move.question, move.before, move.after) == ("U001", "Trust an outsider?", "1 of 5", "5 of 5")
    assert (move.outcome_before, move.outcome_after) == ("In-house", "Agency for Shop")
    assert [m.outcome for m in after.members][:3] == ["Agency for Shop", "Agency for Shop", "In-house"]
    (stale,) = await service.handle(Event(member(1), Answer(channels.session_id, "channels", ("twitter",), channels.version + 1)))
    assert stale.kind == "stale"
    # a second second look starts from the answers now, and the first answers stay those of the reveal
    (again,) = await service.handle(Event(member(1), SecondLook(card.round_id)))
    assert again.previous == ("5",)
    await service.handle(Event(member(1), Answer(again.session_id, "trust", 3, again.version)))
    await service.handle(Event(member(1), Answer(again.session_id, "channels", ("twitter",), again.version + 1)))
    (shown, _) = await service.handle(Event(STARTER, ShowRound(card.round_id)))
    moved = {(m.question, m.before, m.after) for m in shown.moves}
    assert moved == {("Trust an outsider?", "1 of 5", "3 of 5"), ("Which channels does {shop} use?", "Twitter, Facebook", "Twitter")}
    assert {m.outcome_after for m in shown.moves} == {"In-house"}  # trust 3 scores 0: back to in-house
    assert shown.team_outcome == "in_house" and shown.first_outcome_title == "In-house"
    record, _ = await service.handle(Event(STARTER, CloseRound(card.round_id)))
    assert record.decision == "In-house"


async def test_a_typed_reply_answers_the_second_look_question(service) -> None:
    card = await second_look_round(service)
    await service.handle(Event(STARTER, RevealRound(card.round_id)))
    (question,) = await service.handle(Event(member(3), SecondLook(card.round_id)))
    (channels,) = await service.handle(Event(member(3), TypedReply("5")))
    assert isinstance(channels, Question) and channels.node == "channels" and channels.session_id == question.session_id


async def test_a_shared_message_drawn_from_an_older_version_is_drawn_again_with_the_newest(service) -> None:
    """Two processes may draw the round's card (or comparison) out of order; each reports the version
    it drew, and the core answers a stale one with the newest, so the message ends at the newest."""
    from bot.conversation.events import Delivered
    from bot.conversation.routes import route

    card = await open_round(service, expected=2)
    replies = await service.handle(Event("slack:T1:U001", TakeRoundCheck(card.round_id, name="ann")))
    drawn = next(r for r in replies if isinstance(r, RoundCard))
    way = route(drawn)
    assert way.report == f"seen-card:{card.round_id}:{drawn.version}"
    assert await service.handle(Event("slack:T1:U001", Delivered(way.report, drawn.surface))) == [], "the newest: nothing more"
    await service.handle(Event("slack:T1:U002", TakeRoundCheck(card.round_id, name="bob")))  # the round moves on meanwhile
    (newer,) = await service.handle(Event("slack:T1:U001", Delivered(way.report, drawn.surface)))
    assert isinstance(newer, RoundCard) and newer.version > drawn.version and "bob" in newer.joined
    # the comparison the same way, once revealed
    await take_and_finish(service, card.round_id, "slack:T1:U001", "agency")
    await take_and_finish(service, card.round_id, "slack:T1:U002", "in_house")
    await service.handle(Event(STARTER, RoundThread(card.round_id, "C1:2.0")))
    (summary, _) = await service.handle(Event("slack:T1:U001", TakePosition(card.round_id, "agree")))
    seen = route(summary).report
    assert seen == f"seen-cmp:{card.round_id}:{summary.version}"
    await service.handle(Event("slack:T1:U002", TakePosition(card.round_id, "object", "too soon")))
    (redrawn,) = await service.handle(Event("slack:T1:U001", Delivered(seen, "C1:2.0")))
    assert isinstance(redrawn, TeamSummary) and dict(redrawn.positions)["object"] == 1


async def test_a_position_taken_before_the_comparisons_place_is_known_redraws_it_in_place(service) -> None:
    """Someone agrees within moments of the reveal, before the adapter reported where the comparison
    went: the comparison is redrawn where they clicked (never posted twice), and that place reported."""
    from bot.conversation.events import Delivered
    from bot.conversation.routes import route

    card = await open_round(service)
    await take_and_finish(service, card.round_id, "slack:T1:U001", "agency")
    await service.handle(Event(STARTER, RevealRound(card.round_id)))  # its comparison is out, its report not yet in
    (summary, _) = await service.handle(Event("slack:T1:U001", TakePosition(card.round_id, "agree")))
    way = route(summary)
    assert way.to == "here" and way.report == f"cmp:{card.round_id}"
    assert await service.handle(Event("slack:T1:U001", Delivered(way.report, ""))) == [], "a place not told is not recorded"
    await service.handle(Event("slack:T1:U001", Delivered(way.report, "C1:2.0")))
    assert (await service.store.load_round(card.round_id)).thread == "C1:2.0"
    assert await service.handle(Event(STARTER, Delivered(way.report, "C1:2.0"))) == [], "the reveal's own report: no second set of prompts"
