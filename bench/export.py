"""Benchmark: the CSV export before a meeting, beside the database's own dump of the same rows.

Seeds `--answers` answers (1,000,000 by default) itself, spread over the flows and the
22 states, by bulk insert (executemany on SQLite, COPY on PostgreSQL; no conversation
runs). Every submission is a version of its state's answer, so the export runs with
`--all-versions` and writes all of them. Then, per layout (long and wide, Arabic labels),
every flow is exported by ONE child process running `python bot.py export --flow all`, as
the secretariat runs it before a meeting, and the same rows are written by `sqlite3 -csv`
(or `psql \\copy`) in the same run:

    python bench/export.py [--answers 1000000] [--database sqlite|postgresql|all]

Prints, per database and layout: rows, seconds and peak RSS of the export process (every
flow; one process per flow when `only` names some), the same for the dump, and the ratio.
`startup` is what an export of nothing costs (Python, imports, migration check),
paid once per process; `ratio-startup` leaves it out of both sides. At the end, the
SHA-256 of each export must be the same on both databases (exit 1 otherwise).
PostgreSQL runs when TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.app import App, build_app
from bot.config import Settings, normalize_database_url
from flows import jsondata
from flows.answers import choices_for
from flows.model import Flow, QType, Question
from storage.countries import COUNTRIES
from storage.db import scratch_schema
from storage.models import Person, Pledge

ROOT = Path(__file__).resolve().parents[1]
LAYOUTS = ("long", "wide")
LABELS = "ar"
CLOCK = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
CHUNK = 50_000
"""Rows per bulk insert."""
TEXTS = (
    "شُكّلت لجنة وطنية تضم وزارات الخارجية والداخلية والعمل، وتجتمع كل شهر.",
    "Un comité interministériel « migration » se réunit chaque trimestre.",
    'The plan was adopted in 2024; see "Annex 2", pages 4-7.',
    '=HYPERLINK("http://evil.example","اضغط")',
    "-2% من الميزانية\nوسطر ثانٍ",
    "+966 11 234 5678",
    "@وزارة العمل",
    "لا توجد",
)
"""Free text as focal points type it: Arabic, French, quotes, new lines, formula starts."""


@dataclass
class Measure:
    """Commands' cost: wall seconds, CPU seconds (user + system) and the largest peak RSS
    (MiB). On a shared machine CPU time varies less than wall time; on PostgreSQL it
    leaves out the server's work, for the export as for the dump."""

    seconds: float = 0.0
    cpu: float = 0.0
    peak_mib: float = 0.0

    def add(self, other: Measure) -> None:
        self.seconds += other.seconds
        self.cpu += other.cpu
        self.peak_mib = max(self.peak_mib, other.peak_mib)


# -- seeding ---------------------------------------------------------------------------------


def _value(question: Question, rng: random.Random, n: int) -> Any:
    """A plausible answer to a question, of the type the engine stores."""
    choices = [c.code for c in choices_for(question, {})]
    match question.type:
        case QType.CHOICE | QType.YES_NO | QType.RATING:
            return (
                rng.choice(choices)
                if question.type is not QType.RATING
                else int(rng.choice(choices))
            )
        case QType.MULTI_CHOICE:
            return rng.sample(choices, k=min(len(choices), rng.randint(1, 3)))
        case QType.DB_CHOICE:
            return rng.choice((f"GRF-{COUNTRIES[n % 22].code}-1", "other"))
        case QType.INTEGER:
            return rng.randint(-50, 5000)
        case QType.YEAR:
            return rng.randint(2014, 2026)
        case QType.DECIMAL:
            return f"{rng.uniform(-10, 100):.2f}"
        case QType.DATE:
            return (CLOCK - timedelta(days=rng.randint(0, 900))).date().isoformat()
        case QType.EMAIL:
            return f"focal{n % 97}@mofa.example"
        case QType.URL:
            return f"https://gov.example/doc/{n % 1000}"
        case QType.FILE:
            return {
                "ref": f"BQAC-{n}",
                "name": "تقرير.pdf",
                "mime": "application/pdf",
                "size": 4821,
            }
    return rng.choice(TEXTS)


def _questions(flow: Flow) -> list[tuple[Question, int | None]]:
    """The questions one submission answers, repeated sections twice (items 1 and 2)."""
    asked: list[tuple[Question, int | None]] = []
    for question in flow.questions:
        if question.type is not QType.SECTION:
            asked.append((question, None))
        elif not question.repeat:
            asked.extend((inner, None) for inner in question.questions)
        else:
            asked.extend((inner, item) for item in (1, 2) for inner in question.questions)
    return asked


