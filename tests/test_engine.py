"""The pure engine: every transition, and every refusal leaving the session exactly as it was."""

from __future__ import annotations

import dataclasses

import pytest

from bot.conversation import engine
from bot.conversation.replies import Notice, Question, ResultCard
from bot.conversation.session import Session
from bot.dialogs.loader import load_dialog_text
from tests.helpers import SMALL, small_dialog

DIALOG = small_dialog()


def begin(**kwargs):
    return engine.start(DIALOG, session_id="s1", owner="terminal:ann", now=100.0, **kwargs)


def walk(*answers):
    step = begin()
    for value in answers:
        step = engine.answer(DIALOG, step.session, node=step.session.node, value=value, version=step.session.version, now=101.0)
        assert step.accepted, step.replies
    return step


def test_start_shows_the_message_then_the_first_question() -> None:
    step = begin()
    (question,) = step.replies
    assert isinstance(question, Question)
    assert question.preface == ("Hello.",)
    assert (question.node, question.kind, question.version) == ("hours", "choice", 1)
    assert [o.id for o in question.options] == ["two", "none", "unsure"]
    assert question.why == "A couple of hours a week is all it takes."
    assert question.source == "Should small businesses outsource their social media?"  # the title, never the file
    assert question.progress.number == 1 and question.progress.text.startswith("question 1 of about ")
    assert not question.can_go_back
    assert step.session.node == "hours" and step.session.version == 1 and not step.session.finished


def test_answers_advance_and_versions_grow_by_one() -> None:
    step = walk("two", "Corner Cafe")
    question = step.replies[0]
    assert isinstance(question, Question)
    assert question.text == "Which channels does Corner Cafe use?"
    assert step.session.version == 3
    assert [a.node for a in step.session.answers] == ["hours", "name"]


def test_a_full_path_ends_in_the_rule_chosen_outcome_with_an_explanation() -> None:
    step = walk("two", "Corner Cafe", ("twitter", "facebook"), 5)
    card = step.replies[0]
    assert isinstance(card, ResultCard)
    assert card.outcome == "agency" and card.title == "Agency for Corner Cafe"
    assert step.session.finished and step.session.node is None
    assert dict(step.session.scores) == {"time": 4, "trust": 2}
    assert {s.dimension: s.score for s in card.scores} == {"time": 4, "trust": 2}
    assert [r.text for r in card.reasons] == ["You trust an outsider and have two hours."]
    assert card.reasons[0].quote and card.reasons[0].article == "Should small businesses outsource their social media?"
    assert card.next_steps == ("Vet the agency Corner Cafe picks.",)
    assert card.subject == "Corner Cafe"
    assert card.sources == ("Should small businesses outsource their social media?",)


def test_branch_skips_a_question_and_the_fallback_explains_itself() -> None:
    step = walk("none", "Shop", ("blog",))
    card = step.replies[0]
    assert isinstance(card, ResultCard) and card.outcome == "consultant"
    assert [r.text for r in card.reasons] == ["Nothing else fits yet."]


def test_follow_up_answers_are_listed_as_still_to_settle() -> None:
    card = walk("unsure", "Shop", ("blog",)).replies[0]
    assert isinstance(card, ResultCard)
    assert card.still_to_settle == ("Hours a week?",)


def test_back_undoes_one_answer_at_a_time_down_to_the_first_question() -> None:
    step = walk("two", "Shop", ("twitter",))
    for expected in ["channels", "name", "hours"]:
        step = engine.back(DIALOG, step.session, version=step.session.version, now=102.0)
        assert step.accepted and step.session.node == expected
    assert step.session.answers == ()
    assert step.replies[0].previous == ("two",)  # the answer given before is shown, not lost
    refused = engine.back(DIALOG, step.session, version=step.session.version, now=103.0)
    assert not refused.accepted and refused.session == step.session


def test_back_from_the_result_reopens_the_last_question() -> None:
    step = walk("none", "Shop", ("blog",))
    again = engine.back(DIALOG, step.session, version=step.session.version, now=104.0)
    assert again.session.node == "channels" and not again.session.finished


def test_restart_clears_answers_but_keeps_growing_the_version() -> None:
    step = walk("two", "Shop")
    again = engine.restart(DIALOG, step.session, version=step.session.version, now=105.0)
    assert again.session.answers == () and again.session.node == "hours"
    assert again.session.version == step.session.version + 1


