"""Every sentence the bot says that is not in a dialog file: one catalog, so adapters render, never write, English.

Pure constants (this module imports nothing, so anything may import it); translation will hang on it.
Templates take `str.format` fields in braces. The words are plain text except where a sentence is
one platform's own (its markdown or its command syntax); an adapter escapes or formats the rest.
"""

# --- the command and help -------------------------------------------------------------------------

COMMAND = "/outsource-check"
APP_NAME = "Outsource Check"
GREETINGS = frozenset({"hi", "hello", "hey", "start", "help", "menu", "hallo", "hej"})

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
SLACK_HELP = f"""*Outsource Check* helps you decide whether to outsource your social media.
• `{COMMAND}`: take the check (in a DM with me)
• `{COMMAND} agency <name>`: vet one agency against the minimum requirements
• `{COMMAND} resume`: continue your unfinished check
• `{COMMAND} history`: your last results
• `{COMMAND} team [topic] [expected:N] [deadline:2h] [quorum:N] [anonymous]`: a team round in this channel
• `{COMMAND} forget`: delete everything stored about you
• `{COMMAND} settings nudge:24h` (or `nudge:off`): when a check left half done is nudged, for the whole workspace (admins)
• `{COMMAND} help`: this message"""
HELP_TITLE = "Outsource Check help"
DONE = "Done."
# the slash command's own descriptions (Discord shows them in its command picker)
COMMAND_DESCRIPTION = "Should you outsource your social media? A short check with a recommendation."
CHECK_COMMAND = "Start the check (in our DM)"
AGENCY_COMMAND = "Vet one agency you are looking at"
AGENCY_NAME_OPTION = "The agency's name"
TEAM_COMMAND = "Start a team round here: everyone takes the check privately, then compare"
TEAM_TOPIC_OPTION = "What the team is deciding"
TEAM_EXPECTED_OPTION = "Reveal on its own once this many have finished"
TEAM_DEADLINE_OPTION = "Reveal on its own after this: minutes (30) or 30m, 2h, 1d"
TEAM_QUORUM_OPTION = "Positions needed before closing (closing earlier asks why)"
TEAM_ANONYMOUS_OPTION = "Leave names out of the results"
TEAM_EXPORT_COMMAND = "Your latest team round in this channel, as a Markdown decision record"
FORGET_COMMAND = "Delete everything stored about you"
HELP_COMMAND = "What this bot can do"
UNKNOWN_SUBCOMMAND = "Unknown subcommand"
NAME_THE_AGENCY = f"Name the agency: `{COMMAND} agency <name>`"
TYPE_HINT = f"You have no check running. Say hi to start one, or use `{COMMAND} help` to see what I can do."

# --- conversation ---------------------------------------------------------------------------------

WELCOME = (
    "Hi! I'm Outsource Check: a few questions about your business, then a recommendation on whether "
    "to outsource your social media, with the reasons and the articles behind them. Answer with the buttons, "
    "or type a choice's number or words here."
)
WELCOME_BACK = "Welcome back! Here is the check you were in the middle of (use Start over for a fresh one)."
FRESH = "Continuing here: I could not update the earlier message."
RESUMED = "Picking up where you left off."
MOVED_ON = "This check continues in a newer message below."
SENT_TO_DM = "I've sent you a DM with your check."
SENT_TO_DM_AT = "I've sent you a DM with your check: {link}"
CHECK_BELOW = "Your check is in the message below."
DMS_CLOSED = (
    "I can't send you a direct message (your DMs are closed for this server), so your check runs here, "
    "visible only to you. Allow DMs from server members to get it as a normal DM next time."
)
ALREADY_DONE = "That step is already done."
NO_CHECK_CALLED = "There is no check called '{dialog}'."
NOTHING_TO_RESUME = "You have no unfinished check. Start a new one any time."
EXPIRED = "That check has expired or was deleted. Start a new one any time."
NOT_YOURS = "This check belongs to someone else. Start your own with the command."
NO_LONGER_OFFERED = "That check is no longer offered. Start a new one any time."
MOVED_MEANWHILE = "That changed a moment ago; nothing was moved."
ANSWERED_MEANWHILE = "That was already answered a moment ago; nothing changed."
ALREADY_FINISHED = "This check is already finished."
ALREADY_FINISHED_START_OVER = "This check is already finished; start over to answer again."
ALREADY_ANSWERED = "That question was already answered; nothing changed."
EARLIER_STEP = "That button is from an earlier step; nothing changed."
FIRST_QUESTION = "This is the first question; there is nothing to go back to."
DOES_NOT_FIT = "That does not fit this dialog: {problem}."

