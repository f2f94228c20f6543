"""One test per kind of authoring mistake: each names file, line, column, node and the fix."""

from __future__ import annotations

import pytest

from bot.dialogs.loader import load_dialog, load_dialog_text
from bot.dialogs.problems import DialogError
from tests.helpers import SMALL, small_dialog


def problems_of(text: str) -> list[str]:
    with pytest.raises(DialogError) as caught:
        small_dialog(text)
    return [str(p) for p in caught.value.problems]


def only_problem(text: str) -> str:
    found = problems_of(text)
    assert len(found) == 1, found
    return found[0]


def test_the_small_dialog_loads() -> None:
    dialog = small_dialog()
    assert dialog.id == "small"
    assert list(dialog.nodes) == ["hello", "hours", "name", "channels", "route", "trust"]


def test_misspelt_next_names_line_column_node_and_a_suggestion() -> None:
    text = SMALL.replace("    next: name\n", "    next: nmae\n")
    assert only_problem(text) == (
        "small.yaml:24:11: error: node 'hours': next: 'nmae' is not a node or outcome; did you mean 'name'?"
    )


def test_the_guides_example_of_a_bad_next() -> None:
    text = SMALL.replace("id: hours\n", "id: time_check\n").replace("next: hours", "next: tme")
    text = text.replace("{answer: hours,", "{answer: time_check,")
    assert "next: 'tme' is not a node or outcome; did you mean 'time_check'?" in only_problem(text)


def test_yaml_syntax_error_points_at_the_line() -> None:
    message = only_problem(SMALL.replace("    text: Hours a week?\n", "    text: [Hours a week?\n"))
    assert message.startswith("small.yaml:") and "YAML syntax" in message
    assert int(message.split(":")[1]) >= 16


def test_duplicate_key_is_an_error_not_silently_dropped() -> None:
    message = only_problem(SMALL.replace("    text: Hours a week?\n", "    text: Hours a week?\n    text: Again?\n"))
    assert "duplicate key 'text'" in message
    assert ":17:5:" in message


def test_unknown_key_suggests_the_right_one() -> None:
    message = only_problem(SMALL.replace("    next: name\n", "    nxt: name\n    next: name\n"))
    assert "node 'hours': unknown key 'nxt' in a choice node; did you mean 'next'?" in message


def test_unknown_kind_lists_a_suggestion() -> None:
    message = only_problem(SMALL.replace("kind: scale", "kind: scael"))
    assert "node 'trust': kind 'scael' is not a node kind; did you mean 'scale'?" in message


def test_missing_required_field_says_what_it_is() -> None:
    message = only_problem(SMALL.replace("    text: Hours a week?\n", ""))
    assert "node 'hours': missing 'text:'" in message


def test_duplicate_node_ids() -> None:
    text = SMALL.replace("  - id: trust\n    kind: scale", "  - id: hours\n    kind: scale")
    found = problems_of(text)
    assert any("duplicate node id 'hours'" in p for p in found)


def test_scores_on_an_unknown_dimension() -> None:
    message = only_problem(SMALL.replace("scores: {time: 2}", "scores: {tme: 2}"))
    assert "scores: 'tme' is not a dimension; did you mean 'time'?" in message


def test_score_must_be_a_whole_number() -> None:
    assert "scores: 'time' must be a whole number" in only_problem(SMALL.replace("scores: {time: 2}", "scores: {time: lots}"))


def test_condition_with_an_unknown_comparison() -> None:
    message = only_problem(SMALL.replace("{score: time, at_least: 3}\n        next: trust", "{score: time, atleast: 3}\n        next: trust"))
    assert "'atleast' is not a comparison; did you mean 'at_least'?" in message
    assert "node 'route'" in message


def test_condition_on_a_choice_that_does_not_exist() -> None:
    message = only_problem(SMALL.replace("{answer: hours, is: two}", "{answer: hours, is: three}"))
    assert "is: 'three' is not a choice of 'hours'" in message
    assert "node 'agency'" in message


def test_condition_comparison_that_does_not_fit_the_node_kind() -> None:
    message = only_problem(SMALL.replace("{answer: hours, is: two}", "{answer: hours, includes: two}"))
    assert "'includes' is not a comparison" in message


def test_no_fallback_outcome() -> None:
    message = only_problem(SMALL.replace("    fallback: true\n", "    when: {score: time, at_least: 1}\n"))
    assert "exactly one outcome needs 'fallback: true'" in message and "found 0" in message


def test_two_fallbacks() -> None:
    text = SMALL.replace("\n    when: {score: time, at_least: 3}\n", "\n    fallback: true\n", 1)
    assert "found 2" in only_problem(text)


def test_bad_id_format() -> None:
    assert "node id 'Hours' must be lowercase" in "\n".join(problems_of(SMALL.replace("id: hours", "id: Hours")))


def test_multi_choices_cannot_route_on_their_own() -> None:
    message = only_problem(SMALL.replace("{id: blog, label: Blog}", "{id: blog, label: Blog, next: trust}"))
    assert "choices of a multi node cannot have their own 'next'" in message


def test_source_must_be_a_listed_seed() -> None:
    message = only_problem(SMALL.replace("    source: 000_d221b9c26be84fb1.txt\n    max_length", "    source: 000_d221b9c26be84fb1.md\n    max_length"))
    assert "source '000_d221b9c26be84fb1.md' is not listed under 'sources:'; did you mean '000_d221b9c26be84fb1.txt'?" in message


def test_questions_must_cite_a_source() -> None:
    message = only_problem(SMALL.replace("    source: 000_d221b9c26be84fb1.txt\n    low:", "    low:"))
    assert "node 'trust': missing 'source:'" in message


def test_result_is_reserved() -> None:
    assert any("'result' is reserved" in p for p in problems_of(SMALL.replace("id: trust\n", "id: result\n")))


def test_a_node_that_follows_itself() -> None:
    assert "points at the node itself" in only_problem(SMALL.replace("    next: channels\n", "    next: name\n"))


def test_every_problem_is_reported_at_once() -> None:
    text = SMALL.replace("next: name\n", "next: nmae\n").replace("scores: {time: 2}", "scores: {tme: 2}")
    assert len(problems_of(text)) == 2


def test_not_a_mapping_and_unreadable_files(tmp_path) -> None:
    with pytest.raises(DialogError, match="must be a mapping"):
        load_dialog_text("- just\n- a list\n", "list.yaml")
    with pytest.raises(DialogError, match="cannot read the file"):
        load_dialog(tmp_path / "missing.yaml")
