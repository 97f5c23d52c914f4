"""The compiled report's view model over the seeded campaigns (both databases): the summary,
the counts behind the charts, free text by state in the League's order, the pledge tables,
and the focal-point variant that keeps only consented answers."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session

from bot.app import App
from bot.report.view import QuestionBlock, ReportView, SectionBlock, option_label, report_view
from storage.countries import COUNTRIES, country_name
from tests.report.seed import (
    EGYPT_SECRET,
    JORDAN_STATEMENT,
    NO_STATEMENT,
    NOT_YET_ACCEPTED,
    REFUSED,
    SILENT,
    Seeded,
)

NOW = datetime(2026, 6, 10, 8, 0, tzinfo=UTC)


def _view(app: App, campaign_id: int, language: str = "en", consented: bool = False) -> ReportView:
    with Session(app.engine) as session:
        view = report_view(
            session,
            campaign_id=campaign_id,
            flows=app.flows,
            language=language,
            consented_only=consented,
            now=NOW,
        )
    assert view is not None
    return view


def _block(view: ReportView, question_id: str) -> QuestionBlock:
    found = next(b for b in view.blocks if b.id == question_id)
    assert isinstance(found, QuestionBlock)
    return found


def _counts(block: QuestionBlock) -> dict[str, int]:
    return {bar.label: bar.count for bar in block.bars}


def test_the_summary_lists_every_state_in_league_order_with_when_and_review_state(
    app: App, seeded: Seeded
) -> None:
    view = _view(app, seeded.wrd)
    assert [line.code for line in view.summary] == [info.code for info in COUNTRIES]
    assert (view.answered, view.asked) == (20, 22)
    jordan = next(line for line in view.summary if line.code == "JO")
    assert jordan.state == "Jordan" and jordan.version == 2
    assert jordan.status == "web.status_submitted"
    assert jordan.review == "report.review_accepted"
    tunisia = next(line for line in view.summary if line.code == NOT_YET_ACCEPTED)
    assert tunisia.review == "report.review_received"
    for line in view.summary:
        if line.code in SILENT:
            assert line.submitted_at is None and line.review is None
            assert line.status != "web.status_submitted"


def test_choice_questions_are_counted_with_percentages_of_the_answers(
    app: App, seeded: Seeded
) -> None:
    view = _view(app, seeded.wrd)
    statement = _block(view, "will_issue_statement")
    assert statement.answered == 20
    assert _counts(statement) == {"Yes": 20 - len(NO_STATEMENT), "No": len(NO_STATEMENT)}
    assert [bar.percent for bar in statement.bars] == [60, 40]
    consent = _block(view, "may_circulate")
    assert _counts(consent) == {"Yes": 20 - len(REFUSED), "No": len(REFUSED)}


def test_free_text_is_grouped_by_state_in_league_order_and_named_in_the_reports_language(
    app: App, seeded: Seeded
) -> None:
    view = _view(app, seeded.wrd, language="fr")
    texts = _block(view, "statement_text")
    expected = [i.code for i in COUNTRIES if i.code not in (*NO_STATEMENT, *SILENT)]
    assert [found.code for found in texts.states] == expected
    jordan = next(found for found in texts.states if found.code == "JO")
    assert jordan.state == "Jordanie"
    assert jordan.texts == [JORDAN_STATEMENT]  # the current version only, not the first draft
    date = _block(view, "activities_date")
    assert date.states[0].texts == ["20 juin 2026"]


def test_the_secretariats_report_has_every_answer_with_contacts(app: App, seeded: Seeded) -> None:
    view = _view(app, seeded.wrd, language="ar")
    texts = _block(view, "statement_text")
    egypt = next(found for found in texts.states if found.code == "EG")
    assert egypt.state == country_name("EG", "ar") and egypt.texts == [EGYPT_SECRET]
    assert len(_block(view, "contact_email").states) == 20


def test_the_focal_point_variant_keeps_only_the_states_that_agreed_to_circulate(
    app: App, seeded: Seeded
) -> None:
    view = _view(app, seeded.wrd, consented=True)
    assert view.consented_only and view.asks_consent
    assert view.answered == 20 - len(REFUSED) - 1  # and Tunisia's, not accepted yet
    assert [line.code for line in view.summary] == [
        i.code for i in COUNTRIES if i.code not in (*SILENT, *REFUSED, NOT_YET_ACCEPTED)
    ]
    assert all(line.review is None for line in view.summary)
    ids = {block.id for block in view.blocks}
    assert "may_circulate" not in ids and "contact_email" not in ids
    texts = _block(view, "statement_text")
    assert {found.code for found in texts.states}.isdisjoint(REFUSED)
    statement = _block(view, "will_issue_statement")
    assert statement.answered == 20 - len(REFUSED) - 1
    assert EGYPT_SECRET not in repr(view)


def test_repeated_pledges_are_counted_over_items_and_tabled_per_state(
    app: App, seeded: Seeded
) -> None:
    view = _view(app, seeded.pledges)
    section = next(b for b in view.blocks if isinstance(b, SectionBlock))
    assert section.items == 3
    status = next(chart for chart in section.charts if chart.id == "status")
    assert _counts(status) == {"Not started": 0, "Planning": 1, "In progress": 1, "Fulfilled": 1}
    assert [table.code for table in section.tables] == ["JO", "MA"]  # League order
    jordan = section.tables[0]
    assert [(item.label, item.title) for item in jordan.items] == [
        ("Pledge 1", "GRF-2019-JO-01 — Work permits for refugees"),
        ("Pledge 2", "A pledge not in this list"),
    ]
    second = {row.label: row.text for row in jordan.items[1].rows}
    assert second["What is the title of the pledge?"] == "دمج الأطفال اللاجئين في المدارس"
    assert second["What is the status of the pledge?"] == "Fulfilled"
    wider = _block(view, "wider_efforts")
    assert [found.code for found in wider.states] == ["JO"]  # Morocco skipped it


def test_a_pledge_is_titled_in_the_reports_language_or_marked_as_another(
    app: App, seeded: Seeded
) -> None:
    def first_title(language: str) -> str:
        section = next(
            b for b in _view(app, seeded.pledges, language).blocks if isinstance(b, SectionBlock)
        )
        return section.tables[0].items[0].title

    assert first_title("ar") == "GRF-2019-JO-01 — تصاريح العمل للاجئين"
    assert first_title("fr") == "GRF-2019-JO-01 — Work permits for refugees (en anglais)"


def test_ratings_count_every_mark_with_the_ends_named_and_their_average(
    app: App, seeded: Seeded
) -> None:
    view = _view(app, seeded.evaluation)
    terms = _block(view, "terms_of_reference")
    assert _counts(terms) == {"1 — Not at all": 0, "2": 0, "3": 1, "4": 1, "5 — Fully": 1}
    assert terms.average == 4.0
    assert _block(view, "action_plan_coverage").average == 4.3
    assert _counts(_block(view, "participation")) == {
        "Always": 2,
        "Mostly": 1,
        "Sometimes": 0,
        "Rarely": 0,
    }


def test_a_flow_without_consent_gives_a_focal_point_report_without_answers(
    app: App, seeded: Seeded
) -> None:
    view = _view(app, seeded.pledges, consented=True)
    assert not view.asks_consent
    assert view.answered == 0 and view.summary == []


def test_an_unknown_campaign_has_no_report(app: App, seeded: Seeded) -> None:
    with Session(app.engine) as session:
        assert (
            report_view(
                session,
                campaign_id=seeded.wrd + 100,
                flows=app.flows,
                language="ar",
                consented_only=False,
                now=NOW,
            )
            is None
        )


def test_an_option_with_an_official_title_is_named_by_its_short_label_and_the_title(
    app: App,
) -> None:
    objectives = app.flows["gcm_implementation"].question("priority_objectives").choices
    assert option_label(objectives[10], "en") == (
        "Border management (11) — Manage borders in an integrated, secure and coordinated manner"
    )
    assert option_label(objectives[10], "ar") == (
        "إدارة الحدود (11) — إدارة الحدود بطريقة متكاملة وآمنة ومنسقة"
    )
    status = app.flows["pledge_update"].question("status").choices
    assert option_label(status[0], "fr") == "Pas encore commencée"