@pytest.mark.parametrize(
    ("node", "value", "version", "kind"),
    [
        ("name", "two", None, "stale"),  # a node the session is not at
        ("hours", "two", 0, "stale"),  # an old version of the same node
        ("hours", "three", None, "invalid"),  # an unknown choice
        ("hours", 2, None, "invalid"),  # the wrong type
    ],
)
def test_bad_clicks_change_nothing(node, value, version, kind) -> None:
    step = begin()
    refused = engine.answer(DIALOG, step.session, node=node, value=value, version=version, now=200.0)
    assert not refused.accepted
    assert refused.session is step.session
    (notice,) = refused.replies
    assert isinstance(notice, Notice) and notice.kind == kind


def test_a_double_click_is_stale_the_second_time() -> None:
    step = begin()
    first = engine.answer(DIALOG, step.session, node="hours", value="two", version=1, now=1.0)
    second = engine.answer(DIALOG, first.session, node="hours", value="two", version=1, now=2.0)
    assert first.accepted and not second.accepted
    assert second.session is first.session
    assert second.replies[0].kind == "stale"


@pytest.mark.parametrize(
    ("value", "problem"),
    [((), "between 1 and 2"), (("twitter", "facebook", "blog"), "between 1 and 2"), (("tiktok",), "not one of")],
)
def test_multi_picks_are_checked(value, problem) -> None:
    step = walk("two", "Shop")
    refused = engine.answer(DIALOG, step.session, node="channels", value=value, version=None, now=1.0)
    assert not refused.accepted and problem in refused.replies[0].text


def test_multi_picks_are_stored_in_choice_order_without_repeats() -> None:
    step = walk("two", "Shop")
    step = engine.answer(DIALOG, step.session, node="channels", value=["facebook", "twitter", "twitter"], version=None, now=1.0)
    assert step.session.answers[-1].value == ("twitter", "facebook")


@pytest.mark.parametrize("value", [0, 6, "seven", True])
def test_scale_out_of_range(value) -> None:
    step = walk("two", "Shop", ("twitter",))
    assert step.session.node == "trust"
    refused = engine.answer(DIALOG, step.session, node="trust", value=value, version=None, now=1.0)
    assert not refused.accepted and refused.session is step.session


def test_scale_accepts_a_typed_digit() -> None:
    step = walk("two", "Shop", ("twitter",))
    assert engine.answer(DIALOG, step.session, node="trust", value="4", version=None, now=1.0).accepted


def test_text_is_tidied_and_length_checked() -> None:
    step = walk("two")
    ok = engine.answer(DIALOG, step.session, node="name", value="  Corner\n\tCafe\x00 ", version=None, now=1.0)
    assert ok.session.answers[-1].value == "Corner Cafe"
    too_long = engine.answer(DIALOG, step.session, node="name", value="x" * 21, version=None, now=1.0)
    assert not too_long.accepted and "keep it to 20" in too_long.replies[0].text
    empty = engine.answer(DIALOG, step.session, node="name", value="   ", version=None, now=1.0)
    assert not empty.accepted


def test_prefill_answers_the_text_question_and_survives_restart() -> None:
    # reorder: name -> hello -> hours -> channels, so the text question comes first
    text = SMALL.replace("start: hello", "start: name").replace("    next: channels\n", "    next: hello\n")
    text = text.replace("follow_up: true}\n    next: name", "follow_up: true}\n    next: channels")
    dialog = load_dialog_text(text, "p.yaml")
    step = engine.start(dialog, session_id="s", owner="u", now=1.0, prefill={"name": "  Acme  Social "})
    assert step.session.answers[0].value == "Acme Social"
    assert step.session.node == "hours"
    assert step.replies[0].preface == ("Hello.",)
    again = engine.restart(dialog, step.session, version=None, now=2.0)
    assert [a.value for a in again.session.answers] == ["Acme Social"]


def test_finished_sessions_refuse_answers() -> None:
    step = walk("none", "Shop", ("blog",))
    refused = engine.answer(DIALOG, step.session, node="channels", value=("blog",), version=None, now=1.0)
    assert not refused.accepted and refused.session is step.session


