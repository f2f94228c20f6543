"""The validator's advice checks: each passes on a sound dialog and fails on one built to break it.

Every check is proved over every path by the exact walker, so each broken dialog below differs
from the sound one in a single place, and the error must name that place (file and line).
"""

from __future__ import annotations

import re
import textwrap

from bench.dialog_gen import dialog_yaml
from bot.dialogs.advice_figures import figures
from bot.dialogs.loader import load_dialog_text
from bot.dialogs.validator import check

SEED = "000_d221b9c26be84fb1.txt"
QUOTE = "After all, that’s all it takes."

SOUND = f"""
id: advice
title: Advice
sources: [{{file: {SEED}, title: Should small businesses outsource their social media?}}]
dimensions:
  - {{id: time, label: Time, why: Hours matter.}}
start: hours
nodes:
  - id: hours
    kind: choice
    text: Can you spare a couple of hours a week?
    source: {SEED}
    why: Time is what most owners say they lack.
    choices:
      - {{id: yes_hours, label: "Yes", scores: {{time: 2}}}}
      - {{id: no_hours, label: "No", against: [in_house]}}
    next: staff
  - id: staff
    kind: choice
    text: Have you compared agencies?
    source: {SEED}
    why: Comparing shows what good looks like.
    follow_up:
      text: Talk to other agencies before you decide.
      topic: compare_agencies
    choices:
      - {{id: compared, label: "Yes", settles: [compare_agencies]}}
      - {{id: first, label: "No", follow_up: true}}
    next: result
outcomes:
  - id: in_house
    title: Keep it in-house
    summary: Do it yourselves.
    source: {SEED}
    when: {{answer: staff, is: compared}}
    reasons:
      - text: You have looked around and know what good looks like.
        when: {{answer: staff, is: compared}}
        source: {{file: {SEED}, quote: "{QUOTE}"}}
    tensions:
      - text: You said you have no time for it at all.
        when: {{answer: hours, is: no_hours}}
        source: {{file: {SEED}, quote: "{QUOTE}"}}
    next_steps:
      - Block the hours in the calendar.
  - id: agency
    title: Look at agencies
    fallback: true
    summary: Look around first.
    source: {SEED}
    reasons:
      - text: You have only met one agency so far.
        source: {{file: {SEED}, quote: "{QUOTE}"}}
    next_steps:
      - text: Talk to more agencies before you sign anything.
        topic: compare_agencies
"""


def problems(text: str) -> list[str]:
    dialog = load_dialog_text(textwrap.dedent(text), "advice.yaml")
    return [f"{p.line}: {p.node}: {p.message}" for p in check(dialog) if p.severity == "error"]


def line_of(text: str, fragment: str) -> int:
    return next(i for i, line in enumerate(textwrap.dedent(text).splitlines(), 1) if fragment in line)


def test_the_sound_dialog_passes_every_check() -> None:
    assert problems(SOUND) == []
    report = figures(load_dialog_text(textwrap.dedent(SOUND), "advice.yaml"))
    assert (report.without_reason, report.contradicting, report.repeating) == (0, 0, 0)
    assert report.questions_median == 2


def test_a_path_with_no_reason_that_holds() -> None:
    broken = SOUND.replace("    reasons:\n      - text: You have only met one agency so far.", "    reasons:\n      - text: You have only met one agency so far.\n        when: {answer: hours, is: yes_hours}")
    found = problems(broken)
    assert len(found) == 1 and "no reason holds" in found[0] and found[0].startswith(f"{line_of(broken, '- id: agency')}: agency:")
    assert "on 1 path(s)" in found[0] and "Can you spare" not in found[0]


def test_a_reason_resting_on_an_answer_that_pulls_against_the_outcome() -> None:
    broken = SOUND.replace(
        "      - text: You have looked around and know what good looks like.\n        when: {answer: staff, is: compared}",
        "      - text: You have looked around and know what good looks like.\n        when: {all: [{answer: staff, is: compared}, {answer: hours, in: [yes_hours, no_hours]}]}",
    )
    found = problems(broken)
    assert any(f.startswith(f"{line_of(broken, 'You have looked around')}: in_house: a reason rests on the answer") for f in found), found


