"""Read flow files and check them before anyone is asked anything.

Checks run in stages (size, YAML, shape, references, translations) and every problem is
reported on one line naming the file, the question and what is wrong, so
`python bot.py flows check` and start-up point straight at the mistake.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from flows.model import (
    LANGUAGES,
    OTHER_CODE,
    Choice,
    Condition,
    Flow,
    QType,
    Question,
    Text,
)

FLOWS_DIR = Path(__file__).resolve().parent
MAX_FILE_BYTES = 256 * 1024
MAX_QUESTIONS = 200
MAX_CHOICES = 60
MAX_TEXT_CHARS = 3000
KNOWN_SOURCES = frozenset({"pledges"})
NON_FLOW_FILES = frozenset({"calendar.yaml"})
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
_YES_NO = (
    Choice("yes", {"ar": "نعم", "en": "Yes", "fr": "Oui"}),
    Choice("no", {"ar": "لا", "en": "No", "fr": "Non"}),
)
_FLOW_KEYS = {"id", "version", "title", "intro", "receipt", "open_anytime", "questions"}
_QUESTION_KEYS = {
    "id",
    "type",
    "text",
    "required",
    "help",
    "error",
    "when",
    "choices",
    "source",
    "min",
    "max",
    "max_length",
    "low_label",
    "high_label",
    "repeat",
    "add_another",
    "item_label",
    "questions",
}
_CHOICE_KEYS = {"code", "label", "title", "exclusive"}
_WHEN_KEYS = {"question", "equals", "in", "not_in", "answered"}
_UNQUOTED_YES_NO = 'unquoted yes/no is read as true/false; write "yes" or "no" in quotes'


class _UniqueKeys:
    """For a safe YAML loader: refuse a key given twice in one mapping.

    Plain PyYAML silently keeps the last value, so a second `text:` or `when:` pasted into a
    question would win without a word.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        keys: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # `<<: *anchor` may override keys
                continue
            key = self.construct_object(key_node, deep=deep)
            try:
                if key in keys:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"key '{key}' is given twice", key_node.start_mark
                    )
                keys.add(key)
            except TypeError:  # an unhashable key; the base class reports it
                pass
        return super().construct_mapping(node, deep=deep)  # type: ignore[misc]


class _UniqueKeyLoader(_UniqueKeys, yaml.SafeLoader):
    """PyYAML's own parser, written in Python: its messages say what is wrong, and where."""


