"""The terminal chat, driven end to end through its real entry point with piped input."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from adapters.terminal.render import render_card
from bot.conversation import engine, layout
from bot.conversation.replies import Option, Progress, Question
from bot.conversation.typed import read_answer
from bot.dialogs.catalog import AGENCY_DIALOG, Catalog
from tests.conftest import DIALOGS, ROOT


def run(args: list[str], lines: list[str], data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OUTSOURCE_CHECK_DATA": str(data_dir), "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "adapters.cli", *args],
        input="".join(f"{line}\n" for line in lines),
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )


def answers_to_the_end(data_dir: Path, first: list[str]) -> subprocess.CompletedProcess[str]:
    """Answer with the first choice (or 3 on scales, 1 on multi) until the result appears."""
    return run(["chat"], first + ["1"] * 40, data_dir)


def test_a_whole_check_in_the_terminal(tmp_path: Path) -> None:
    result = answers_to_the_end(tmp_path, [])
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "[question 1 of about" in out
    flat = " ".join(out.split())
    assert "Why it matters:" in out and '(from "Should small businesses outsource their social media?")' in flat
    assert "_d221b9c26be84fb1" not in out and "001" not in out  # users see articles, never files
    assert "RECOMMENDATION:" in out
    assert "Your answers at a glance:" in out and ("[#" in out or "[-" in out)
    assert "Why this fits your answers:" in out
    assert "Next steps:" in out and "[ ]" in out
    assert 'Based on: "Should small businesses outsource their social media?"' in flat
    assert "/outsource-check" not in out  # a Slack or Discord command means nothing here
    assert "Traceback" not in out + result.stderr


def test_wrong_entries_get_a_hint_and_the_same_question(tmp_path: Path) -> None:
    result = run(["chat"], ["banana", "99", "q"], tmp_path)
    assert "! I didn't catch that. Reply with a number: 1 = " in result.stdout
    assert "! There is no choice 99." in result.stdout
    assert result.stdout.count("[question 1 of about") == 1


def test_quit_and_run_again_resumes(tmp_path: Path) -> None:
    first = run(["chat"], ["1", "2", "q"], tmp_path)
    assert "Saved. Run the same command again" in first.stdout
    again = run(["chat"], ["q"], tmp_path)
    assert "Welcome back: picking up where you left off." in again.stdout
    assert "[question 3 of about" in again.stdout
    back = run(["chat"], ["b", "b", "q"], tmp_path)
    assert "[question 1 of about" in back.stdout


def test_end_of_input_keeps_the_answers(tmp_path: Path) -> None:
    assert "(end of input: your answers are saved)" in run(["chat"], ["1"], tmp_path).stdout
    assert "[question 2 of about" in run(["chat"], ["q"], tmp_path).stdout


def test_restart_from_the_middle_asks_first(tmp_path: Path) -> None:
    result = run(["chat"], ["1", "1", "r", "n", "r", "y", "q"], tmp_path)
    assert result.stdout.count("Start over and clear your answers?") == 2
    assert "Kept your answers." in result.stdout
    assert result.stdout.count("[question 1 of about") == 2  # the start, and the confirmed restart


def test_a_check_never_answered_does_not_welcome_you_back(tmp_path: Path) -> None:
    run(["chat"], ["q"], tmp_path)
    assert "Welcome back" not in run(["chat"], ["q"], tmp_path).stdout


def test_going_back_shows_the_answer_given_before(tmp_path: Path) -> None:
    result = run(["chat"], ["2", "b", "q"], tmp_path)
    assert "2. Someone to run it for a while, then teach us to take over   <- your answer before" in result.stdout


def test_scale_options_read_once_and_the_description_is_shown(tmp_path: Path) -> None:
    out = run(["chat"], ["q"], tmp_path).stdout
    assert "responsible for, well," in out  # the dialog's description, from the second article
    from bot.conversation import engine
    from bot.dialogs.catalog import Catalog
    from tests.conftest import DIALOGS

    dialog = Catalog.load(DIALOGS).get("outsource_check")
    from adapters.terminal.render import render as render_question

    step = engine.start(dialog, session_id="s", owner="terminal:t", now=0.0)
    for value in ("advice_setup", "confident", "yes_easily", "yes_learn", "yes_have", "nobody", ()):
        step = engine.answer(dialog, step.session, node=step.session.node, value=value, version=step.session.version, now=1.0)
    text = render_question(step.replies[0])
    assert "  1 - They'd never notice" in text and "1. 1 -" not in text


def test_the_agency_check_with_a_name(tmp_path: Path) -> None:
    result = run(["chat", "--dialog", "agency_vetting", "--agency", "Buzz Social"], ["1"] * 30, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Buzz Social" in result.stdout and "RECOMMENDATION:" in result.stdout
    assert "[question 1 of about 9]" in result.stdout  # the name given with the command is not a question asked
    abouts = {int(n) for n in re.findall(r"question \d+ of about (\d+)", result.stdout)}
    assert max(abouts) == 9  # the estimate never grows
    walk_away = run(["chat", "--dialog", "agency_vetting", "--agency", "Buzz Social"], ["r", "y", "4", "q"], tmp_path).stdout
    assert "Turn around and run" in walk_away and "[question 2 of about" not in walk_away.split("> r")[-1]
    assert "outsource-check chat --dialog agency_vetting --agency '<agency name>'" in walk_away  # this surface's command, whole
    assert "/outsource-check" not in walk_away


def test_unknown_dialog_is_one_clear_line(tmp_path: Path) -> None:
    result = run(["chat", "--dialog", "nope"], [], tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().startswith("outsource-check: no dialog 'nope'; there are: agency_vetting, outsource_check")


def test_validate_through_the_command_line(tmp_path: Path) -> None:
    ok = run(["validate", *map(str, sorted(DIALOGS.glob("*.yaml")))], [], tmp_path)
    assert ok.returncode == 0, ok.stderr
    broken = tmp_path / "broken.yaml"
    broken.write_text((DIALOGS / "agency_vetting.yaml").read_text().replace("start: agency_name", "start: agency_nam"))
    bad = run(["validate", str(broken)], [], tmp_path)
    assert bad.returncode == 1
    assert "start: 'agency_nam' is not a node; did you mean 'agency_name'?" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_broken_dialogs_stop_the_chat_with_the_problems(tmp_path: Path) -> None:
    folder = tmp_path / "dialogs"
    folder.mkdir()
    (folder / "x.yaml").write_text("id: x\nnodes: [\n")
    env = {**os.environ, "OUTSOURCE_CHECK_DIALOGS": str(folder), "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", "adapters.cli", "chat"], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 2
    assert "the dialogs have problems" in result.stderr and "x.yaml:" in result.stderr
    assert "Traceback" not in result.stderr


QUESTION = Question(
    session_id="s",
    version=1,
    dialog_id="d",
    dialog_title="D",
    node="n",
    kind="choice",
    text="?",
    options=(Option("yes", "Yes"), Option("part_time", "Part-time manager"), Option("no", "No, not yet")),
    progress=Progress(1, 3),
)


@pytest.mark.parametrize(
    ("typed", "value"),
    [("2", "part_time"), ("yes", "yes"), ("YES!", "yes"), ("part-time", "part_time"), ("no", "no"), ("not yet", "no")],
)
def test_typed_answers(typed: str, value: str) -> None:
    assert read_answer(QUESTION, typed).value == value


@pytest.mark.parametrize(("typed", "hint"), [("4", "no choice 4"), ("maybe", "didn't catch"), ("", "Reply with a number")])
def test_typed_answers_that_are_not_understood(typed: str, hint: str) -> None:
    answer = read_answer(QUESTION, typed)
    assert not answer.ok and hint in answer.hint


def test_ambiguous_words_are_not_guessed() -> None:
    question = Question(**{**QUESTION.__dict__, "options": (Option("a", "Yes, daily"), Option("b", "Yes, weekly"))})
    answer = read_answer(question, "yes")
    assert not answer.ok and "fits more than one choice" in answer.hint


def test_typed_multi_and_scale() -> None:
    multi = Question(**{**QUESTION.__dict__, "kind": "multi", "min_picks": 1, "max_picks": 2})
    assert read_answer(multi, "1, 3").value == ("yes", "no")
    assert not read_answer(multi, "0").ok
    assert not read_answer(multi, "1 2 3").ok
    scale = Question(**{**QUESTION.__dict__, "kind": "scale", "options": tuple(Option(str(i), str(i)) for i in range(1, 6))})
    assert read_answer(scale, "4").value == 4


def test_stats_count_without_personal_data(tmp_path: Path) -> None:
    run(["chat"], ["1"] * 40, tmp_path)  # one finished check
    run(["chat", "--dialog", "agency_vetting", "--agency", "Secret Agency Ltd"], ["1", "q"], tmp_path)  # one unfinished
    result = run(["stats"], [], tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "(outsource_check): 1 started, 1 finished (100%)" in out
    assert "(agency_vetting): 1 started, 0 finished (0%)" in out
    assert "where unfinished checks stopped:" in out and "outcomes:" in out
    assert "Secret Agency" not in out and "terminal:" not in out


def test_the_terminal_loads_no_chat_platform_sdk(tmp_path: Path) -> None:
    """A surface imports only what it uses: the terminal check never loads slack-bolt, slack-sdk or discord.py."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "adapters.cli", "chat", "--store", "memory:"],
        input="q\n", capture_output=True, text=True, cwd=ROOT, timeout=120,
        env={**os.environ, "OUTSOURCE_CHECK_DATA": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    imported = {line.split("|")[-1].strip().split(".")[0] for line in result.stderr.splitlines() if line.startswith("import time:")}
    assert "bot" in imported and not imported & {"slack_bolt", "slack_sdk", "discord"}


@pytest.mark.parametrize("name", ["Buzz Social", 'Joe "Tweet" Smith $HOME', "O'Brien & Co; rm -rf ~", "<agency name>"])
def test_a_named_command_pastes_back_into_a_shell_as_the_same_name(name: str) -> None:
    """A card tells the owner to run the check on the agency again: pasted into a shell, quotes,
    `$` and `;` in its name must reach --agency as typed, not split, expand or run."""
    import shlex

    from bot.dialogs.commands import command

    argv = shlex.split(command("agency_vetting", "terminal", name))
    assert argv[:4] == ["outsource-check", "chat", "--dialog", "agency_vetting"] and argv[4:] == ["--agency", name]


def test_no_dialog_glues_punctuation_to_a_command() -> None:
    """"...the same way: /outsource-check agency Buzz Social." pasted starts a check on "Buzz Social."."""
    for path in sorted(DIALOGS.glob("*.yaml")):
        glued = re.findall(r"\{run:[a-z_:]+\}[.,;:!?]", path.read_text())
        assert not glued, f"{path.name}: end the sentence before the command, not after it: {glued}"


@pytest.mark.parametrize("name", ["Bright Pixel Media", "Joe's Very Long Social Media Agency Name Ltd"])
def test_a_command_with_a_long_name_stays_on_one_line(name: str) -> None:
    """Wrapped at 76 columns, a command broken inside its quotes pastes back as a different name."""
    import shlex

    from adapters.terminal.render import wrap
    from bot.dialogs.commands import command

    typed = command("agency_vetting", "terminal", name)
    shown = wrap(f"When you know more, run the check on {name} again: {typed}", "  ", "    ")
    assert typed in shown.replace("\n    ", " ").replace("\u00a0", " ")
    (line,) = [line for line in shown.splitlines() if "outsource-check" in line]
    assert shlex.split(line.strip().replace("\u00a0", " "))[-1] == name


def test_the_dialogs_title_heads_only_its_first_question_not_a_message_mid_way() -> None:
    """A message between questions (the vetting's "Now the engagement itself") came under the dialog's title,
    as if the check had started over."""
    dialog = Catalog.load(DIALOGS).get(AGENCY_DIALOG)
    step = engine.start(dialog, session_id="t", owner="terminal:t", now=0.0, prefill={"agency_name": "Bright Spark Media"})
    first = render_card(layout.question(step.replies[-1]))
    assert first.startswith(dialog.title)
    for node, value in (("learns_business", "yes_all"), ("mission_vision", "yes_passionate"), ("tour_meet", "all_met"),
                        ("product_experts", "yes_experts"), ("love_business", "yes_love")):
        step = engine.answer(dialog, step.session, node=node, value=value, version=step.session.version, now=1.0)
    question = step.replies[-1]
    assert isinstance(question, Question) and question.preface, "the engagement note comes before the next question"
    shown = render_card(layout.question(question))
    assert dialog.title not in shown and shown.startswith("Now the engagement itself")