def test_an_answer_against_the_outcome_that_no_tension_names() -> None:
    broken = SOUND.replace("        when: {answer: hours, is: no_hours}\n", "        when: {answer: hours, is: yes_hours}\n")
    found = problems(broken)
    assert found == [f"{line_of(broken, '- id: hours')}: hours: the answer 'hours: No' pulls against 'in_house', but no tension"
                     " the card shows names it: add a tension that says what to do about it (on 1 path(s), e.g. hours: No; staff: Yes)"]


def test_a_next_step_that_raises_a_topic_an_answer_settled() -> None:
    # in-house now also needs the hours, so the fallback gets owners who have compared agencies
    broken = SOUND.replace(
        "    when: {answer: staff, is: compared}\n    reasons:",
        "    when: {all: [{answer: staff, is: compared}, {answer: hours, is: yes_hours}]}\n    reasons:",
    )
    found = problems(broken)
    assert found == [
        f"{line_of(broken, 'Talk to more agencies')}: agency: next step 'Talk to more agencies before you sign anything.'"
        " raises 'compare_agencies', which the answer 'staff: Yes' already settled: give it a 'when'"
        " (on 1 path(s), e.g. hours: No; staff: Yes)"
    ]


def test_a_next_step_or_open_point_on_a_topic_the_outcome_rules_out() -> None:
    broken = SOUND.replace("    fallback: true\n", "    fallback: true\n    rules_out: [compare_agencies]\n")
    found = problems(broken)
    assert any(f.startswith(f"{line_of(broken, 'Talk to more agencies')}: agency: next step") and "rules out" in f for f in found), found
    assert any(f.startswith(f"{line_of(broken, '- id: staff')}: staff: its open point") and "rules out" in f for f in found), found
    # leaving the open point out of this outcome's card is the other way to fix it
    fixed = broken.replace("    rules_out: [compare_agencies]\n", "    rules_out: [compare_agencies]\n    open_points: []\n")
    assert not any("open point" in f for f in problems(fixed))


def test_a_sentence_said_twice() -> None:
    in_node = SOUND.replace("why: Comparing shows what good looks like.", "why: Have you compared agencies?  Comparing shows what good looks like.")
    assert problems(in_node) == []  # four words: too short to count as a repeated sentence
    twice = SOUND.replace("why: Comparing shows what good looks like.", "why: Time is what most owners say they lack.")
    found = problems(twice)
    assert found == [f"{line_of(twice, '- id: hours')}: hours: says 'time is what most owners say they lack', and so does 'staff' later on the same path: say it once"]
    on_card = SOUND.replace("Block the hours in the calendar.", "You said you have no time for it at all.")
    assert any("the card says this twice" in f for f in problems(on_card))


def test_the_question_repeated_as_its_own_why() -> None:
    broken = SOUND.replace("why: Time is what most owners say they lack.", "why: Can you spare a couple of hours a week?")
    assert problems(broken) == [f"{line_of(broken, '- id: hours')}: hours: says 'can you spare a couple of hours a week' in both its text and its why"]


def test_a_source_without_a_title_is_flagged() -> None:
    untitled = SOUND.replace(f"sources: [{{file: {SEED}, title: Should small businesses outsource their social media?}}]", f"sources: [{SEED}]")
    dialog = load_dialog_text(textwrap.dedent(untitled), "advice.yaml")
    warnings = [p.message for p in check(dialog) if p.severity == "warning"]
    assert any("has no title" in w for w in warnings)


def test_the_shipped_figures_are_current_and_on_target() -> None:
    """docs/advice.md shows what `outsource-check advice` computes now, and every target is met."""
    from bot.dialogs import tools
    from tests.conftest import DIALOGS, ROOT

    text, code = tools.advice_report([str(DIALOGS / "outsource_check.yaml"), str(DIALOGS / "agency_vetting.yaml")])
    assert code == 0, text
    page = (ROOT / "docs" / "advice.md").read_text(encoding="utf-8")
    assert text in page, "docs/advice.md is stale: run outsource-check advice dialogs/*.yaml --write docs/advice.md"
    assert text.count("| paths that end with no reason that holds | 0 | 0 |") == 2