def test_progress_counts_answered_questions_and_estimates_the_rest() -> None:
    step = walk("two", "Shop")
    question = step.replies[0]
    assert question.progress.number == 3
    assert 3 <= question.progress.about <= 4


def test_a_session_continues_when_the_dialog_changed_elsewhere() -> None:
    step = walk("two")
    edited = load_dialog_text(SMALL.replace("summary: Do it yourself.", "summary: Run it yourselves."), "small.yaml")
    assert edited.content_hash != DIALOG.content_hash
    assert engine.fits(edited, step.session)
    moved = engine.answer(edited, step.session, node="name", value="Shop", version=step.session.version, now=1.0)
    assert moved.accepted and moved.session.dialog_hash == edited.content_hash


def test_a_session_is_told_when_its_question_changed() -> None:
    step = walk("two")
    edited = load_dialog_text(SMALL.replace("text: Your shop's name?", "text: Your company's legal name?"), "small.yaml")
    assert not engine.fits(edited, step.session)
    (notice,) = engine.show(edited, step.session)
    assert isinstance(notice, Notice) and notice.kind == "changed"
    refused = engine.answer(edited, step.session, node="name", value="Shop", version=None, now=1.0)
    assert not refused.accepted and refused.session is step.session
    assert refused.replies[0].kind == "changed"
    restarted = engine.restart(edited, step.session, version=None, now=2.0)
    assert restarted.accepted and restarted.session.node == "hours"


def test_a_session_whose_answer_was_removed_no_longer_fits() -> None:
    step = walk("unsure")
    edited = load_dialog_text(SMALL.replace("      - {id: unsure, label: Unsure, follow_up: true}\n", ""), "small.yaml")
    assert not engine.fits(edited, step.session)


def test_show_renders_the_current_state_without_changing_it() -> None:
    step = walk("two")
    (question,) = engine.show(DIALOG, step.session)
    assert question == dataclasses.replace(step.replies[0])


def test_a_session_moved_on_elsewhere_is_replayed_not_taken_from_this_process_memory() -> None:
    """The engine keeps where each session's last turn left it (a memo of the replay). Another
    process may have answered differently since: the same session id, the same version, other
    answers. The answer must then follow those answers, exactly as a fresh replay would."""
    elsewhere = engine.start(DIALOG, session_id="s1", owner="terminal:ann", now=100.0)
    elsewhere = engine.answer(DIALOG, elsewhere.session, node="hours", value="none", version=1, now=101.0)
    here = walk("two")  # this process's last turn for s1: hours=two, now asking the name
    assert engine._LAST_POSITIONS["s1"][1] == here.session.answers
    moved = dataclasses.replace(elsewhere.session, version=here.session.version)  # the store's copy, as the other process left it
    assert moved.answers != here.session.answers and moved.node == here.session.node == "name"
    remembered = engine.answer(DIALOG, moved, node="name", value="Corner Cafe", version=moved.version, now=102.0)
    engine._LAST_POSITIONS.clear()
    replayed = engine.answer(DIALOG, moved, node="name", value="Corner Cafe", version=moved.version, now=102.0)
    assert remembered.replies == replayed.replies and remembered.session == replayed.session
    assert dict(remembered.session.scores) == dict(replayed.session.scores)
    assert [a.value for a in remembered.session.answers] == ["none", "Corner Cafe"]


def test_every_answer_reaches_what_a_full_replay_reaches(monkeypatch) -> None:
    """Walking on from the remembered position gives, turn by turn, the replies a replay of every
    answer gives (the memo changes the cost of a turn, never its outcome)."""
    values = ("two", "Corner Cafe", ("twitter", "facebook"), 5)
    fast = walk(*values)
    monkeypatch.setattr(engine, "_where", lambda dialog, session: engine.replay(dialog, session.answers))
    slow = walk(*values)
    assert fast.replies == slow.replies and fast.session == slow.session


def test_a_bump_is_the_next_version_and_refuses_what_replace_refused() -> None:
    """`Session.bump` copies fields instead of calling `dataclasses.replace` (issue 15): same result, same refusals."""
    session = Session("s", "o", "d", "h", node="a", version=4)
    bumped = session.bump(node="b")
    assert bumped == dataclasses.replace(session, node="b", version=5) and session.node == "a"
    for wrong in ({"version": 9}, {"no_such_field": 1}):
        with pytest.raises(TypeError):
            session.bump(**wrong)
