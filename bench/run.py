"""Every benchmark, on SQLite and PostgreSQL, summed up in one table.

Runs each bench's `run()` with small sizes by default, so that the whole takes a few
minutes (the flags give the sizes the targets are stated for), and prints one row per
bench, database and case: the bench's figure, its comparison measured in the same run,
their ratio, the target and whether it was met. What the benches say while they run goes
to stderr; the table goes to stdout. A bench that cannot run gets a row that says why.

    python bench/run.py [--engine-people 200] [--engine-rate 300] [--telegram-people 20]
                        [--export-answers 20000] [--whatsapp-requests 2000]
                        [--whatsapp-concurrency 50] [--whatsapp-rates 100,200]
                        [--broadcast-recipients 300]
                        [--broadcast-telegram-rate 30] [--broadcast-whatsapp-rate 30]
                        [--database sqlite|postgresql|all] [--pg URL] [--only engine,...]

PostgreSQL runs when TEST_DATABASE_URL (or --pg) is set. Full sizes, as in the issue:
--engine-people 2000 --telegram-people 100 --export-answers 1000000
--whatsapp-requests 20000 --broadcast-recipients 3000.
"""

from __future__ import annotations

import sys
from pathlib import Path

if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)  # bench/, where `import telegram` would find bench/telegram.py
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import contextlib
import os
import statistics
import tempfile
import traceback
from collections.abc import Callable
from dataclasses import dataclass

from bench.common import Unavailable, database_url

BENCHES = ("engine", "telegram", "whatsapp", "broadcast", "export")


@dataclass(frozen=True)
class Row:
    """One line of the table."""

    bench: str
    database: str
    figure: str
    comparison: str = ""
    ratio: float | None = None
    target: str = ""
    met: bool | None = None
    """None when the bench did not run (then `figure` says why)."""

    def cells(self) -> tuple[str, ...]:
        ratio = "" if self.ratio is None else f"{self.ratio:.2f}"
        met = {True: "yes", False: "NO", None: "-"}[self.met]
        return (self.bench, self.database, self.figure, self.comparison, ratio, self.target, met)


HEADER = ("bench", "database", "figure", "comparison", "ratio", "target", "met?")