def test_a_sentence_said_by_many_questions_is_one_line_per_question() -> None:
    """Not one per pair: a sentence in the 24 questions of a generated dialog's four sections would
    otherwise be 276 lines to read (and millions in a dialog of thousands of nodes)."""
    text = re.sub(r"why: Generated for the benchmarks, and \S+ own reason to be asked\.", "why: Time is what most owners say they lack.", dialog_yaml(40))
    found = [p.message for p in check(load_dialog_text(text, "many.yaml")) if "later on the same path" in p.message]
    assert len(found) == 23
    assert found[0] == "says 'time is what most owners say they lack', and so does 's0_q1' (and 22 more) later on the same path: say it once"
    assert found[-1] == "says 'time is what most owners say they lack', and so does 's3_q5' later on the same path: say it once"


def test_the_benchmarks_generated_dialog_is_clean() -> None:
    """Benchmark 3 times validating big generated dialogs: the validator must have nothing against
    them but, past a few sections, that their paths are too many to prove every one."""
    assert check(load_dialog_text(dialog_yaml(20), "generated.yaml")) == []
    big = check(load_dialog_text(dialog_yaml(60), "generated.yaml"))
    assert [(p.severity, p.message.split(",")[0]) for p in big] == [("warning", "the advice checks need every path walked")]


def test_one_walk_per_card_finds_what_one_walk_of_every_card_finds() -> None:
    """The validator proves each outcome's cards over a walk of its own (advice_check.prove), which
    tells endings apart only by what that card reads. Path for path it must find every fault the
    single walk of all the cards finds: on the sound dialog, on each broken one above, and on a
    generated dialog whose cards read scores."""
    from bot.dialogs.advice_check import check_endings, prove
    from bot.dialogs.walk import walk

    variants = [
        SOUND,
        SOUND.replace("    reasons:\n      - text: You have only met one agency so far.",
                      "    reasons:\n      - text: You have only met one agency so far.\n        when: {answer: hours, is: yes_hours}"),
        SOUND.replace("        when: {answer: hours, is: no_hours}\n", "        when: {answer: hours, is: yes_hours}\n"),
        SOUND.replace("    when: {answer: staff, is: compared}\n    reasons:",
                      "    when: {all: [{answer: staff, is: compared}, {answer: hours, is: yes_hours}]}\n    reasons:"),
        SOUND.replace("    fallback: true\n", "    fallback: true\n    rules_out: [compare_agencies]\n"),
        SOUND.replace("Block the hours in the calendar.", "You said you have no time for it at all."),
        # an answer against in-house that no card condition tells apart from "Yes": only its mark does
        SOUND.replace('      - {id: no_hours, label: "No", against: [in_house]}\n',
                      '      - {id: no_hours, label: "No", against: [in_house]}\n      - {id: few_hours, label: "A few", against: [in_house]}\n'),
    ]
    dialogs = [load_dialog_text(textwrap.dedent(v), "advice.yaml") for v in variants] + [load_dialog_text(dialog_yaml(12), "generated.yaml")]
    faulty = 0
    for dialog in dialogs:
        whole = walk(dialog, max_states=2_000_000)
        assert whole.exhaustive
        one = check_endings(dialog, whole)
        each = prove(dialog, max_states=2_000_000, sample_steps=1_000)
        assert each is not None
        assert {k: f.paths for k, f in each.findings.items()} == {k: f.paths for k, f in one.findings.items()}, dialog.path
        counts = ("paths_without_reason", "paths_with_contradiction", "paths_with_repeats")
        assert [getattr(each, c) for c in counts] == [getattr(one, c) for c in counts], dialog.path
        faulty += bool(one.findings)
    assert faulty == 6  # every broken dialog had a fault to find
