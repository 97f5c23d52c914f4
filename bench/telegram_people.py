"""The simulated focal points of `bench/telegram.py`.

Each walks `pledge_update` in a private chat through the fake Bot API
(`tests/channels/telegram/botapi.py`): types where the bot asks for text, taps the button a
person would tap where it shows buttons (by its label, in Arabic, English or French; by
its number when the options are numbered in the text), and sends the next message only
once the bot's reply to the last one has arrived at the fake server. A reply's latency runs
from the person's message being queued at the server to the last message of the reply
arriving there.
"""

from __future__ import annotations

import asyncio
import re
import statistics
import time
from dataclasses import dataclass, field

from tests.channels.telegram.botapi import BotApi, Sent, User

SKIP = ("تخطي", "Skip", "Passer")


@dataclass(frozen=True)
class Step:
    """One message of the walk: text typed (`say`) or a button tapped (`tap`, its label in
    any of the three languages, or the start of it)."""

    say: str = ""
    tap: tuple[str, ...] = ()
    replies: int = 1
    """How many messages the bot answers it with."""
    answers: bool = False
    """Whether it answers a question of the flow (a row of the `answer` table)."""
    submits: bool = False
    """Whether it sends the answers to the secretariat (a row of `submission`)."""
    paged: bool = False
    """Whether its answer may come in pages (a long summary): the reply is complete when a
    message with buttons arrives, however many pages came before it."""


SCRIPT: tuple[Step, ...] = (
    Step(say="/start"),
    Step(tap=("تحديث التعهدات", "Pledge update", "Mise à jour des engagements"), replies=2),
    Step(tap=("Pledge 1",), answers=True),  # the first of the state's pledges
    Step(tap=("قيد التنفيذ", "In progress", "En cours"), answers=True),
    Step(say="Issued 62,000 work permits; two new service centres opened.", answers=True),
    Step(say="Too few labour inspectors outside the capital.", answers=True),  # challenges
    Step(tap=SKIP, answers=True),  # support needed
    Step(tap=SKIP, answers=True),  # evidence file
    Step(say="www.example.gov/permits", answers=True),  # evidence link
    Step(tap=("لا", "No", "Non")),  # no other pledge
    # wider efforts; the summary that follows is one page or more, by language
    Step(say="A national strategy for migration, 2025-2030.", answers=True, paged=True),
    Step(
        tap=("إرسال إلى الأمانة العامة", "Send to the Secretariat", "Envoyer au Secrétariat"),
        submits=True,
    ),
)
"""What each person sends, from /start to the receipt."""

ANSWERS_PER_PERSON = sum(step.answers for step in SCRIPT)
MESSAGES_PER_PERSON = len(SCRIPT)
REPLIES_PER_PERSON = sum(step.replies for step in SCRIPT)


@dataclass
class Walk:
    """What one person did and waited for."""

    chat_id: int
    latencies_ms: list[float] = field(default_factory=list)
    sent: int = 0
    expected: int = 0
    """How many messages the bot should have answered those sent with."""
    answers_sent: int = 0
    submitted: bool = False
    """Whether they sent "Send to the Secretariat"."""
    first_sent: float | None = None
    last_reply: float | None = None
    failure: str | None = None


@dataclass
class Crowd:
    """Everyone's walks, and what they add up to."""

    walks: list[Walk]

    @property
    def replied(self) -> int:
        return sum(len(w.latencies_ms) for w in self.walks)

    @property
    def sent(self) -> int:
        return sum(w.sent for w in self.walks)

    @property
    def expected_replies(self) -> int:
        return sum(w.expected for w in self.walks)

    @property
    def answers_sent(self) -> int:
        return sum(w.answers_sent for w in self.walks)

    @property
    def answers_submitted(self) -> int:
        """The answers of those who sent "Send to the Secretariat": what the bot should keep
        (answers are kept with their submission)."""
        return sum(w.answers_sent for w in self.walks if w.submitted)

    @property
    def submitted(self) -> int:
        return sum(w.submitted for w in self.walks)

    @property
    def seconds(self) -> float:
        """From the first message queued to the last reply's arrival."""
        starts = [w.first_sent for w in self.walks if w.first_sent is not None]
        ends = [w.last_reply for w in self.walks if w.last_reply is not None]
        return max(ends) - min(starts) if starts and ends else 0.0

    @property
    def per_second(self) -> float:
        return self.replied / self.seconds if self.seconds else 0.0

    def percentile(self, p: int) -> float:
        latencies = [ms for w in self.walks for ms in w.latencies_ms]
        if len(latencies) < 2:
            return latencies[0] if latencies else float("nan")
        return statistics.quantiles(latencies, n=100, method="inclusive")[p - 1]

    @property
    def failures(self) -> list[str]:
        return [f"chat {w.chat_id}: {w.failure}" for w in self.walks if w.failure]


