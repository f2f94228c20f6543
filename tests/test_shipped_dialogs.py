"""The two dialogs we ship: valid, every path ends in an outcome whose rule holds, and every
word they attribute to the articles is really in the articles."""

from __future__ import annotations

import functools
import re

import pytest

from bot.conversation import engine
from bot.conversation.replies import ResultCard
from bot.dialogs import conditions
from bot.dialogs.catalog import AGENCY_DIALOG, MAIN_DIALOG, Catalog
from bot.dialogs.loader import load_dialog
from bot.dialogs.scoring import choose_outcome
from bot.dialogs.validator import check
from bot.dialogs.walk import walk
from tests.conftest import DIALOGS, SEEDS

FILES = sorted(DIALOGS.glob("*.yaml"))


@functools.cache
def report(dialog_id: str):
    return walk(Catalog.load(DIALOGS).get(dialog_id))


def test_both_dialogs_ship() -> None:
    assert {MAIN_DIALOG, AGENCY_DIALOG} <= set(Catalog.load(DIALOGS).dialogs)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_validates_clean(path) -> None:
    dialog = load_dialog(path)
    assert [str(p) for p in check(dialog, seeds_dir=SEEDS if SEEDS.is_dir() else None)] == []


@pytest.mark.parametrize("dialog_id", [MAIN_DIALOG, AGENCY_DIALOG])
def test_every_path_is_walked_and_ends_in_an_outcome(dialog_id) -> None:
    result = report(dialog_id)
    dialog = Catalog.load(DIALOGS).get(dialog_id)
    assert result.exhaustive, result.note
    assert result.stuck == 0
    assert result.total == sum(result.by_outcome.values()) > 1000
    assert {o.id for o in dialog.outcomes} == {k for k, v in result.by_outcome.items() if v > 0}


@pytest.mark.parametrize("dialog_id", [MAIN_DIALOG, AGENCY_DIALOG])
def test_the_engine_agrees_with_the_walk_and_each_outcomes_rule_holds(dialog_id) -> None:
    """Replay sample answers ending in distinct states through the real engine."""
    dialog = Catalog.load(DIALOGS).get(dialog_id)
    for expected, answers in report(dialog_id).examples:
        step = engine.start(dialog, session_id="s", owner="u", now=0.0)
        for record in answers:
            step = engine.answer(dialog, step.session, node=record.node, value=record.value, version=step.session.version, now=1.0)
            assert step.accepted, (record, step.replies)
        card = step.replies[-1]
        assert isinstance(card, ResultCard) and card.outcome == expected
        outcome = dialog.outcome(expected)
        answered = step.session.answer_map()
        scores = dict(step.session.scores)
        if outcome.fallback:
            assert not any(o.when and conditions.holds(o.when, scores, answered) for o in dialog.outcomes)
        else:
            assert conditions.holds(outcome.when, scores, answered)
        assert choose_outcome(dialog, answered) is outcome
        assert card.next_steps and card.sources and card.reasons


def seed_text(name: str) -> str:
    return " ".join((SEEDS / name).read_text(encoding="utf-8").split())


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u2019", "'").replace("\u201c", '"').replace("\u201d", '"')).strip()


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the seed articles live in ../shared/seeds beside a checkout")
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_quote_is_word_for_word_in_its_seed(path) -> None:
    dialog = load_dialog(path)
    cited = [(n.id, n.source) for n in dialog.nodes.values() if n.source] + [(o.id, o.source) for o in dialog.outcomes]
    assert cited
    for owner, source in cited:
        assert (SEEDS / source.file).is_file(), f"{owner}: {source.file} is not a seed"
        if source.quote:
            assert normalise(source.quote) in normalise(seed_text(source.file)), f"{owner}: quote not in {source.file}"


def test_every_question_and_outcome_cites_a_seed() -> None:
    for path in FILES:
        dialog = load_dialog(path)
        for node in dialog.nodes.values():
            if node.is_question:
                assert node.source and node.source.file in dialog.sources, node.id
        assert all(o.source.file for o in dialog.outcomes)


MAIN_MUST_COVER = {
    # 001's five questions to ask yourself
    "social media other than": "know-how",
    "tools and manpower": "tools and people",
    "part-time social media manager": "part-time manager",
    "trust an outside entity": "trust",
    "blindly handing over the reins": "time to learn the basics",
    # 000
    "more permanent basis": "consulting vs outsourcing",
    "tone of voice": "what an outsider will not know",
    "couple hours a week": "time",
    "personal touch": "personal touch",
    # 001's it depends
    "current state of your business": "state of the business",
    "comfortable": "control",
}


@pytest.mark.skipif(not SEEDS.is_dir(), reason="needs ../shared/seeds")
def test_the_main_check_carries_the_articles_key_points() -> None:
    dialog = load_dialog(DIALOGS / "outsource_check.yaml")
    quoted = " ".join(
        normalise(s.quote)
        for s in [n.source for n in dialog.nodes.values()] + [o.source for o in dialog.outcomes]
        if s is not None
    )
    texts = " ".join(normalise(f"{n.text} {n.why} {' '.join(c.label for c in n.choices)}") for n in dialog.nodes.values())
    everything = (quoted + " " + texts).lower()
    missing = [what for phrase, what in MAIN_MUST_COVER.items() if phrase.lower() not in everything]
    assert missing == []
    kinds = {n.kind for n in dialog.nodes.values()}
    assert {"message", "choice", "multi", "scale", "branch"} <= kinds
    assert len(dialog.outcomes) >= 4


def _shown_along(dialog, answers) -> str:
    """Every sentence a user reads on one path: prefaces, questions, their whys, and the card."""
    from bot.conversation.replies import Question

    step = engine.start(dialog, session_id="s", owner="terminal:t", now=0.0)
    texts: list[str] = []

    def collect(replies) -> None:
        for r in replies:
            if isinstance(r, Question):
                texts.extend([r.description, *r.preface, r.text, r.why, *(o.label for o in r.options)])
            elif isinstance(r, ResultCard):
                texts.extend([*r.preface, r.title, r.summary, *(a.text for a in r.reasons + r.tensions), *r.next_steps, *r.still_to_settle])

    collect(step.replies)
    for record in answers:
        step = engine.answer(dialog, step.session, node=record.node, value=record.value, version=step.session.version, now=1.0)
        collect(step.replies)
    return " ".join(texts)


@pytest.mark.parametrize("dialog_id", [MAIN_DIALOG, AGENCY_DIALOG])
def test_users_read_articles_and_their_own_commands_never_files_or_other_platforms(dialog_id) -> None:
    dialog = Catalog.load(DIALOGS).get(dialog_id)
    for _, answers in walk(dialog, max_examples=60).examples:
        shown = _shown_along(dialog, answers)
        assert not re.search(r"\b00[01]\b|\.txt|_[0-9a-f]{16}", shown), "a seed's file name or number reached the user"
        assert "/outsource-check" not in shown  # the terminal gets its own command line
        assert "One of the five questions" not in shown  # a label of the question is not a reason for it


def test_the_time_it_takes_is_said_at_most_twice_on_any_path() -> None:
    """'A couple of hours a week' once in the question, at most once more where it matters."""
    dialog = Catalog.load(DIALOGS).get(MAIN_DIALOG)
    for _, answers in walk(dialog, max_examples=200).examples:
        assert len(re.findall(r"couple (?:of )?hours", _shown_along(dialog, answers))) <= 2
