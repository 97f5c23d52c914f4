"""Bot B of `bench/telegram.py`: `pledge_update` as a plain python-telegram-bot bot.

A minimal bot with python-telegram-bot's default set-up: `Application.builder()` with only
the token and the Bot API's address, one `ConversationHandler`, `run_polling()`, and
updates handled the default way (one at a time, in the order they arrive). Every state is
in memory (no database). It asks the questions Nuqta asks, in the same order, with the same
kinds of buttons (options one a row; Back, Skip, Help and Cancel under them), in English.
As python-telegram-bot's own examples do, it answers every tap and edits the tapped
message to show the choice ("✓ <answer>").

Run by the benchmark, in a process of its own:

    python bench/telegram_plain.py --token TOKEN --api-url http://127.0.0.1:PORT \
                                   --members members.json

`--members` is a JSON object, chat id to {"name", "state", "pledges": [[reference, label],
...]}. It stops on SIGTERM or SIGINT (`run_polling`'s default), then prints one JSON line
on stdout: how many submissions it received and how many answers they held.
"""

from __future__ import annotations

import sys
from pathlib import Path

if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)  # bench/, where `import telegram` would find bench/telegram.py

import argparse
import json
import logging
import warnings
from dataclasses import dataclass, field
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

MENU, ASKING = range(2)
OTHER = ("other", "A pledge not in this list")
STATUSES = (
    ("not_started", "Not started"),
    ("planning", "Planning"),
    ("in_progress", "In progress"),
    ("fulfilled", "Fulfilled"),
)
YES_NO = (("yes", "Yes"), ("no", "No"))
ACTION_LABELS = {"back": "Back", "skip": "Skip", "help": "Help", "cancel": "Cancel"}
MENU_ENTRIES = (
    ("pledge_update", "Pledge update"),
    ("wog_coordination", "Whole-of-government coordination"),
    ("language", "Change language"),
)
INTRO = (
    "Pledge update\nPlease update the secretariat on the pledges your state made at the "
    "Global Refugee Forum and the International Migration Review Forum. You can update "
    "several pledges; each takes about five minutes."
)


@dataclass(frozen=True)
class Question:
    """One question: `kind` is choice, pledge (the state's pledges), text, file or url."""

    key: str
    text: str
    kind: str
    choices: tuple[tuple[str, str], ...] = ()
    optional: bool = False
    recorded: bool = True
    """Whether its answer is one of the submission's (the yes/no of "another" is not)."""


QUESTIONS = (
    Question("pledge", "Which pledge are you updating?", "pledge"),
    Question("status", "What is the status of the pledge?", "choice", STATUSES),
    Question("actions", "What actions has your state taken to implement this pledge?", "text"),
    Question("challenges", "What challenges do you face?", "text", optional=True),
    Question("support_needed", "What support do you need?", "text", optional=True),
    Question(
        "evidence_file",
        "Attach a supporting document, if any.\nSend the document as an attachment.",
        "file",
        optional=True,
    ),
    Question(
        "evidence_link",
        "A link to a supporting source, if any.\nSend the link (e.g. www.example.gov).",
        "url",
        optional=True,
    ),
    Question("another", "Update another pledge?", "choice", YES_NO, recorded=False),
    Question(
        "wider_efforts", "Beyond these pledges, what national efforts?", "text", optional=True
    ),
)
WIDER = len(QUESTIONS) - 1
SUMMARY = len(QUESTIONS)
SUMMARY_CHOICES = (("send", "Send to the Secretariat"), ("change", "Change an answer"))
"""The summary's options; changing an answer here simply starts the questions again."""


@dataclass(frozen=True)
class Member:
    """A focal point the plain bot knows: name, state and the state's pledges."""

    name: str
    state: str
    pledges: tuple[tuple[str, str], ...]
    """(reference, label) of each pledge."""


@dataclass
class Sitting:
    """One person's way through the questions (kept in `chat_data`)."""

    member: Member
    at: int = 0
    item: int = 1
    answers: dict[tuple[int, str], Any] = field(default_factory=dict)