# buttons, titles and hints around a question or a result
BACK = "Back"
# what a screen reader says for a button whose label alone says little (Slack's accessibility_label)
BACK_LABEL = "Back to the previous question"
START_OVER_LABEL = "Start this check over"
SCALE_POINT_LABEL = "{value} of {top}: {meaning}"
STANCE_ACCESSIBLE = {
    "agree": "Agree with the proposed decision ({count} so far)",
    "abstain": "Abstain on the proposed decision ({count} so far)",
    "object": "Object to the proposed decision ({count} so far)",
}
START_OVER = "Start over"
START_OVER_TITLE = "Start over?"
START_OVER_WARNING = "This clears your answers to this check."
KEEP_MY_ANSWERS = "Keep my answers"
TYPE_YOUR_ANSWER = "Type your answer"
NEXT = "Next"
PICK = "Pick"
ANSWER = "Answer"
CANCEL = "Cancel"
TICK_ALL = "Tick all that apply, then press Next."
TICK_AT_LEAST = "Tick at least {count}, then press Next."
OR_REPLY_HERE = "Or simply reply here in this DM (at most {max_length} characters)."
BEFORE_YOU_ANSWERED = "Before, you answered"
WHY_IT_MATTERS = "Why it matters"
YOUR_ANSWER = "Your answer"
RECOMMENDATION_TITLE = "Recommendation: {title}"
BASED_ON = "Based on: "
VET_AN_AGENCY = "Vet an agency"
START_THE_CHECK = "Start the check"
YOUR_LAST_RESULTS = "Your last results"
YOUR_LAST_RESULT = "Your last result"
NO_FINISHED_CHECK = "You have no finished check yet."
HOME_INTRO = "Should you outsource your social media? A few questions, an answer that explains itself."
HOME_UNAVAILABLE = "I can't load your results right now. Please try again in a moment (open this tab again)."

# forgetting
FORGET_WARNING = "This deletes every check and answer stored about you, finished or not. It cannot be undone."
FORGOTTEN = "Done: deleted {count} check(s) and every answer in them."
DELETE_NOTHING = "Nothing was deleted."
DELETE_YOUR_DATA = "Delete your data?"
DELETE_EVERYTHING = "Delete everything"
DELETE_CONFIRM = "Every check and answer stored about you will be deleted."
DELETE = "Delete"
KEEP_IT = "Keep it"

# --- sharing --------------------------------------------------------------------------------------

SHARE_TO_A_CHANNEL = "Share to a channel"
SHARE_YOUR_RESULT = "Share your result"
SHARE = "Share"
CHANNEL = "Channel"
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
NOT_A_CHANNEL = "That isn't a channel I can post in."
SHARE_SUMMARY = "Post a summary of “{title}” to a channel, with your name on it."

# --- team rounds ----------------------------------------------------------------------------------

