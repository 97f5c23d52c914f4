"""The shape of a flow definition: what a YAML file in `flows/` may say.

Flows are data. These classes describe the data after it has been read and checked by
`flows.loader`; the engine only ever sees validated, frozen definitions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

LANGUAGES: tuple[str, ...] = ("ar", "en", "fr")
"""Every text a person reads exists in these languages; Arabic first."""


class QType(StrEnum):
    """The kinds of question a flow may ask."""

    TEXT = "text"
    LONG_TEXT = "long_text"
    CHOICE = "choice"
    MULTI_CHOICE = "multi_choice"
    YES_NO = "yes_no"
    INTEGER = "integer"
    DECIMAL = "decimal"
    YEAR = "year"
    DATE = "date"
    EMAIL = "email"
    URL = "url"
    RATING = "rating"
    FILE = "file"
    DB_CHOICE = "db_choice"
    SECTION = "section"


CHOICE_TYPES = frozenset({QType.CHOICE, QType.MULTI_CHOICE, QType.DB_CHOICE, QType.YES_NO})
"""Types whose answers are stable codes rather than free values."""

OTHER_CODE = "other"
"""The code of the extra option every database choice list ends with ("not in this list")."""


Text = dict[str, str]
"""A text in every language of LANGUAGES, keyed by language code."""


@dataclass(frozen=True)
class Choice:
    """One option of a choice question: a stable code (what the CSV keeps) and its labels."""

    code: str
    label: Text
    exclusive: bool = False
    """In a multi-choice, an option that cannot be picked with others ("None")."""
    title: Text | None = None
    """The option's full official wording where its label is a short form (a GCM
    objective's title in the Compact): what a report shows; buttons keep the label."""


@dataclass(frozen=True)
class Condition:
    """`when`: ask a question only if an earlier answer matches.

    `any_of` holds choice codes (or "yes"/"no"); `answered` asks only for an answer at all.
    `negate` turns the test around (`not_in`).
    """

    question: str
    any_of: frozenset[str] = frozenset()
    negate: bool = False
    answered: bool = False


@dataclass(frozen=True)
class Question:
    """One question, or a section of questions (possibly repeated) when type is SECTION."""

    id: str
    type: QType
    text: Text
    required: bool = True
    help: Text | None = None
    error: Text | None = None
    when: Condition | None = None
    choices: tuple[Choice, ...] = ()
    source: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = None
    low_label: Text | None = None
    high_label: Text | None = None
    repeat: bool = False
    add_another: Text | None = None
    item_label: Text | None = None
    questions: tuple[Question, ...] = ()

    def choice(self, code: str) -> Choice | None:
        """The choice with this code, if the question has one."""
        return next((c for c in self.choices if c.code == code), None)


@dataclass(frozen=True)
class Flow:
    """A whole questionnaire: metadata and its questions, in the order they are asked."""

    id: str
    version: int
    title: Text
    intro: Text
    questions: tuple[Question, ...]
    open_anytime: bool = False
    receipt: Text | None = None
    path: str = ""
    index: dict[str, Question] = field(default_factory=dict, compare=False, repr=False)
    sections: dict[str, Question] = field(default_factory=dict, compare=False, repr=False)
    """Question id -> the section holding it, for questions inside sections."""

    def question(self, question_id: str) -> Question:
        """Look a question up by id, at any depth."""
        return self.index[question_id]

    def section_of(self, question_id: str) -> Question | None:
        """The section holding this question, or None for a top-level one."""
        return self.sections.get(question_id)