def _rows(flows: Sequence[Flow], answers: int) -> Iterator[tuple[str, tuple[Any, ...]]]:
    """("submission" | "answer", row), the same on every database (seeded generator)."""
    rng = random.Random(17)
    submission_id = answer_id = 0
    for flow in flows:
        asked = _questions(flow)
        per_flow = answers // len(flows)
        for n in range((per_flow + len(asked) - 1) // len(asked)):
            submission_id += 1
            country = COUNTRIES[n % 22].code
            person = 1 + (n % 22) * 2 + n % 2
            at = CLOCK + timedelta(minutes=submission_id)
            channel = ("telegram", "whatsapp", "console")[n % 3]
            yield "submission", (
                submission_id, country, flow.id, flow.version, None, "open",
                n // 22 + 1, False, person, channel, at,
            )  # fmt: skip
            for question, item in asked:
                answer_id += 1
                value = _value(question, rng, n)
                raw = value if isinstance(value, str) else jsondata.dumps(value)
                language = ("ar", "fr", "en")[n % 3]
                yield "answer", (
                    answer_id, submission_id, question.id, item, value, raw, language,
                    person, channel, at - timedelta(seconds=30),
                )  # fmt: skip


SUBMISSION_COLUMNS = (
    "id, country_code, flow_id, flow_version, campaign_id, scope, version, is_current, "
    "person_id, channel, submitted_at"
)
ANSWER_COLUMNS = (
    "id, submission_id, question_id, item, value, raw_text, language, person_id, channel, "
    "answered_at"
)


def _seed_reference(app: App) -> None:
    """Two focal points and one registered pledge per state (titles for the labels)."""
    with Session(app.engine) as session, session.begin():
        session.execute(
            sa.insert(Person),
            [
                {
                    "id": 1 + i * 2 + k,
                    "name": ("أحمد عبد الله", "Youssef Benali")[k] + f" {c.code}",
                    "country_code": c.code,
                    "created_at": CLOCK,
                }
                for i, c in enumerate(COUNTRIES)
                for k in (0, 1)
            ],
        )
        session.execute(
            sa.insert(Pledge),
            [
                {
                    "country_code": c.code,
                    "reference": f"GRF-{c.code}-1",
                    "title": "دمج الأطفال اللاجئين في المدارس الوطنية",
                    "forum": "grf_2023",
                }
                for c in COUNTRIES
            ],
        )


def _sqlite_cell(value: Any) -> Any:
    """What SQLAlchemy would store in SQLite: JSON as text, times as naive UTC text."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


def _seed_sqlite(app: App, rows: Iterator[tuple[str, tuple[Any, ...]]]) -> None:
    statements = {
        "submission": f"INSERT INTO submission ({SUBMISSION_COLUMNS}) VALUES ({'?,' * 10}?)",
        "answer": f"INSERT INTO answer ({ANSWER_COLUMNS}) VALUES ({'?,' * 9}?)",
    }
    raw = app.engine.raw_connection()
    try:
        cursor = raw.cursor()
        for table, batch in _batches(rows):
            if table == "answer":
                batch = [(*r[:4], jsondata.dumps(r[4]), *r[5:]) for r in batch]
            cursor.executemany(statements[table], [tuple(map(_sqlite_cell, r)) for r in batch])
        raw.commit()
    finally:
        raw.close()


def _seed_postgresql(app: App, rows: Iterator[tuple[str, tuple[Any, ...]]]) -> None:
    raw = app.engine.raw_connection()
    try:
        cursor = raw.cursor()
        for table, batch in _batches(rows):
            columns = SUBMISSION_COLUMNS if table == "submission" else ANSWER_COLUMNS
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for row in batch:
                    if table == "answer":
                        row = (*row[:4], jsondata.dumps(row[4]), *row[5:])
                    copy.write_row(row)
        raw.commit()
    finally:
        raw.close()


def _batches(
    rows: Iterator[tuple[str, tuple[Any, ...]]],
) -> Iterator[tuple[str, list[tuple[Any, ...]]]]:
    """Rows grouped by table, CHUNK at a time; a submission before its answers."""
    pending: dict[str, list[tuple[Any, ...]]] = {"submission": [], "answer": []}
    for table, row in rows:
        pending[table].append(row)
        if len(pending["answer"]) >= CHUNK:
            yield from _drain(pending)
    yield from _drain(pending)


def _drain(pending: dict[str, list[tuple[Any, ...]]]) -> Iterator[tuple[str, list[Any]]]:
    for table in ("submission", "answer"):
        if pending[table]:
            yield table, pending[table]
            pending[table] = []


def seed(app: App, answers: int) -> None:
    """Reference data, then the submissions and answers, then statistics for the planner."""
    _seed_reference(app)
    flows = [app.flows[name] for name in sorted(app.flows)]
    rows = _rows(flows, answers)
    if app.engine.dialect.name == "sqlite":
        _seed_sqlite(app, rows)
    else:
        _seed_postgresql(app, rows)
    with app.engine.begin() as connection:
        # The newest version of each state's answer is the current one, as the bot leaves it.
        connection.exec_driver_sql(
            "UPDATE submission SET is_current = true WHERE id IN (SELECT max(id) FROM"
            " submission GROUP BY country_code, flow_id, scope)"
        )
        connection.exec_driver_sql("ANALYZE")


# -- measuring -------------------------------------------------------------------------------


def _child(command: Sequence[str], out: Path | None, env: dict[str, str]) -> tuple[Measure, str]:
    """Run a command (stdout to `out`); what it cost, and its stderr.

    Through GNU time: Linux keeps a process's peak RSS across fork and exec, so a child
    of this (large) process would read as large as the bench; time's child starts fresh.
    """
    with tempfile.TemporaryDirectory() as folder:
        usage_file = Path(folder) / "usage"
        timed = ["/usr/bin/time", "-f", "%M %U %S", "-o", str(usage_file), *command]
        with open(out or os.devnull, "wb") as sink:
            started = time.perf_counter()
            done = subprocess.run(timed, stdout=sink, stderr=subprocess.PIPE, env=env)
            seconds = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed: {done.stderr.decode()}")
        peak_kib, user, system = usage_file.read_text().split()[-3:]
    measure = Measure(seconds, float(user) + float(system), int(peak_kib) / 1024)
    return measure, done.stderr.decode()


def _export_command(flow: str, layout: str, out: Path) -> list[str]:
    """`bot.py export` of a flow to the file `out`, or of all (`--flow all`) into the
    folder `out` (`<flow>-<layout>.csv`)."""
    return [
        sys.executable, str(ROOT / "bot.py"), "export", "--flow", flow, "--layout", layout,
        "--labels", LABELS, "--all-versions", "--out", str(out),
    ]  # fmt: skip


def _dump_query(flow: str, layout: str, postgresql: bool) -> str:
    """The same rows as the export, straight from the database, in the same order."""
    where = f"s.flow_id = '{flow}'"
    if layout == "long":
        return (
            "SELECT s.country_code, c.name_ar, s.id, s.version, s.submitted_at, p.name,"
            " a.channel, a.question_id, a.item, a.value, a.raw_text, a.language, a.answered_at"
            " FROM submission s JOIN answer a ON a.submission_id = s.id"
            " JOIN country c ON c.code = s.country_code JOIN person p ON p.id = a.person_id"
            f" WHERE {where} ORDER BY s.country_code, s.version, s.id, a.id"
        )
    answers = (
        "string_agg(a.value::text, '|' ORDER BY a.id)"
        if postgresql
        else "group_concat(a.value, '|')"
    )
    return (
        "SELECT s.country_code, c.name_ar, p.name, s.channel, s.submitted_at, s.version,"
        f" s.campaign_id, {answers}"
        " FROM submission s JOIN answer a ON a.submission_id = s.id"
        " JOIN country c ON c.code = s.country_code JOIN person p ON p.id = s.person_id"
        f" WHERE {where} GROUP BY s.id, c.name_ar, p.name"
        " ORDER BY s.country_code, s.version, s.id"
    )


def _dump_command(url: str, flow: str, layout: str, out: Path) -> tuple[list[str], Path | None]:
    """`sqlite3 -csv` to stdout, or `psql \\copy` to the file; the command and its stdout."""
    if url.startswith("sqlite"):
        query = _dump_query(flow, layout, postgresql=False)
        return ["sqlite3", "-csv", "-header", url.removeprefix("sqlite:///"), query], out
    query = _dump_query(flow, layout, postgresql=True)
    libpq = "postgresql://" + url.split("://", 1)[1]
    copy = f"\\copy ({query}) TO '{out}' WITH (FORMAT csv, HEADER)"
    return ["psql", libpq, "-X", "-q", "-c", copy], None


@dataclass
class Run:
    """One layout on one database."""

    database: str
    layout: str
    rows: int
    export: Measure
    dump: Measure
    startup: Measure
    hashes: dict[str, str]
    processes: int
    """`bot.py export` processes: one (`--flow all`) unless only some flows were asked."""

    def report(self) -> str:
        processes = self.processes
        export, dump, startup = self.export, self.dump, self.startup
        bare = max(export.seconds - processes * startup.seconds, 0.0) / dump.seconds
        dump_cpu = max(dump.cpu, 0.01)  # time counts in hundredths: a tiny dump reads 0
        bare_cpu = max(export.cpu - processes * startup.cpu, 0.0) / dump_cpu
        name = "sqlite3 -csv" if self.database == "sqlite" else "psql \\copy"
        return (
            f"{self.database:<11} {self.layout:<4} rows={self.rows:,}\n"
            f"  export       {export.seconds:6.2f} s  cpu {export.cpu:6.2f} s  "
            f"peak RSS {export.peak_mib:.0f} MiB ({processes} processes)\n"
            f"  {name:<12} {dump.seconds:6.2f} s  cpu {dump.cpu:6.2f} s  "
            f"peak RSS {dump.peak_mib:.0f} MiB\n"
            f"  startup      {startup.seconds:6.2f} s  cpu {startup.cpu:6.2f} s  (each process)\n"
            f"  ratio {export.seconds / dump.seconds:.2f} (cpu {export.cpu / dump_cpu:.2f}); "
            f"without startup {bare:.2f} (cpu {bare_cpu:.2f})"
        )


def run(database: str, url: str, answers: int, folder: Path, only: Sequence[str] = ()) -> list[Run]:
    """Seed, then export every flow (or only those named) in each layout beside the dump."""
    settings = Settings(
        _env_file=None, data_dir=folder / "data", database_url=url, log_level="WARNING"
    )
    app = build_app(settings)
    started = time.perf_counter()
    seed(app, answers)
    print(f"{database:<11} seeded {answers:,} answers in {time.perf_counter() - started:.1f} s")
    flows = [name for name in sorted(app.flows) if not only or name in only]
    app.engine.dispose()
    env = {**os.environ, "DATABASE_URL": url, "DATA_DIR": str(folder / "data")}
    env["LOG_LEVEL"] = "WARNING"
    empty = folder / "empty.csv"
    startup, _ = _child([*_export_command(flows[0], "long", empty), "--campaign", "0"], None, env)
    results = []
    # Every flow in one `export --flow all` process, as the secretariat runs it before a
    # meeting; a flow at a time when only some are asked for.
    groups = [["all"]] if not only else [[flow] for flow in flows]
    for layout in LAYOUTS:
        export, dump, hashes, rows = Measure(), Measure(), {}, 0
        for group in groups:
            out = folder / f"{database}-{layout}"
            out.mkdir(exist_ok=True)
            target = out if group == ["all"] else out / f"{group[0]}-{layout}.csv"
            command = _export_command(group[0], layout, target)
            measure, said = _child(command, None, env)
            export.add(measure)
            rows += sum(int(line.split()[0]) for line in said.splitlines() if " rows " in line)
        for flow in flows:
            written = out / f"{flow}-{layout}.csv"
            hashes[flow] = hashlib.sha256(written.read_bytes()).hexdigest()
            written.unlink()
            command, stdout = _dump_command(url, flow, layout, folder / f"dump-{flow}.csv")
            dump.add(_child(command, stdout, env)[0])
        results.append(Run(database, layout, rows, export, dump, startup, hashes, len(groups)))
        print(results[-1].report(), flush=True)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--answers", type=int, default=1_000_000)
    parser.add_argument("--database", choices=("sqlite", "postgresql", "all"), default="all")
    args = parser.parse_args()
    if shutil.which("sqlite3") is None:
        raise SystemExit("sqlite3 is not installed: apt-get install sqlite3")
    results: list[Run] = []
    if args.database in ("sqlite", "all"):
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{folder}/bench.db"
            results += run("sqlite", url, args.answers, Path(folder))
    if args.database in ("postgresql", "all"):
        pg = os.environ.get("TEST_DATABASE_URL")
        if not pg:
            print("postgresql  skipped: TEST_DATABASE_URL is not set")
        else:
            with (
                scratch_schema(normalize_database_url(pg)) as url,
                tempfile.TemporaryDirectory() as folder,
            ):
                results += run("postgresql", url, args.answers, Path(folder))
    return _compare(results)


def _compare(results: list[Run]) -> int:
    """Exit 1 when the two databases gave different bytes for the same export."""
    by_layout: dict[str, list[Run]] = {}
    for result in results:
        by_layout.setdefault(result.layout, []).append(result)
    status = 0
    for layout, runs in by_layout.items():
        if len(runs) < 2:
            continue
        same = runs[0].hashes == runs[1].hashes
        print(f"{layout:<4} output identical on sqlite and postgresql: {'yes' if same else 'NO'}")
        status |= 0 if same else 1
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"bench peak RSS (this process, seeding): {peak:.0f} MiB")
    return status


if __name__ == "__main__":
    sys.exit(main())