DEFAULT_TOPIC = "Should we outsource our social media?"
TEAM_IN_DM = "Team rounds run in a channel: use `/outsource-check team` there."
BAD_DEADLINE = "The deadline is minutes (`30`) or a number with m, h or d (`30m`, `2h`, `1d`). No round was started."
ROUND_STARTED = "Your team round is posted in this channel. Press Take the check on it to answer too."
CANNOT_POST_ROUND = (
    "I can't post in this channel, so I can't start a round here. A server admin can give me Send Messages, "
    "Embed Links, Attach Files, Create Public Threads and Send Messages in Threads here (see the bot's set-up guide)."
)
ROUND_CHECK = "Your check for the team round. Nobody sees your answers before the reveal."
POSITION_TAKEN = "Your position: {stance}. You may change it until the round is closed."
STANCE_SAID = {"agree": "agree", "abstain": "abstain", "object": "object"}
STANCE_LABELS = {"agree": "Agree", "abstain": "Abstain", "object": "Object"}
STANCE_LEADS = {"agree": "You agree with", "abstain": "You abstain on", "object": "You object to"}
PROPOSED = "The decision is the team's recommendation, proposed to the team; each member agreed, abstained or objected."
STANCE_WORDS = {"agree": "agrees", "abstain": "abstains", "object": "objects"}
NO_ROUND_HERE = "There is no team round of yours in this channel to export."
AGREEMENT = "{agreeing} of {finished} finished members got it: {strength} agreement."
RULE = (
    "majority of the members' outcomes; a tie goes to the tied outcome whose reasons fit more members' answers,"
    " then the first in the dialog, the fallback last"
)
VET_BEFORE_SIGNING = "Vet each agency you meet with the agency check (/outsource-check agency), one agency at a time."
STARTED_BY = "Started by {starter}. {status}."
NOBODY_YET = "nobody yet"
ANSWERS_HIDDEN = "Answers stay hidden until the reveal"
NAMES_LEFT_OUT = ", and names are left out of the results."
QUORUM = "Quorum: {quorum} positions before it closes (or the closer says why)."
TEAM_ROUND_TITLE = "Team round: {topic}"
TEAM_RESULTS_TITLE = "Team results: {topic}"
DECISION_TITLE = "Decision: {decision}"
RULE_LINE = "Rule: {rule}."
AT_ONE_END = (
    "\nAt one end {one}; at the other {other}. What makes you see it that way? Say why here before anyone changes an answer."
)
CLOSED_POSITIONS = "Closed. Positions: {tally}."
CLOSED_NOT_CARRIED = "Closed. Positions: {tally}. Not carried: as many objected as agreed, or more."
NOT_CARRIED_TITLE = "Not carried: {decision}"
NOT_CARRIED = (
    "The team's recommendation was proposed: {agreed} agreed and {objected} objected. A proposal is carried only when"
    " more agree than object (or no one objects), so the team has not decided yet."
)
WHY_PROPOSED = "Why it was proposed"
NOT_CARRIED_STEPS = (
    "Ask each person who objected what would change their mind, and hear them out in this thread.",
    "Settle what the objections turn on: the state of your business, your budget, and how comfortable you are"
    " with not having full control of it.",
    "Then open a new round (/outsource-check team): everyone takes the check again and takes a position.",
)
ROUND_STATUS = {"open": "Open", "revealed": "Revealed: see the results below", "closed": "Closed"}
TAKE_THE_CHECK = "Take the check"
REVEAL = "Reveal"
CLOSE_AND_RECORD = "Close and record the decision"
EXPORT_AS_MARKDOWN = "Export as Markdown"
YOUR_POSITION = "Your position"
SAVE = "Save"
WHY_OPTIONAL = "Why? (optional)"
CLOSE_THE_ROUND = "Close the round"
CLOSE = "Close"
WHY_CLOSE_NOW = "Why close now?"

# the round's refusals (the core's)
ROUND_GONE = "That team round no longer exists."
ROUND_CHECK_GONE = "That round's check is no longer offered."
MEMBERS_ONLY = "Only members of this channel can join its round."
TIME_IS_UP = "Time is up: the results are revealed."
ROUND_BUSY = "The round is very busy right now; please try again in a moment."
ROUND_CLOSED_TAKES_NOTHING = "This round is closed; it takes nothing more."
ALREADY_REVEALED_NO_CHANGE = "The results are already revealed; answers can no longer change."
NOT_CURRENT_CHECK = "That check is not this round's current one for you."
ALREADY_REVEALED = "The results are already revealed."
ROUND_CLOSED = "This round is closed."
ONLY_STARTER_REVEALS = "Only the person who started this round (or an admin) can reveal it."
NOTHING_TO_REVEAL = "Nobody has finished the check yet; there is nothing to reveal."
POSITIONS_CLOSED = "This round is closed; positions can no longer change."
POSITIONS_AFTER_REVEAL = "Positions open once the results are revealed."
ONLY_TAKERS_TAKE_POSITIONS = "Only people who took part in this round can take a position."
NOT_A_POSITION = "That is not one of the positions (agree, abstain or object)."
ALREADY_CLOSED = "This round is already closed."
ONLY_STARTER_CLOSES = "Only the person who started this round (or an admin) can close it."
REVEAL_BEFORE_CLOSING = "Reveal the results before closing the round."

# --- errors ---------------------------------------------------------------------------------------

TRY_AGAIN = "I can't reach my memory right now; nothing was changed. Please try again in a moment."
RESTARTING = "I'm restarting right now; nothing was changed. Please try again in a minute."
APOLOGY = "Sorry, Discord didn't accept my last update. Your answers are safe: use `/outsource-check resume` to carry on."
SLACK_APOLOGY = "Sorry, Slack didn't accept my last update. Your answers are safe; please try again in a moment."
FORGED = "That button didn't come from me, so I ignored it. Nothing changed."
FORGED_FORM = "That form didn't come from me, so I ignored it. Nothing changed."

