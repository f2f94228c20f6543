"""Graph and platform checks, and the exit codes of `outsource-check validate`."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.dialogs import tools
from bot.dialogs.validator import VALIDATE_STATES, check
from tests.helpers import SMALL, small_dialog


def messages(text: str) -> list[str]:
    return [f"{p.node}: {p.message}" for p in check(small_dialog(text))]


def test_the_small_dialog_is_clean() -> None:
    assert messages(SMALL) == []


def test_unreachable_node() -> None:
    text = SMALL.replace("  - id: route\n", "  - id: lonely\n    kind: message\n    text: Nobody comes here.\n    next: result\n  - id: route\n")
    assert messages(text) == ["lonely: unreachable: no path from 'start' leads here; link it with a 'next' or delete it"]


def test_loop_with_no_way_out() -> None:
    text = SMALL.replace("  - id: trust\n    kind: scale", "  - id: spin\n    kind: message\n    text: Round we go.\n    next: spin2\n  - id: spin2\n    kind: message\n    text: And again.\n    next: spin\n  - id: trust\n    kind: scale")
    text = text.replace("    scores: {trust: 1}\n    next: result", "    scores: {trust: 1}\n    next: spin")
    found = messages(text)
    assert any(m.startswith("spin: loop with no way out") for m in found)
    assert any(m.startswith("trust: dead end") for m in found)


def test_a_loop_with_a_way_out_is_fine() -> None:
    text = SMALL.replace(
        "      - {id: unsure, label: Unsure, follow_up: true}\n",
        "      - {id: unsure, label: Unsure, follow_up: true}\n      - {id: explain, label: Explain first, next: explain}\n",
    ).replace("  - id: name\n", "  - id: explain\n    kind: message\n    text: It takes two hours.\n    next: hours\n  - id: name\n")
    # a dialog with a loop is sampled, not walked: fine, but the advice checks say they could not run
    assert messages(text) == [f": the advice checks need every path walked, and this dialog has loops or more states than {VALIDATE_STATES:,}"]


def test_outcome_whose_rule_never_holds() -> None:
    text = SMALL.replace("{score: time, at_least: 3}\n    reasons", "{score: time, at_least: 30}\n    reasons")
    assert messages(text) == ["in_house: outcome can never be chosen: its rule never holds on any path, or an earlier outcome's rule always wins"]


def test_outcome_shadowed_by_an_earlier_rule() -> None:
    text = SMALL.replace("when: {all: [{score: trust, at_least: 2}, {answer: hours, is: two}]}", "when: {score: time, at_least: -10}")
    found = messages(text)
    assert any(m.startswith("in_house: outcome can never be chosen") for m in found)


def test_label_too_long_for_slack() -> None:
    long_label = "x" * 76
    found = messages(SMALL.replace("label: Two hours", f"label: {long_label}"))
    assert found == ["hours: choice 'two' label is 76 characters; Slack buttons take 75 (Discord 80): shorten it"]


def test_too_many_choices_for_discord() -> None:
    extra = "".join(f"      - {{id: c{i}, label: Choice {i}}}\n" for i in range(25))
    found = messages(SMALL.replace("      - {id: blog, label: Blog}\n", f"      - {{id: blog, label: Blog}}\n{extra}"))
    assert "channels: 28 choices; Discord shows at most 25: split the question" in found


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_validate_exit_codes(tmp_path: Path) -> None:
    clean = write(tmp_path, "clean.yaml", SMALL)
    text, code = tools.validate([clean])
    assert code == 0 and "ok (4 questions, 3 outcomes)" in text
    broken = write(tmp_path, "broken.yaml", SMALL.replace("next: name\n", "next: nmae\n"))
    text, code = tools.validate([clean, broken])
    assert code == 1 and "broken.yaml:24:11: error: node 'hours': next: 'nmae'" in text
    text, code = tools.validate([str(tmp_path / "nope.yaml")])
    assert code == 2 and "no such file" in text
    assert tools.validate([])[1] == 2


def test_paths_report_counts_every_path(tmp_path: Path) -> None:
    text, code = tools.paths_report(write(tmp_path, "small.yaml", SMALL))
    assert code == 0
    assert "small: 38 paths (every path walked" in text
    assert "every path ends in an outcome" in text


@pytest.mark.parametrize("fmt", ["mermaid", "dot"])
def test_graph_formats(tmp_path: Path, fmt: str) -> None:
    text, code = tools.graph(write(tmp_path, "small.yaml", SMALL), fmt)
    assert code == 0
    if fmt == "mermaid":
        assert text.startswith("flowchart TD") and "route -->|rule 1| trust" in text
    else:
        assert text.startswith('digraph "small"') and "route -> trust" in text
    assert tools.graph(write(tmp_path, "s.yaml", SMALL), "svg")[1] == 2


def test_the_guides_complete_example_validates_clean(tmp_path: Path) -> None:
    """docs/dialogs.md promises its example validates as it stands: keep that true."""
    from tests.conftest import ROOT

    guide = (ROOT / "docs" / "dialogs.md").read_text()
    example = guide.split("## A complete small example", 1)[1].split("```yaml", 1)[1].split("```", 1)[0]
    text, code = tools.validate([write(tmp_path, "coffee_check.yaml", example)])
    assert code == 0, text
    assert "ok (2 questions, 2 outcomes)" in text