def table(rows: list[Row]) -> str:
    """The rows as a Markdown table (readable as it is on a terminal, and in the README)."""
    lines = [HEADER, *(row.cells() for row in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(HEADER))]

    def show(cells: tuple[str, ...]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([show(lines[0]), rule, *(show(line) for line in lines[1:])])


# -- each bench's rows -----------------------------------------------------------------------


def engine_rows(database: str, args: argparse.Namespace) -> list[Row]:
    from bench import engine

    with database_url(database, args.pg) as url:
        result = engine.run(database, url, args.engine_people, args.engine_rate)
    throughput = result.messages / result.seconds
    p99 = statistics.quantiles(result.latencies_ms, n=100, method="inclusive")[98]
    ratio = throughput / result.rate
    return [
        Row(
            "engine",
            database,
            f"{throughput:,.0f} msg/s, p99 {p99:.1f} ms, {result.cpu_ms:.2f} ms cpu/msg",
            f"{result.rate:,.0f} msg/s offered",
            ratio,
            "≥ 0.95 of offered, p99 ≤ 50 ms",
            ratio >= 0.95 and p99 <= 50,
        )
    ]


def telegram_rows(database: str, args: argparse.Namespace) -> list[Row]:
    from bench import telegram

    if database == "postgresql":
        if not args.pg:
            raise Unavailable("TEST_DATABASE_URL is not set")
        os.environ["TEST_DATABASE_URL"] = args.pg  # where telegram.run finds it
    comparison = telegram.run(database, args.telegram_people, args.telegram_timeout, False)
    nuqta, plain = comparison.nuqta, comparison.plain
    ratio = nuqta.crowd.per_second / plain.crowd.per_second if plain.crowd.per_second else None
    trouble = [
        f"{bot.name} {bot.mark}, {len(bot.crowd.failures)} stuck"
        for bot in (nuqta, plain)
        if bot.failed or bot.stored is None
    ]
    lost = f" ({'; '.join(trouble)})" if trouble else ""
    return [
        Row(
            "telegram",
            database,
            f"nuqta {nuqta.crowd.per_second:.1f} msg/s, p99 "
            f"{nuqta.crowd.percentile(99):.0f} ms{lost}",
            f"plain PTB {plain.crowd.per_second:.1f} msg/s",
            ratio,
            "≥ 2×, nothing lost",
            ratio is not None and ratio >= 2 and not comparison.failed,
        )
    ]


def export_rows(database: str, args: argparse.Namespace) -> list[Row]:
    from bench import export

    only = tuple(f for f in args.export_flows.split(",") if f)
    with database_url(database, args.pg) as url, tempfile.TemporaryDirectory() as folder:
        runs = export.run(database, url, args.export_answers, Path(folder), only)
    rows = []
    for run in runs:
        args.export_hashes.setdefault(run.layout, {})[database] = run.hashes
        dump = "sqlite3 -csv" if database == "sqlite" else "psql \\copy"
        ratio = run.export.seconds / run.dump.seconds
        rows.append(
            Row(
                f"export {run.layout}",
                database,
                f"{run.rows:,} rows in {run.export.seconds:.1f} s, "
                f"peak {run.export.peak_mib:.0f} MiB ({run.processes} process(es), "
                f"start-up {run.startup.seconds:.1f} s each)",  # small sizes: mostly start-up
                f"{dump} {run.dump.seconds:.1f} s",
                ratio,
                "≤ 2×, peak ≤ 150 MiB",
                ratio <= 2 and run.export.peak_mib <= 150,
            )
        )
    return rows


def whatsapp_rows(database: str, args: argparse.Namespace) -> list[Row]:
    from bench import whatsapp

    with database_url(database, args.pg) as url:
        result = whatsapp.run(
            database,
            url,
            args.whatsapp_requests,
            args.whatsapp_concurrency,
            rates=args.whatsapp_rates,
        )
    ceiling = result.ceiling
    # At fixed rates, the highest one kept up with (else the highest tried); else the loop.
    nuqta = result.sustained or max(result.paced, key=lambda load: load.rate, default=None)
    nuqta = nuqta or result.nuqta
    lost = f", {nuqta.lost} lost" if nuqta.lost else ""
    return [
        Row(
            "whatsapp",
            database,
            f"{nuqta.describe()}{lost}",
            f"signature-only aiohttp {ceiling.describe()}",
            result.ratio,
            f"≥ {whatsapp.TARGET_RPS:.0f} req/s, p99 ≤ {whatsapp.TARGET_P99_MS:.0f} ms, none lost",
            result.met,
        )
    ]


def broadcast_rows(database: str, args: argparse.Namespace) -> list[Row]:
    from bench import broadcast

    rates = (args.broadcast_telegram_rate, args.broadcast_whatsapp_rate)
    with database_url(database, args.pg) as url:
        result = broadcast.run(database, url, args.broadcast_recipients, *rates)
    return [
        Row(
            f"broadcast {channel.name}",
            database,
            f"{channel.delivered}/{channel.recipients} at {channel.achieved:.1f}/s, "
            f"{channel.refused}× 429",
            f"limit {channel.limit:.0f}/s",
            channel.ratio,
            f"≥ {broadcast.TARGET_RATIO}, no 429",
            channel.met,
        )
        for channel in result.channels
    ]


RUNNERS: dict[str, Callable[[str, argparse.Namespace], list[Row]]] = {
    "engine": engine_rows,
    "telegram": telegram_rows,
    "whatsapp": whatsapp_rows,
    "broadcast": broadcast_rows,
    "export": export_rows,
}


def rows_of(bench: str, database: str, args: argparse.Namespace) -> list[Row]:
    """The bench's rows, or one row saying why it did not run (never an exception)."""
    try:
        with contextlib.redirect_stdout(sys.stderr):
            return RUNNERS[bench](database, args)
    except Unavailable as why:
        return [Row(bench, database, f"not run: {why}")]
    except (Exception, SystemExit) as error:  # a bench's failed check exits
        traceback.print_exc(file=sys.stderr)
        said = str(error) or type(error).__name__
        return [Row(bench, database, f"failed: {said.splitlines()[0][:160]}")]


def parser() -> argparse.ArgumentParser:
    parse = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    add = parse.add_argument
    add("--database", choices=("sqlite", "postgresql", "all"), default="all")
    add("--pg", default=os.environ.get("TEST_DATABASE_URL"), help="PostgreSQL URL")
    add("--only", default=",".join(BENCHES), help="benches to run, comma-separated")
    add("--engine-people", type=int, default=200)
    add("--engine-rate", type=float, default=300.0)
    add("--telegram-people", type=int, default=20)
    add("--telegram-timeout", type=float, default=120.0)
    add("--export-answers", type=int, default=20_000)
    add("--export-flows", default="", help="flows to export, comma-separated (default all)")
    add("--whatsapp-requests", type=int, default=2_000)
    add("--whatsapp-concurrency", type=int, default=50)
    add("--whatsapp-rates", type=rate_list, default=[], help="fixed rates, e.g. 100,200")
    add("--broadcast-recipients", type=int, default=300, help="on each channel")
    add("--broadcast-telegram-rate", type=float, default=30.0)
    add("--broadcast-whatsapp-rate", type=float, default=30.0)
    return parse


def rate_list(text: str) -> list[float]:
    """Requests a second, comma-separated."""
    return [float(part) for part in text.split(",") if part.strip()]


def collect(args: argparse.Namespace) -> list[Row]:
    """Every chosen bench on every chosen database, in the order of BENCHES."""
    chosen = [b for b in BENCHES if b in args.only.split(",")]
    databases = ["sqlite", "postgresql"] if args.database == "all" else [args.database]
    rows = []
    args.export_hashes = {}
    for bench in chosen:
        for database in databases:
            print(f"-- {bench} on {database}", file=sys.stderr, flush=True)
            rows += rows_of(bench, database, args)
    return rows + identical(args.export_hashes)


def identical(hashes: dict[str, dict[str, dict[str, str]]]) -> list[Row]:
    """Whether each layout's export gave the same bytes on both databases (SHA-256 of each
    flow's file), when it ran on both."""
    rows = []
    for layout, by_database in hashes.items():
        if len(by_database) == 2:
            same = by_database["sqlite"] == by_database["postgresql"]
            figure = "same bytes" if same else "DIFFERENT bytes"
            rows.append(
                Row(
                    f"export {layout}",
                    "both",
                    f"{figure} ({len(by_database['sqlite'])} flows, SHA-256)",
                    "sqlite vs postgresql",
                    None,
                    "byte-identical",
                    same,
                )
            )
    return rows


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    rows = collect(args)
    print(table(rows), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