class _FastUniqueKeyLoader(_UniqueKeys, getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """libyaml's parser: a tenth of the time, which every command pays at start-up."""


def _did_you_mean(name: Any, known: Iterable[str]) -> str:
    """' (did you mean 'x'?)' when a known name is close to a misspelt one, else ''."""
    close = difflib.get_close_matches(str(name), sorted(known), n=1, cutoff=0.75)
    return f" (did you mean '{close[0]}'?)" if close else ""


class FlowError(Exception):
    """One or more problems in flow files; each line names file, question and problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class _Checker:
    """Collects problems for one file while building its Flow."""

    path: str
    problems: list[str] = field(default_factory=list)
    seen: dict[str, Question] = field(default_factory=dict)
    section_of: dict[str, str] = field(default_factory=dict)
    all_ids: set[str] = field(default_factory=set)
    broken: set[str] = field(default_factory=set)
    """Questions already reported as unreadable: conditions on them add no more noise."""

    def fail(self, where: str, problem: str) -> None:
        self.problems.append(f"{self.path}: {where}: {problem}")

    def text(self, where: str, raw: Any, name: str, *, required: bool = True) -> Text | None:
        if raw is None:
            if required:
                self.fail(where, f"'{name}' is missing")
            return None
        if isinstance(raw, str):
            self.fail(where, f"'{name}' must give ar, en and fr, not one string")
            return None
        if not isinstance(raw, dict):
            self.fail(where, f"'{name}' must be a mapping of language to text")
            return None
        for lang in LANGUAGES:
            value = raw.get(lang)
            if not isinstance(value, str) or not value.strip():
                self.fail(where, f"missing translation '{lang}' for '{name}'")
            elif len(value) > MAX_TEXT_CHARS:
                self.fail(where, f"'{name}' in '{lang}' is longer than {MAX_TEXT_CHARS} chars")
        for lang in raw:
            if lang not in LANGUAGES:
                self.fail(where, f"unknown language '{lang}' in '{name}'")
        return {lang: str(raw.get(lang, "")).strip() for lang in LANGUAGES}


def load_flows(directory: Path = FLOWS_DIR) -> dict[str, Flow]:
    """Load and check every flow file in a folder; raise FlowError listing all problems."""
    flows: dict[str, Flow] = {}
    problems: list[str] = []
    for path in sorted(directory.glob("*.yaml")):
        if path.name in NON_FLOW_FILES:
            continue
        try:
            flow = load_flow(path)
        except FlowError as error:
            problems.extend(error.problems)
            continue
        if flow.id in flows:
            problems.append(f"{path.name}: flow: id '{flow.id}' is used by another file too")
        flows[flow.id] = flow
    if problems:
        raise FlowError(problems)
    return flows


def load_flow(path: Path) -> Flow:
    """Load and check one flow file."""
    name = path.name
    if path.stat().st_size > MAX_FILE_BYTES:
        raise FlowError([f"{name}: flow: file is larger than {MAX_FILE_BYTES} bytes"])
    try:
        text = path.read_text(encoding="utf-8")
        try:
            raw = yaml.load(text, Loader=_FastUniqueKeyLoader)
        except yaml.YAMLError:  # read again for PyYAML's message, which the tests spell out
            raw = yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        hint = ""
        if error.problem == "mapping values are not allowed here":
            hint = " (a text containing ': ' must be in quotes)"
        raise FlowError([f"{name}: flow: not valid YAML{where}: {error.problem}{hint}"]) from None
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        detail = " ".join(str(error).split())
        raise FlowError([f"{name}: flow: not valid YAML: {detail}"]) from None
    return parse_flow(raw, name, expected_id=path.stem)


def parse_flow(raw: Any, name: str, *, expected_id: str | None = None) -> Flow:
    """Build a Flow from already-parsed YAML data, checking everything."""
    check = _Checker(name)
    if not isinstance(raw, dict):
        raise FlowError([f"{name}: flow: the file must hold a mapping"])
    for key in sorted(set(raw) - _FLOW_KEYS, key=str):
        check.fail("flow", f"unknown key '{key}'{_did_you_mean(key, _FLOW_KEYS)}")
    flow_id = raw.get("id")
    if not isinstance(flow_id, str) or not _CODE.match(flow_id):
        check.fail("flow", "'id' must be a lower-case code")
    elif expected_id is not None and flow_id != expected_id:
        check.fail("flow", f"id '{flow_id}' does not match the file name; expected '{expected_id}'")
    version = raw.get("version", 1)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        check.fail("flow", "'version' must be a positive whole number")
    open_anytime = _flag(check, "flow", raw, "open_anytime", default=False)
    title = check.text("flow", raw.get("title"), "title")
    intro = check.text("flow", raw.get("intro"), "intro")
    receipt = check.text("flow", raw.get("receipt"), "receipt", required=False)
    items = raw.get("questions")
    questions: tuple[Question, ...] = ()
    if not isinstance(items, list) or not items:
        check.fail("flow", "'questions' must be a non-empty list")
    else:
        check.all_ids = set(_raw_ids(items))
        questions = tuple(_questions(check, items, section=None))
    if len(check.seen) > MAX_QUESTIONS:
        check.fail("flow", f"more than {MAX_QUESTIONS} questions")
    if check.problems:
        raise FlowError(check.problems)
    assert title is not None and intro is not None
    return Flow(
        id=str(flow_id),
        version=int(version),
        title=title,
        intro=intro,
        questions=questions,
        open_anytime=open_anytime,
        receipt=receipt,
        path=name,
        index=dict(check.seen),
        sections={q.id: s for s in questions if s.type is QType.SECTION for q in s.questions},
    )


def _raw_ids(items: list[Any]) -> Iterator[str]:
    """Every question id the file declares, at any depth, before any is checked."""
    for raw in items:
        if isinstance(raw, dict):
            if isinstance(raw.get("id"), str):
                yield raw["id"]
            if isinstance(raw.get("questions"), list):
                yield from _raw_ids(raw["questions"])


def _questions(check: _Checker, items: list[Any], section: Question | None) -> Iterator[Question]:
    for position, raw in enumerate(items, start=1):
        if not isinstance(raw, dict):
            check.fail(f"question #{position}", "must be a mapping")
            continue
        question = _question(check, raw, position, section)
        if question is None:
            check.broken.add(str(raw.get("id")))
        else:
            check.seen[question.id] = question
            if section is not None:
                check.section_of[question.id] = section.id
            yield question


def _question(
    check: _Checker, raw: dict[str, Any], position: int, section: Question | None
) -> Question | None:
    qid = raw.get("id")
    if not isinstance(qid, str) or not _CODE.match(qid):
        check.fail(f"question #{position}", "'id' must be a lower-case code")
        return None
    where = f"question '{qid}'"
    if qid in check.seen:
        check.fail(where, "id is used twice")
    for key in sorted(set(raw) - _QUESTION_KEYS, key=str):
        check.fail(where, f"unknown key '{key}'{_did_you_mean(key, _QUESTION_KEYS)}")
    if "type" not in raw:
        check.fail(where, "'type' is missing")
        return None
    try:
        qtype = QType(raw["type"])
    except ValueError:
        known = sorted(t.value for t in QType)
        hint = _did_you_mean(raw["type"], known) or f" (known: {', '.join(known)})"
        check.fail(where, f"unknown question type '{raw['type']}'{hint}")
        return None
    fields: dict[str, Any] = {
        "id": qid,
        "type": qtype,
        "text": check.text(where, raw.get("text"), "text") or {},
        "required": _flag(check, where, raw, "required", default=True),
        "help": check.text(where, raw.get("help"), "help", required=False),
        "error": check.text(where, raw.get("error"), "error", required=False),
        "when": _condition(check, where, qid, raw.get("when"), section),
    }
    fields.update(_type_fields(check, where, qtype, raw, section))
    return Question(**fields)


def _flag(check: _Checker, where: str, raw: dict[str, Any], key: str, *, default: bool) -> bool:
    value = raw.get(key, default)
    if not isinstance(value, bool):
        check.fail(where, f"'{key}' must be true or false")
        return default
    return value


def _type_fields(
    check: _Checker, where: str, qtype: QType, raw: dict[str, Any], section: Question | None
) -> dict[str, Any]:
    """The fields only some types take, checked for that type."""
    if qtype in (QType.CHOICE, QType.MULTI_CHOICE):
        return {"choices": _choices(check, where, raw.get("choices"))}
    if "choices" in raw:
        check.fail(where, f"a {qtype.value} question takes no 'choices'")
    if qtype is QType.YES_NO:
        return {"choices": _YES_NO}
    if qtype is QType.DB_CHOICE:
        source = raw.get("source")
        if source not in KNOWN_SOURCES:
            known = ", ".join(sorted(KNOWN_SOURCES))
            given = "'source' is missing" if source is None else f"unknown source '{source}'"
            check.fail(where, f"{given}; known sources: {known}")
        return {"source": source}
    if qtype in (QType.INTEGER, QType.DECIMAL, QType.YEAR, QType.RATING):
        return _bounds(check, where, qtype, raw)
    if qtype in (QType.TEXT, QType.LONG_TEXT):
        limit = raw.get("max_length", 300 if qtype is QType.TEXT else 4000)
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            check.fail(where, "'max_length' must be a positive whole number")
        return {"max_length": limit}
    if qtype is QType.SECTION:
        return _section(check, where, raw, section)
    return {}


def _choices(check: _Checker, where: str, raw: Any) -> tuple[Choice, ...]:
    if not isinstance(raw, list) or not raw:
        check.fail(where, "'choices' must be a non-empty list")
        return ()
    if len(raw) > MAX_CHOICES:
        check.fail(where, f"more than {MAX_CHOICES} choices")
    choices: list[Choice] = []
    for position, item in enumerate(raw, start=1):
        code = item.get("code") if isinstance(item, dict) else None
        if isinstance(code, bool):
            check.fail(where, f"choice #{position}: {_UNQUOTED_YES_NO}")
            continue
        if not isinstance(code, str) or not _CODE.match(code):
            given = f"'code' {code!r} is not" if code is not None else "needs"
            check.fail(where, f"choice #{position} {given} a lower-case code")
            continue
        if any(c.code == code for c in choices):
            check.fail(where, f"choice code '{code}' is used twice")
        for key in item:
            if key not in _CHOICE_KEYS:
                hint = _did_you_mean(key, _CHOICE_KEYS)
                check.fail(where, f"choice '{code}': unknown key '{key}'{hint}")
        label = check.text(f"{where}, choice '{code}'", item.get("label"), "label")
        title = check.text(f"{where}, choice '{code}'", item.get("title"), "title", required=False)
        exclusive = item.get("exclusive", False)
        if not isinstance(exclusive, bool):
            check.fail(where, f"choice '{code}': 'exclusive' must be true or false")
        choices.append(Choice(code, label or {}, exclusive is True, title))
    return tuple(choices)


def _bounds(check: _Checker, where: str, qtype: QType, raw: dict[str, Any]) -> dict[str, Any]:
    defaults = {QType.RATING: (1, 5), QType.YEAR: (1900, 2100)}
    low, high = defaults.get(qtype, (None, None))
    minimum, maximum = raw.get("min", low), raw.get("max", high)
    for key, value in (("min", minimum), ("max", maximum)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            check.fail(where, f"'{key}' must be a number")
            return {}
    if minimum is not None and maximum is not None and minimum > maximum:
        check.fail(where, f"'min' ({minimum}) is greater than 'max' ({maximum})")
    if qtype is QType.RATING and (maximum - minimum) > 10:
        check.fail(where, "a rating scale has at most 11 points")
    fields: dict[str, Any] = {"minimum": minimum, "maximum": maximum}
    if qtype is QType.RATING:
        fields["low_label"] = check.text(where, raw.get("low_label"), "low_label", required=False)
        fields["high_label"] = check.text(
            where, raw.get("high_label"), "high_label", required=False
        )
    return fields


def _section(
    check: _Checker, where: str, raw: dict[str, Any], parent: Question | None
) -> dict[str, Any]:
    if parent is not None:
        check.fail(where, "sections cannot be nested")
        return {}
    items = raw.get("questions")
    if not isinstance(items, list) or not items:
        check.fail(where, "a section needs a non-empty 'questions' list")
        return {}
    repeat = _flag(check, where, raw, "repeat", default=False)
    for key in ("item_label", "add_another"):
        if repeat and raw.get(key) is None:
            check.fail(where, f"a repeated section needs '{key}'")
    placeholder = Question(id=str(raw["id"]), type=QType.SECTION, text={})
    return {
        "repeat": repeat,
        "add_another": check.text(where, raw.get("add_another"), "add_another", required=False),
        "item_label": check.text(where, raw.get("item_label"), "item_label", required=False),
        "questions": tuple(_questions(check, items, section=placeholder)),
    }


def _condition(
    check: _Checker, where: str, qid: str, raw: Any, section: Question | None
) -> Condition | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get("question"), str):
        check.fail(where, "'when' must name a 'question'")
        return None
    for key in sorted(set(raw) - _WHEN_KEYS, key=str):
        check.fail(where, f"unknown key '{key}' in 'when'{_did_you_mean(key, _WHEN_KEYS)}")
    target_id = raw["question"]
    target = check.seen.get(target_id)
    if target_id in check.broken:
        return None
    if target is None:
        if target_id == qid:
            problem = "'when' names the question itself"
        elif target_id in check.all_ids:
            problem = (
                f"'when' names '{target_id}', which is asked later; only earlier answers count"
            )
        else:
            hint = _did_you_mean(target_id, check.all_ids)
            problem = f"'when' names '{target_id}', but the flow has no such question{hint}"
        check.fail(where, problem)
        return None
    target_section = check.section_of.get(target_id)
    if target.type is QType.SECTION:
        check.fail(where, f"'when' names section '{target_id}'; name one of its questions")
        return None
    if target_section is not None and (section is None or section.id != target_section):
        check.fail(where, f"'when' names '{target_id}', which is inside section '{target_section}'")
        return None
    if raw.get("answered"):
        return Condition(question=target_id, answered=True)
    negate = "not_in" in raw
    codes = raw.get("not_in") if negate else raw.get("in", raw.get("equals"))
    values = [codes] if isinstance(codes, str | bool) else codes
    if isinstance(values, list) and any(isinstance(value, bool) for value in values):
        check.fail(where, f"'when': {_UNQUOTED_YES_NO}")
        return None
    if not isinstance(values, list) or not values:
        check.fail(where, "'when' needs 'equals', 'in', 'not_in' or 'answered'")
        return None
    _check_codes(check, where, target, values)
    return Condition(question=target_id, any_of=frozenset(map(str, values)), negate=negate)


def _check_codes(check: _Checker, where: str, target: Question, codes: Iterable[Any]) -> None:
    if target.type is QType.DB_CHOICE:
        if any(str(code) != OTHER_CODE for code in codes):
            check.fail(where, f"'when' on '{target.id}' can only test for '{OTHER_CODE}'")
        return
    known = [choice.code for choice in target.choices]
    if not known:
        check.fail(
            where,
            f"'when' tests codes of '{target.id}', which has no choices; use 'answered: true'",
        )
        return
    for code in codes:
        if str(code) not in known:
            choices = ", ".join(known)
            check.fail(
                where, f"'when' names '{code}', not a choice of '{target.id}' (choices: {choices})"
            )
