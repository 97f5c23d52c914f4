"""What the flow checker says about broken flow files.

Each file in `broken/` has exactly one problem; the table gives the one line the checker must
report for it (after the file name). These lines are what a flow author reads, so they are
pinned word for word.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from flows.loader import (
    FLOWS_DIR,
    FlowError,
    _FastUniqueKeyLoader,
    _UniqueKeyLoader,
    load_flow,
    load_flows,
)

BROKEN = Path(__file__).parent / "broken"
SHIPPED = Path(__file__).resolve().parents[2] / "flows"
KNOWN_TYPES = (
    " (known: choice, date, db_choice, decimal, email, file, integer, long_text,"
    " multi_choice, rating, section, text, url, year, yes_no)"
)

EXPECTED = [
    # the file
    (
        "invalid_yaml.yaml",
        "flow: not valid YAML at line 10, column 23: mapping values are not allowed here"
        " (a text containing ': ' must be in quotes)",
    ),
    ("duplicate_key.yaml", "flow: not valid YAML at line 9, column 5: key 'text' is given twice"),
    (
        "id_mismatch.yaml",
        "flow: id 'pledge_updates' does not match the file name; expected 'id_mismatch'",
    ),
    ("open_anytime_not_flag.yaml", "flow: 'open_anytime' must be true or false"),
    # questions
    (
        "unknown_type.yaml",
        "question 'status': unknown question type 'radio'" + KNOWN_TYPES,
    ),
    ("type_missing.yaml", "question 'status': 'type' is missing"),
    ("unknown_key.yaml", "question 'status': unknown key 'requird' (did you mean 'required'?)"),
    ("duplicate_id.yaml", "question 'status': id is used twice"),
    ("min_greater_than_max.yaml", "question 'staff': 'min' (100) is greater than 'max' (10)"),
    (
        "unknown_source.yaml",
        "question 'pledge': unknown source 'commitments'; known sources: pledges",
    ),
    # texts
    ("missing_translation.yaml", "question 'status': missing translation 'fr' for 'text'"),
    ("text_one_string.yaml", "question 'status': 'text' must give ar, en and fr, not one string"),
    # choices
    ("choice_without_choices.yaml", "question 'status': 'choices' must be a non-empty list"),
    ("duplicate_choice_code.yaml", "question 'status': choice code 'planning' is used twice"),
    (
        "exclusive_not_flag.yaml",
        "question 'partners': choice 'none': 'exclusive' must be true or false",
    ),
    (
        "choice_unknown_key.yaml",
        "question 'objectives': choice 'objective_1': unknown key 'titel' (did you mean 'title'?)",
    ),
    (
        "choice_title_missing_translation.yaml",
        "question 'objectives', choice 'objective_1': missing translation 'fr' for 'title'",
    ),
    (
        "choice_code_unquoted.yaml",
        "question 'mechanism_exists': choice #3: unquoted yes/no is read as true/false;"
        ' write "yes" or "no" in quotes',
    ),
    # sections
    ("nested_section.yaml", "question 'inner': sections cannot be nested"),
    ("repeat_without_item_label.yaml", "question 'pledges': a repeated section needs 'item_label'"),
    # conditions
    (
        "when_unknown_question.yaml",
        "question 'statement_link': 'when' names 'will_issue_statment', but the flow has no such"
        " question (did you mean 'will_issue_statement'?)",
    ),
    (
        "when_later_question.yaml",
        "question 'statement_link': 'when' names 'will_issue_statement', which is asked later;"
        " only earlier answers count",
    ),
    ("when_itself.yaml", "question 'statement_link': 'when' names the question itself"),
    (
        "when_unknown_code.yaml",
        "question 'actions': 'when' names 'done', not a choice of 'status'"
        " (choices: planning, fulfilled)",
    ),
    (
        "when_codes_of_text.yaml",
        "question 'legal_basis': 'when' tests codes of 'mechanism_name', which has no choices;"
        " use 'answered: true'",
    ),
    (
        "when_unquoted_yes.yaml",
        "question 'statement_link': 'when': unquoted yes/no is read as true/false;"
        ' write "yes" or "no" in quotes',
    ),
    (
        "when_inside_other_section.yaml",
        "question 'wider_efforts': 'when' names 'status', which is inside section 'pledges'",
    ),
]


@pytest.mark.parametrize(("file_name", "problem"), EXPECTED, ids=[name for name, _ in EXPECTED])
def test_broken_file_reports_its_one_problem(file_name: str, problem: str) -> None:
    with pytest.raises(FlowError) as caught:
        load_flow(BROKEN / file_name)
    assert caught.value.problems == [f"{file_name}: {problem}"]


def test_every_broken_file_is_in_the_table() -> None:
    assert sorted(path.name for path in BROKEN.glob("*.yaml")) == sorted(
        name for name, _ in EXPECTED
    )


def test_load_flows_reports_the_problems_of_every_file(tmp_path: Path) -> None:
    for name in ("unknown_type.yaml", "missing_translation.yaml"):
        shutil.copy(BROKEN / name, tmp_path / name)
    shutil.copy(SHIPPED / "wrd_statement.yaml", tmp_path / "wrd_statement.yaml")
    with pytest.raises(FlowError) as caught:
        load_flows(tmp_path)
    assert caught.value.problems == [
        "missing_translation.yaml: question 'status': missing translation 'fr' for 'text'",
        "unknown_type.yaml: question 'status': unknown question type 'radio'" + KNOWN_TYPES,
    ]
    assert str(caught.value) == "\n".join(caught.value.problems)


def test_the_fast_yaml_parser_reads_every_shipped_flow_as_pyyamls_own_does() -> None:
    """Flows are parsed with libyaml (start-up time); PyYAML's parser, kept for its error
    messages, must read the same data from every file."""
    for path in sorted(FLOWS_DIR.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        fast = yaml.load(text, Loader=_FastUniqueKeyLoader)
        assert fast == yaml.load(text, Loader=_UniqueKeyLoader), path.name