# --- a second look (team rounds) ---------------------------------------------------------------
TAKE_A_SECOND_LOOK = "Take a second look"
SECOND_LOOK_AFTER_REVEAL = "A second look opens once the results are revealed."
SECOND_LOOK_CLOSED = "This round is closed: a second look is no longer possible."
SECOND_LOOK_FINISHED_ONLY = "A second look is for members who finished their check."
SECOND_LOOK_NOTHING_SPLIT = "The team did not split on any question: there is nothing to look at again."
SECOND_LOOK_REROUTES = "That answer would change which questions follow, so a second look cannot take it; keep your answer or pick another."
SECOND_LOOK_INTRO = "A second look: the questions the team split on, one at a time. Your first answers stay on record."
SECOND_LOOK_ONE_WAY = "A second look asks only the questions the team split on: answer them, there is no going back or starting over here."
SECOND_LOOKS_TITLE = "What moved in second looks"
MOVE_LINE = "{name} changed '{question}' from {before} to {after} ({outcome_before} -> {outcome_after})"
NOTHING_MOVED = "Second looks were taken; no answer changed."
FIRST_VS_NOW = "Team recommendation at the reveal: {first} ({first_agreement}); now: {now} ({now_agreement})"

# --- pictures (bot/conversation/picture.py): drawn text and the alt text screen readers get ---------
PICTURE_TEAM_MEDIAN = "team median"
PICTURE_TEAM_SPAN = "lowest to highest"
PICTURE_YOU = "you"
PICTURE_TEAM_OUTCOME = "Team recommendation: {title} ({agreeing} of {finished}, {strength} agreement)"
PICTURE_YOUR_OUTCOME = "Your recommendation: {title}"
PICTURE_TEAM_LINE = "{label}: {members}; team median {median} (range {low} to {high})"
PICTURE_YOUR_LINE = "{label}: you at {score} (range {low} to {high})"
PICTURE_NO_POINTS = "no member scores"

# --- follow-ups (bot/followups/plan.py; docs/teams.md, "Follow-ups") ----------------------------
ROUND_REMINDER = "The team round '{topic}' reveals {when}; you have not finished your check yet. Carry on below."
UNTITLED_ROUND = "our social media"
IN_MINUTES = "in {n} minute{s}"
IN_HOURS = "in about {n} hour{s}"
NUDGE = "You're {answered} of {about} in: resume below, where you left off."
SETTINGS_ADMINS_ONLY = "Only a workspace admin or owner may change this workspace's settings."
NO_WORKSPACE_SETTINGS = "There are no workspace settings here: this bot's operator sets the nudge delay (OUTSOURCE_CHECK_NUDGE_AFTER)."
UNKNOWN_SETTING = "There is no setting called '{name}'. Try `/outsource-check settings nudge:24h` (or nudge:off)."
NUDGE_SETTING = "Nudges for a check left half done: {delay} after its last answer, for everyone in this workspace."
NUDGES_OFF_HERE = "Nudges for a check left half done are off for everyone in this workspace."
NUDGES_OFF_EVERYWHERE = "Nudges are switched off for this whole bot by its operator (OUTSOURCE_CHECK_NUDGE_AFTER=off)."
REVIEW_TITLE = "Time to review the decision: {decision}"
REVIEW_STILL_HOLDS = "On {date} the team decided: {decision}. Does that decision still hold, or has something changed (your time, your budget, your staff)?"
REVIEW_AGENCY = (
    "Has the agency trained you and your staff to manage your social media internally? The article is clear:"
    " approach outsourcing as a temporary engagement, one that ends with you and your employees able to manage"
    " your own social media."
)
REVIEW_RUN_AGAIN = "Run the check again"
REVIEW_LINE = "Review on: {date}"


# --- headings and lines the chat adapters draw around a result, a round and a record -------------
# (plain text: each adapter makes headings bold in its own markup and escapes what it fills in)

