"""Every payload we could send passes slack_sdk's own validation; start-up fails in one line."""

from __future__ import annotations

import argparse
import json

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from adapters.slack import main as slack_main
from adapters.slack.blocks import blocks_of
from adapters.slack.forms import help_blocks, home_view, share_modal, text_answer_modal
from adapters.slack.settings import SettingsError, read_settings
from bot import words
from bot.conversation import engine, layout
from bot.conversation.replies import Notice, NoticeKind, Question, ResultCard
from bot.dialogs.catalog import Catalog
from bot.dialogs.walk import walk
from tests.conftest import DIALOGS
from tests.slack.fake_slack import FakeSlack

MAX_BLOCKS = 50


def question_blocks(q: Question) -> list[dict]:
    return blocks_of(layout.question(q))


def forget_blocks(note: str = "") -> list[dict]:
    return blocks_of(layout.notice(Notice(NoticeKind.CONFIRM_FORGET, note or words.FORGET_WARNING)))  # per message; slack_sdk does not check this one itself


def validated(blocks: list[dict]) -> None:
    assert 0 < len(blocks) <= MAX_BLOCKS
    for block in blocks:
        parsed = Block.parse(block)
        assert parsed is not None, block
        parsed.to_dict()  # raises SlackObjectFormationError on any over-long or malformed field
    json.dumps(blocks)


def every_reply(dialog_id: str):
    """Each question and result along sample paths that end in distinct states."""
    dialog = Catalog.load(DIALOGS).get(dialog_id)
    for _, answers in walk(dialog).examples:
        step = engine.start(dialog, session_id="sess12345678", owner="slack:T1:U1", now=0.0)
        yield from step.replies
        for record in answers:
            step = engine.answer(dialog, step.session, node=record.node, value=record.value, version=None, now=1.0)
            yield from step.replies


@pytest.mark.parametrize("dialog_id", ["outsource_check", "agency_vetting"])
def test_every_node_renders_to_valid_block_kit(dialog_id: str) -> None:
    dialog = Catalog.load(DIALOGS).get(dialog_id)
    seen_nodes, outcomes = set(), set()
    for reply in every_reply(dialog_id):
        if isinstance(reply, Question):
            seen_nodes.add(reply.node)
            validated(question_blocks(reply))
            if reply.kind == "text":
                View(**text_answer_modal(reply, "D1", "1.1")).to_dict()
        elif isinstance(reply, ResultCard):
            outcomes.add(reply.outcome)
            validated(blocks_of(layout.result(reply)))
            validated(blocks_of(layout.shared(reply, "slack:T1:U1")))
            View(**share_modal(reply)).to_dict()
            View(**home_view(reply)).to_dict()
    assert seen_nodes == {n.id for n in dialog.nodes.values() if n.is_question}
    assert outcomes == {o.id for o in dialog.outcomes}


def test_the_small_cards_are_valid() -> None:
    validated(help_blocks())
    validated(forget_blocks())
    validated(forget_blocks("I can't reach my memory right now; please try again."))  # shown again after an outage
    View(**home_view(None)).to_dict()
    View(**home_view(None, unavailable=True)).to_dict()


def test_a_question_at_the_limits_still_renders() -> None:
    from bot.conversation.replies import Option, Progress

    long = "x" * 75
    question = Question(
        session_id="s" * 12, version=999, dialog_id="d", dialog_title="T" * 200, node="n" * 32, kind="choice",
        text="Q" * 500, options=tuple(Option(f"c{i}", long) for i in range(25)), progress=Progress(99, 99),
        why="W" * 2900, source="000_d221b9c26be84fb1.txt", preface=("P" * 500,) * 5, can_go_back=True,
    )
    validated(question_blocks(question))
    multi = Question(**{**question.__dict__, "kind": "multi", "min_picks": 1, "max_picks": 25})
    validated(question_blocks(multi))


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "SLACK_BOT_TOKEN is not set"),
        ({"SLACK_BOT_TOKEN": "xoxp-user"}, "must be a bot token starting with xoxb-"),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET is not set"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "nope"}, "SLACK_APP_TOKEN must be an app-level token"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "PORT": "http"}, "PORT must be a port number"),
    ],
)
def test_settings_errors_are_one_clear_line(env: dict, message: str) -> None:
    with pytest.raises(SettingsError, match=message) as caught:
        read_settings(env)
    assert "\n" not in str(caught.value)


def test_settings_defaults() -> None:
    settings = read_settings({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"})
    assert (settings.port, settings.api_url, settings.socket_mode) == (3000, "https://slack.com/api/", False)
    assert read_settings({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}).socket_mode


def test_a_missing_setting_stops_start_up_in_one_line(capsys) -> None:
    assert slack_main.run(argparse.Namespace(store="memory:"), Catalog.load(DIALOGS)) == 2
    err = capsys.readouterr().err
    assert err.strip() == (
        "outsource-check slack: SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-...) from your app's OAuth page"
    )


async def test_a_rejected_token_stops_start_up_in_one_line(monkeypatch, capsys) -> None:
    fake = await FakeSlack().start()
    try:
        fake.script("auth.test", body={"ok": False, "error": "invalid_auth"})
        monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-revoked")
        monkeypatch.setenv("SLACK_SIGNING_SECRET", "s")
        monkeypatch.setenv("SLACK_API_URL", fake.api_url)
        code = await slack_main._serve(read_settings(), Catalog.load(DIALOGS), "memory:")
    finally:
        await fake.stop()
    assert code == 2
    assert capsys.readouterr().err.strip() == "outsource-check slack: Slack rejected SLACK_BOT_TOKEN (invalid_auth)"


def test_the_manifest_matches_what_the_app_handles() -> None:
    import yaml

    from bot.words import COMMAND
    from tests.conftest import ROOT

    manifest = yaml.safe_load((ROOT / "adapters" / "slack" / "manifest.yaml").read_text())
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == [COMMAND]
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == {"app_home_opened", "message.im"}
    assert manifest["settings"]["interactivity"]["is_enabled"] and manifest["features"]["app_home"]["home_tab_enabled"]
    assert manifest["oauth_config"]["scopes"]["bot"] == ["commands", "chat:write", "chat:write.public", "im:write", "im:history", "channels:read", "groups:read", "users:read", "files:write"]
    docs = (ROOT / "docs" / "slack.md").read_text()
    for scope in manifest["oauth_config"]["scopes"]["bot"]:
        assert f"`{scope}`" in docs, f"docs/slack.md must say why {scope} is needed"


def test_start_over_asks_first_and_going_back_shows_the_earlier_answer() -> None:
    dialog = Catalog.load(DIALOGS).get("outsource_check")
    step = engine.start(dialog, session_id="sess12345678", owner="slack:T1:U1", now=0.0)
    step = engine.answer(dialog, step.session, node="goal", value="temp_help", version=None, now=1.0)
    step = engine.answer(dialog, step.session, node="know_how", value="some", version=None, now=1.0)
    step = engine.back(dialog, step.session, version=None, now=2.0)
    blocks = question_blocks(step.replies[0])
    validated(blocks)
    text = json.dumps(blocks)
    assert "Before, you answered: Some, we've tried it on and off" in text
    restart = next(e for b in blocks if b["type"] == "actions" for e in b["elements"] if e["action_id"] == "oc.restart")
    assert restart["confirm"]["deny"]["text"] == "Keep my answers"
