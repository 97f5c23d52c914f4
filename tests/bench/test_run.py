"""`bench/run.py` with tiny sizes on SQLite: every bench has its row (no timing asserted)."""

from __future__ import annotations

import pytest

from bench import run

TINY = [
    "--database", "sqlite",
    "--engine-people", "10", "--engine-rate", "500",
    "--telegram-people", "2", "--telegram-timeout", "30",
    "--export-answers", "300", "--export-flows", "pledge_update",
    "--whatsapp-requests", "20", "--whatsapp-concurrency", "2", "--whatsapp-rates", "10",
    "--broadcast-recipients", "20", "--broadcast-telegram-rate", "100",
    "--broadcast-whatsapp-rate", "100",
]  # fmt: skip


@pytest.fixture(scope="module")
def table() -> tuple[list[run.Row], str]:
    rows = run.collect(run.parser().parse_args(TINY))
    return rows, run.table(rows)


def test_every_bench_has_its_rows_on_sqlite(table: tuple[list[run.Row], str]) -> None:
    rows, _ = table
    benches = [(row.bench, row.database) for row in rows]
    assert benches == [
        ("engine", "sqlite"),
        ("telegram", "sqlite"),
        ("whatsapp", "sqlite"),
        ("broadcast telegram", "sqlite"),
        ("broadcast whatsapp", "sqlite"),
        ("export long", "sqlite"),
        ("export wide", "sqlite"),
    ]


def test_a_bench_that_ran_gives_its_comparison_and_ratio(
    table: tuple[list[run.Row], str],
) -> None:
    rows, _ = table
    ran = [row for row in rows if not row.figure.startswith(("not run", "failed"))]
    assert [row for row in rows if row.figure.startswith("failed")] == []
    for row in ran:
        assert row.comparison and row.ratio is not None and row.ratio > 0, row
        assert row.target and row.met is not None, row


def test_the_simulated_people_walk_to_the_end_with_nothing_lost(
    table: tuple[list[run.Row], str],
) -> None:
    """A bench whose people got stuck measures nothing: it must not pass for a slow run."""
    rows, _ = table
    [telegram] = [row for row in rows if row.bench == "telegram"]
    assert "stuck" not in telegram.figure and "LOST" not in telegram.figure, telegram


def test_the_table_has_a_header_and_one_line_per_row(table: tuple[list[run.Row], str]) -> None:
    rows, text = table
    lines = text.splitlines()
    assert lines[0].split("|")[1].strip() == "bench"
    assert "met?" in lines[0]
    assert len(lines) == 2 + len(rows)


def test_a_bench_that_cannot_run_says_why_instead_of_failing() -> None:
    args = run.parser().parse_args(["--database", "postgresql", "--pg", "", "--only", "engine"])
    [row] = run.collect(args)
    assert row.figure == "not run: TEST_DATABASE_URL is not set"
    assert row.met is None


def test_the_export_is_compared_byte_for_byte_when_it_ran_on_both_databases() -> None:
    same = {"sqlite": {"a": "1", "b": "2"}, "postgresql": {"a": "1", "b": "2"}}
    differ = {"sqlite": {"a": "1"}, "postgresql": {"a": "9"}}
    rows = run.identical({"long": same, "wide": differ, "only": {"sqlite": {"a": "1"}}})
    assert [(row.bench, row.database, row.met) for row in rows] == [
        ("export long", "both", True),
        ("export wide", "both", False),
    ]
    assert rows[1].figure.startswith("DIFFERENT bytes")