WHY_THIS_FITS = "Why this fits your answers"
PULLS_OTHER_WAY = "What pulls the other way"
ANSWERS_AT_A_GLANCE = "Your answers at a glance"
NEXT_STEPS = "Next steps"
STILL_TO_SETTLE = "Still to settle"
EACH_MEMBERS_RECOMMENDATION = "Each member's recommendation"
WHERE_TEAM_STANDS = "Where the team stands"
WHERE_TEAM_STANDS_KEY = "(lowest to highest, █ the median)"
TEAM_RECOMMENDATION = "Team recommendation: {title}"
POSITIONS = "Positions"
OBJECTIONS = "Objections"
MAIN_REASONS = "Main reasons"
NO_POSITIONS = "No positions taken."
NO_OBJECTIONS = "None."
NO_REASON_GIVEN = "(no reason given)"
CLOSED_BEFORE_QUORUM = "Closed before the quorum"
BEFORE_ANYONE_SIGNS = "Before anyone signs"
TAKING_PART = "Taking part: {names}."
FINISHED_COUNT = "Finished: {finished}."
FINISHED_OF_EXPECTED = "Finished: {finished} of {expected} expected."
REVEALS_ON_ITS_OWN = "Reveals on its own {when}, at the first click or command after it."
PROPOSED_DECISION_IS = (
    "The proposed decision is the team's recommendation: {title}. Agree, abstain or object, with a reason if you like;"
    " it is carried unless as many object as agree. You may change your position until the round is closed."
)
NOT_CARRIED_YET = "As positions stand, it is not carried: as many object as agree, or more."
DISCUSSION = "Discussion {number}: {question}"
TEAM_ANSWERED = "The team answered: {split}."
WHY_THE_ARTICLE_ASKS = "Why the article asks:"
RECORD_ATTACHED = "The decision record is attached as Markdown."
SPLIT_IN_THREAD = "{count} question(s) the team split on are in the thread below."
NONE_OF_THESE = "None of these"
CHOOSE_ONE = "Choose one…"
PICK_ALL_MENU = "Pick all that apply…"
PICK_AT_LEAST_MENU = "Pick at least {count}…"
PICK_ALL_IN_MENU = "Pick all that apply in the menu."
PICK_AT_LEAST_IN_MENU = "Pick at least {count} in the menu."
PICK_A_CHANNEL = "Pick a channel…"
KEEP_MY_DATA = "Keep my data"
SHARED_IN = "Shared your result in {channel}."
CANNOT_POST_IN = "I can't post in {channel}: invite me there first (`/invite @Outsource Check`), then share again."
NO_FINISHED_CHECKS = "No finished checks yet: say hi to me in a direct message to start one."
RESUME_COMMAND = "Continue your unfinished check"

# --- lines every platform's card draws the same way (bot/conversation/layout.py) --------------------
SHARED_RAN = " ran "
SHARED_FOR = " for {subject}"
SOMEONE = "Someone"
SCORES = "Scores"
AT_THE_DEADLINE = "at the deadline"
HOW_A_ROUND_RUNS = "Press Take the check to answer privately; the starter (or an admin) presses Reveal."
THREAD_NAME = "Discussion: {topic}"
MEMBERS_COUNT = "{count} member{s}"
A_MEMBER = "a member"
FROM_SOURCE = "(from {source})"

# --- the terminal chat (adapters/terminal): its keys stand for the buttons ------------------------
TERMINAL_WELCOME_BACK = "Welcome back: picking up where you left off."
TERMINAL_SAVED = "Saved. Run the same command again to pick up where you left off."
TERMINAL_KEPT = "Kept your answers."
TERMINAL_CONFIRM_RESTART = "Start over and clear your answers? (y = yes, anything else = no)"
TERMINAL_FINISHED = "The check is finished: b = back, r = start over, q = quit."
TERMINAL_END_OF_INPUT = "(end of input: your answers are saved)"
TERMINAL_TYPE = "Type your answer (at most {max_length} characters)."
TERMINAL_PICK_ANY = "Pick any: type the numbers, e.g. 1,3 (or 0 for none of these)."
TERMINAL_PICK_AT_LEAST = "Pick at least {count}: type the numbers, e.g. 1,3."
TERMINAL_BEFORE = "<- your answer before"
TERMINAL_KEYS = {"back": "b = back", "restart": "r = start over"}
TERMINAL_QUIT = "q = quit"
TERMINAL_QUIT_AND_RESUME = "q = quit and resume later"
I_DONT_KNOW = "I don't know `{sub}`."
PRESS_TYPE_YOUR_ANSWER = "Press **Type your answer**, or simply reply here in this DM. At most {max_length} characters."
PRESS_TYPE_YOUR_ANSWER_HERE = "Press **Type your answer**. At most {max_length} characters."
POSITION_ON_THE_DECISION = "{lead} the team's proposed decision."
