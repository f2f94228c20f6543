"""What the Discord bot says in its own words (the dialogs' words come from the core)."""

from __future__ import annotations

import re

COMMAND = "/outsource-check"
GREETINGS = frozenset({"hi", "hello", "hey", "start", "help", "menu", "hallo", "hej"})

WELCOME = (
    "Hi! I'm **Outsource Check**: a few questions about your business, then a recommendation on whether "
    "to outsource your social media, with the reasons and the articles behind them. Answer with the buttons, "
    "or type a choice's number or words here."
)
WELCOME_BACK = "Welcome back! Here is the check you were in the middle of (use **Start over** for a fresh one)."
STARTING = "Starting your check…"
NOT_STARTED = "That didn't start; please try again in a moment."
FRESH = "Continuing here: I could not update the earlier message."
RESUMED = "Picking up where you left off."
MOVED_ON = "This check continues in a newer message below."
DMS_CLOSED = (
    "I can't send you a direct message (your DMs are closed for this server), so your check runs here, "
    "visible only to you. Allow DMs from server members to get it as a normal DM next time."
)
RESTARTING = "I'm restarting right now; nothing was changed. Please try again in a minute."
APOLOGY = "Sorry, Discord didn't accept my last update. Your answers are safe: use `/outsource-check resume` to carry on."
FORGED = "That button didn't come from me, so I ignored it. Nothing changed."
HELD_FOR_THE_REVEAL = (
    "A team round's check is shared by the round's reveal, all together, so no one's answers anchor the"
    " others before theirs are in."
)
NOTHING_TO_SHARE = "There is no result to share yet."
NO_CHANNELS = (
    "I can only share to a server channel that we are both in and where you may post. "
    "Add me to your server (see the bot's profile), then press Share again."
)
PICK_CHANNEL = "Where should I post your result? Only channels where you may post (and I may too) are listed."
CANNOT_POST = "I can't post in that channel (you or I may not post there). Nothing was shared."
DELETE_NOTHING = "Nothing was deleted."

TEAM_IN_DM = "Team rounds run in a server channel: use `/outsource-check team` there."
BAD_DEADLINE = "The deadline is minutes (`30`) or a number with m, h or d (`30m`, `2h`, `1d`). No round was started."
ROUND_STARTING = "Starting a team round…"
ROUND_STARTED = "Your team round is posted in this channel. Press **Take the check** on it to answer too."
CANNOT_POST_ROUND = (
    "I can't post in this channel, so I can't start a round here. A server admin can give me Send Messages, "
    "Embed Links, Create Public Threads and Send Messages in Threads here (see the bot's set-up guide)."
)
ROUND_CHECK = "Your check for the team round. Nobody sees your answers before the reveal."
ROUND_CHECK_SENT = "Your check for the round is in our DM: {link}. Nobody sees your answers before the reveal."
POSITION_TAKEN = "Your position: **{stance}**. You may change it until the round is closed."
STANCE_SAID = {"agree": "agree", "abstain": "abstain", "object": "object"}
PROPOSED = "The decision is the team's recommendation, proposed to the team; each member agreed, abstained or objected."
STANCE_WORDS = {"agree": "agrees", "abstain": "abstains", "object": "objects"}
NO_ROUND_HERE = "There is no team round of yours in this channel to export."

HELP = f"""**Outsource Check** helps you decide whether to outsource your social media.
`{COMMAND} check`: start the check (also: just DM me "hi")
`{COMMAND} agency name:<text>`: vet one agency you are looking at
`{COMMAND} resume`: continue your unfinished check
`{COMMAND} history`: your last results
`{COMMAND} team`: in a server channel, start a team round (everyone takes the check privately, then compare and decide)
`{COMMAND} team-export`: the decision record of your latest round in this channel, as Markdown
`{COMMAND} forget`: delete everything stored about you
`{COMMAND} help`: this help
In our DM you may also answer by typing a choice's number or a word from it ("yes", "part-time")."""


def is_greeting(text: str) -> bool:
    """"hi", "Hello!", "start": words that mean "show me the check", never an answer."""
    return " ".join(re.findall(r"[a-z]+", text.lower())) in GREETINGS