class PlainBot:
    """The conversation's handlers and what they keep."""

    def __init__(self, members: dict[int, Member]) -> None:
        self.members = members
        self.submissions: list[dict[tuple[int, str], Any]] = []
        self.versions: dict[str, int] = {}

    def build(self, api_url: str, token: str) -> Application:  # type: ignore[type-arg]
        """The `Application`, talking to the Bot API at `api_url`."""
        application = (
            Application.builder()
            .token(token)
            .base_url(f"{api_url}/bot")
            .base_file_url(f"{api_url}/file/bot")
            .build()
        )
        with warnings.catch_warnings():  # per_message=False is what we want: per chat
            warnings.simplefilter("ignore", PTBUserWarning)
            conversation = ConversationHandler(
                entry_points=[CommandHandler("start", self.start)],
                states={
                    MENU: [CallbackQueryHandler(self.open_flow)],
                    ASKING: [
                        CallbackQueryHandler(self.tapped),
                        MessageHandler(
                            (filters.TEXT & ~filters.COMMAND) | filters.Document.ALL, self.typed
                        ),
                    ],
                },
                fallbacks=[CommandHandler("start", self.start)],
            )
        application.add_handler(conversation)
        return application

    def stored(self) -> dict[str, int]:
        """What it kept: submissions, and the answers they hold."""
        answers = sum(len(submitted) for submitted in self.submissions)
        return {"answers": answers, "submissions": len(self.submissions)}

    # -- handlers ---------------------------------------------------------------------------

    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        chat = update.effective_chat
        assert chat is not None
        member = self.members[chat.id]
        buttons = [
            [InlineKeyboardButton(label, callback_data=f"menu|{code}")]
            for code, label in MENU_ENTRIES
        ]
        text = (
            f"Hello {member.name}.\nNuqta — the focal points’ channel to the League of Arab "
            "States Secretariat.\nWhat would you like to do?"
        )
        await context.bot.send_message(chat.id, text, reply_markup=InlineKeyboardMarkup(buttons))
        return MENU

    async def open_flow(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        query = update.callback_query
        assert query is not None and query.message is not None and context.chat_data is not None
        await query.answer()
        if query.data != "menu|pledge_update":
            return MENU
        await query.edit_message_text(f"{_text(query.message)}\n\n✓ Pledge update")
        chat_id = query.message.chat.id
        sitting = Sitting(self.members[chat_id])
        context.chat_data["sitting"] = sitting
        await context.bot.send_message(chat_id, INTRO)
        await self._ask(context, chat_id, sitting)
        return ASKING

    async def tapped(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        query = update.callback_query
        assert query is not None and query.message is not None and context.chat_data is not None
        sitting: Sitting = context.chat_data["sitting"]
        at, _, part = (query.data or "").partition("|")
        if not at.isdigit() or int(at) != sitting.at:
            await query.answer("This question was answered already; please answer the last one.")
            return ASKING
        if part == "!help":
            await query.answer("Answer with the buttons, or type your answer.")
            return ASKING
        await query.answer()
        if part == "!cancel":
            await context.bot.send_message(query.message.chat.id, "Cancelled.")
            return ConversationHandler.END
        label, done = self._take(sitting, part)
        await query.edit_message_text(f"{_text(query.message)}\n\n✓ {label}")
        if done:
            await self._thank(context, query.message.chat.id, sitting)
            return ConversationHandler.END
        await self._ask(context, query.message.chat.id, sitting)
        return ASKING

    async def typed(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        message = update.message
        assert message is not None and context.chat_data is not None
        sitting: Sitting = context.chat_data["sitting"]
        question = QUESTIONS[sitting.at] if sitting.at < SUMMARY else None
        value = _typed_value(question, message.text or "", message.document is not None)
        if question is None or value is None:
            await message.reply_text("Please answer with the buttons.")
            return ASKING
        if message.document is not None:
            value = message.document.file_id
        sitting.answers[(sitting.item, question.key)] = value
        sitting.at = _after(sitting, question, value)
        await self._ask(context, message.chat.id, sitting)
        return ASKING

    # -- the conversation -------------------------------------------------------------------

    def _take(self, sitting: Sitting, part: str) -> tuple[str, bool]:
        """Apply a tap on the current question; its label, and whether it submitted."""
        if part.startswith("!"):
            action = part[1:]
            if action == "back":
                sitting.at = max(sitting.at - 1, 0)
            elif action == "skip":
                question = QUESTIONS[sitting.at]
                sitting.answers[(sitting.item, question.key)] = None
                sitting.at = _after(sitting, question, None)
            return ACTION_LABELS.get(action, action), False
        if sitting.at == SUMMARY:
            code, label = SUMMARY_CHOICES[int(part)]
            if code == "send":
                self.submissions.append(sitting.answers)
                return label, True
            sitting.at = 0
            return label, False
        question = QUESTIONS[sitting.at]
        code, label = _choices(question, sitting.member)[int(part)]
        if question.recorded:
            sitting.answers[(sitting.item, question.key)] = code
        sitting.at = _after(sitting, question, code)
        return label, False

    async def _thank(
        self, context: ContextTypes.DEFAULT_TYPE, chat_id: int, sitting: Sitting
    ) -> None:
        state = sitting.member.state
        self.versions[state] = self.versions.get(state, 0) + 1
        text = (
            f"The Secretariat has received {state}’s answer to “Pledge update” — "
            f"version {self.versions[state]}.\n\nType “menu” to go back to the requests."
        )
        await context.bot.send_message(chat_id, text)

    async def _ask(
        self, context: ContextTypes.DEFAULT_TYPE, chat_id: int, sitting: Sitting
    ) -> None:
        text, markup = _question_message(sitting)
        await context.bot.send_message(chat_id, text, reply_markup=markup)


def _after(sitting: Sitting, question: Question, value: Any) -> int:
    """The next question's index after `question` was answered with `value`."""
    if question.key == "another" and value == "yes":
        sitting.item += 1
        return 0
    if question.key == "another":
        return WIDER
    return QUESTIONS.index(question) + 1


def _question_message(sitting: Sitting) -> tuple[str, InlineKeyboardMarkup]:
    """The current question as a message: its text and buttons."""
    if sitting.at == SUMMARY:
        lines = [
            f"{key}: {value if value is not None else '—'}"
            for (_, key), value in sitting.answers.items()
        ]
        text = "Summary of your answers — Pledge update\nPlease review before sending.\n\n"
        return text + "\n".join(lines), _keyboard(SUMMARY, SUMMARY_CHOICES, ("back", "cancel"))
    question = QUESTIONS[sitting.at]
    numbered = len(QUESTIONS) - 1  # all but "another"
    prefix = "" if question.key == "another" else f"({min(sitting.at + 1, numbered)}/{numbered}) "
    if sitting.at < WIDER - 1:
        prefix += f"[Pledge {sitting.item}] "
    actions = ["back"] if sitting.at > 0 else []
    if question.optional:
        actions.append("skip")
    if question.key != "another":
        actions += ["help", "cancel"]
    choices = _choices(question, sitting.member)
    return prefix + question.text, _keyboard(sitting.at, choices, tuple(actions))


def _keyboard(
    at: int, choices: tuple[tuple[str, str], ...], actions: tuple[str, ...]
) -> InlineKeyboardMarkup:
    rows = [
        [InlineKeyboardButton(label, callback_data=f"{at}|{i}")]
        for i, (_, label) in enumerate(choices)
    ]
    buttons = [InlineKeyboardButton(ACTION_LABELS[a], callback_data=f"{at}|!{a}") for a in actions]
    rows += [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    return InlineKeyboardMarkup(rows)


def _choices(question: Question, member: Member) -> tuple[tuple[str, str], ...]:
    if question.kind == "pledge":
        return (*member.pledges, OTHER)
    return question.choices


def _typed_value(question: Question | None, text: str, has_file: bool) -> str | None:
    """A typed (or sent) answer to `question`, or None when it does not take it."""
    if question is None or question.kind in ("choice", "pledge"):
        return None
    if question.kind == "file":
        return "file" if has_file else None
    text = text.strip()
    if not text:
        return None
    if question.kind == "url":
        if "." not in text or " " in text:
            return None
        return text if text.startswith(("http://", "https://")) else f"https://{text}"
    return text


def _text(message: Any) -> str:
    return str(getattr(message, "text", "") or "")


def read_members(path: Path) -> dict[int, Member]:
    """The `--members` file: chat id to name, state and pledges."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    return {
        int(chat): Member(m["name"], m["state"], tuple((r, label) for r, label in m["pledges"]))
        for chat, m in raw.items()
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--token", required=True, help="the bot's token")
    parser.add_argument("--api-url", required=True, help="the Bot API server's root")
    parser.add_argument("--members", type=Path, required=True, help="who is at each chat (JSON)")
    args = parser.parse_args()
    logging.basicConfig(
        format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.WARNING
    )
    bot = PlainBot(read_members(args.members))
    bot.build(args.api_url.rstrip("/"), args.token).run_polling()
    print(json.dumps(bot.stored()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