async def walk_all(api: BotApi, chat_ids: list[int], timeout: float) -> Crowd:
    """Everyone walks at once; nobody waits for a reply beyond `timeout` from now."""
    deadline = time.monotonic() + timeout
    walks = await asyncio.gather(*(walk(api, chat_id, deadline) for chat_id in chat_ids))
    return Crowd(list(walks))


async def walk(api: BotApi, chat_id: int, deadline: float) -> Walk:
    """One person through `SCRIPT`, each message after the reply to the one before."""
    user = User(api, chat_id)
    done = Walk(chat_id)
    seen = len(api.chat(chat_id))
    for number, step in enumerate(SCRIPT):
        queued = time.monotonic()
        try:
            _send(user, step, api.chat(chat_id))
        except LookupError as error:
            done.failure = f"message {number}: {error}"
            return done
        done.first_sent = done.first_sent or queued
        done.sent += 1
        done.expected += step.replies
        done.answers_sent += step.answers
        done.submitted = done.submitted or step.submits
        try:
            chat = await api.wait_for(chat_id, seen + step.replies, deadline - time.monotonic())
        except TimeoutError:
            done.failure = f"no reply to message {number} ({step.say or step.tap[0]!r})"
            return done
        seen += step.replies
        while step.paged and not chat[seen - 1].buttons:
            try:
                chat = await api.wait_for(chat_id, seen + 1, deadline - time.monotonic())
            except TimeoutError:
                done.failure = f"no last page after message {number}"
                return done
            seen += 1
            done.expected += 1
        done.last_reply = chat[seen - 1].at
        done.latencies_ms.append((done.last_reply - queued) * 1000)
    return done


def _send(user: User, step: Step, chat: list[Sent]) -> None:
    if step.say:
        user.types(step.say)
        return
    asking = next((m for m in reversed(chat) if m.buttons), None)
    if asking is None:
        raise LookupError("no buttons to tap")
    user.tap_data(asking, button(asking, step.tap))


def button(message: Sent, wanted: tuple[str, ...]) -> str:
    """The callback data of the button a person reading `message` taps for `wanted`: the
    one with that label, or, when the options are numbered in the text and the buttons show
    numbers, the one with the option's number."""
    data = {b["text"]: b["callback_data"] for row in message.buttons for b in row}
    label = _pick(list(data), wanted)
    if label is None:
        numbered = {text: n for n, text in re.findall(r"^(\d+)\. (?:✓ )?(.+)$", message.text, re.M)}
        option = _pick(list(numbered), wanted)
        label = numbered[option] if option is not None else None
    if label is None or label not in data:
        raise LookupError(f"no button {wanted[0]!r} among {list(data)}")
    return data[label]


ISOLATES = dict.fromkeys(map(ord, "\u2066\u2067\u2068\u2069"))
"""Unicode isolates around a title in another language: invisible to the person reading."""


def _pick(labels: list[str], wanted: tuple[str, ...]) -> str | None:
    """The label that reads as one of `wanted`, else the only one that starts with one."""
    read = {label: label.translate(ISOLATES) for label in labels}
    exact = [label for label in labels if read[label] in wanted]
    if exact:
        return exact[0]
    starting = [label for label in labels if read[label].startswith(wanted)]
    return starting[0] if len(starting) == 1 else None
