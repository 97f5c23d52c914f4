"""The command line, run as a person runs it: `python bot.py ...` in real processes."""

from __future__ import annotations

import argparse
import csv
import io
import os
import pty
import re
import shutil
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import openpyxl
import pytest

from bot.cli import COMMANDS, _parser, main
from bot.config import Settings
from flows.loader import FLOWS_DIR
from tests.processes import ROOT, free_port, read_until, serving


def _env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "DATA_DIR": str(settings.data_dir),
        "DATABASE_URL": settings.database,
        "FLOWS_DIR": str(settings.flows_dir),
        "LOG_LEVEL": "WARNING",
    }


def _bot(
    settings: Settings, *args: str, stdin: str = "", log_level: str = "WARNING"
) -> subprocess.CompletedProcess[str]:
    """Run `python bot.py ARGS` in a new process on the test database."""
    return subprocess.run(
        [sys.executable, "bot.py", *args],
        cwd=ROOT,
        env={**_env(settings), "LOG_LEVEL": log_level},
        input=stdin,
        text=True,
        capture_output=True,
        timeout=120,
        check=False,
    )


def test_flows_check_lists_every_flow(settings: Settings) -> None:
    out = io.StringIO()
    assert main(["flows", "check"], settings=settings, stdout=out) == 0
    assert "pledge_update.yaml: ok (" in out.getvalue()
    assert "gcm_implementation.yaml: ok (12 questions, version 1)" in out.getvalue()
    assert out.getvalue().splitlines()[6:] == ["calendar.yaml: ok (2 yearly event(s))"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_broken_flow_stops_start_up_with_one_line_naming_file_and_question(
    settings: Settings, tmp_path: Path
) -> None:
    flows = tmp_path / "flows"
    shutil.copytree(FLOWS_DIR, flows, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    broken = (flows / "wrd_statement.yaml").read_text(encoding="utf-8")
    (flows / "wrd_statement.yaml").write_text(
        broken.replace("type: yes_no", "type: radio", 1), encoding="utf-8"
    )
    for command in (["flows", "check"], ["run"]):
        result = _bot(settings.model_copy(update={"flows_dir": flows}), *command)
        assert result.returncode == 2
        assert result.stderr.strip() == (
            "wrd_statement.yaml: question 'will_issue_statement': "
            "unknown question type 'radio' (known: choice, date, db_choice, decimal, email, "
            "file, integer, long_text, multi_choice, rating, section, text, url, year, yes_no)"
        )


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_run_without_tokens_serves_in_local_mode_until_stopped(settings: Settings) -> None:
    port = free_port()
    env = {**_env(settings), "LOG_LEVEL": "INFO", "WEB_PORT": str(port)}
    with serving(env) as bot:
        assert bot.stdout is not None and bot.stderr is not None
        banner = read_until(bot.stdout, "Running until stopped (Ctrl+C or SIGTERM).")
        clock = read_until(bot.stderr, "campaign clock: ")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=10) as health:
            assert health.status == 200
    assert "Nuqta is running in local mode." in banner
    assert "python bot.py chat --country JO" in banner
    assert f"in the browser: http://127.0.0.1:{port}/chat" in banner
    assert "TELEGRAM_BOT_TOKEN" in banner
    assert f"workspace: http://127.0.0.1:{port}\n  sign in  : demo@nuqta.example\n" in banner
    assert "invitation(s)" in clock


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_run_in_a_terminal_opens_the_console_chat_and_serves_the_workspace_beside_it(
    settings: Settings,
) -> None:
    port = free_port()
    terminal, typist = pty.openpty()
    with subprocess.Popen(
        [sys.executable, "bot.py", "run"],
        cwd=ROOT,
        env={**_env(settings), "WEB_PORT": str(port)},
        text=True,
        stdin=typist,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as bot:
        assert bot.stdout is not None
        read_until(bot.stdout, "Starting a console chat as the demo focal point of Jordan")
        greeting = read_until(bot.stdout, "م. ليلى الحسن")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=10) as page:
            assert page.status == 200 and '<html lang="ar" dir="rtl">' in page.read().decode()
        os.write(terminal, b"/quit\n")
        assert bot.wait(timeout=30) == 0
    os.close(terminal)
    os.close(typist)
    assert "مرحباً" in greeting


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_run_says_so_when_the_web_port_is_taken(settings: Settings) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "bot.py", "run"],
            cwd=ROOT,
            env={**_env(settings), "WEB_PORT": str(port)},
            stdin=subprocess.DEVNULL,
            text=True,
            capture_output=True,
            timeout=120,
            check=False,
        )
    assert result.returncode == 2
    assert result.stderr == (
        f"error: the web workspace cannot listen on 127.0.0.1:{port} (Address already in use); "
        "set WEB_PORT to a free port\n"
    )


def test_staff_accounts_are_added_listed_reset_and_disabled(settings: Settings) -> None:
    added = _bot(settings, "staff", "add", "--email", "Amal@League.example", "--name", "أمل")
    assert added.returncode == 0, added.stderr
    password = re.search(r"one-time password: (\S+)", added.stdout)
    assert password and "Sign in at http://127.0.0.1:8080/login" in added.stdout
    again = _bot(settings, "staff", "add", "--email", "amal@league.example", "--name", "x")
    assert (again.returncode, again.stderr) == (
        2,
        "error: an account with the email amal@league.example exists already\n",
    )
    listed = _bot(settings, "staff", "list")
    assert listed.stdout.startswith("amal@league.example\tأمل\tar\tmust change password\t")
    reset = _bot(settings, "staff", "reset", "--email", "AMAL@league.example")
    assert reset.returncode == 0 and password.group(1) not in reset.stdout
    disabled = _bot(settings, "staff", "disable", "--email", "amal@league.example")
    assert disabled.stdout == "Disabled amal@league.example: it can no longer sign in.\n"
    assert "\tdisabled\t" in _bot(settings, "staff", "list").stdout
    missing = _bot(settings, "staff", "disable", "--email", "who@league.example")
    assert missing.stderr == "error: no staff account with the email who@league.example\n"


def test_a_weak_session_secret_stops_start_up_with_one_line(settings: Settings) -> None:
    result = subprocess.run(
        [sys.executable, "bot.py", "staff", "list"],
        cwd=ROOT,
        env={**_env(settings), "SESSION_SECRET": "changeme"},
        text=True,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: SESSION_SECRET: too short (8 characters; 32 at least)")


def test_a_new_process_continues_the_conversation_and_the_export_has_it(
    settings: Settings,
) -> None:
    first = _bot(
        settings,
        "chat",
        "--country",
        "JO",
        "--flow",
        "wrd_statement",
        stdin="نعم\nنص البيان الوطني\n",
    )
    assert first.returncode == 0, first.stderr
    assert first.stdout.count("(1/9)") == 1
    assert "(3/" in first.stdout
    second = _bot(settings, "chat", "--country", "JO", stdin="تخطي\nتخطي\nلا\nنعم\nتخطي\n1\n")
    assert second.returncode == 0, second.stderr
    assert second.stdout.startswith("(3/9) رابط البيان على الإنترنت، إن وُجد.")
    assert "تسلّمت الأمانة العامة ردّ الأردن" in second.stdout
    exported = _bot(settings, "export", "--flow", "wrd_statement", "--labels", "en")
    assert exported.returncode == 0, exported.stderr
    (row,) = csv.DictReader(io.StringIO(exported.stdout.lstrip("\ufeff")))
    assert (row["country_code"], row["will_issue_statement"]) == ("JO", "Yes")
    assert row["statement_text"] == "نص البيان الوطني"


def test_db_upgrade_reports_the_database_without_its_password(settings: Settings) -> None:
    out = io.StringIO()
    assert main(["db", "upgrade"], settings=settings, stdout=out) == 0
    assert out.getvalue().startswith("database is up to date: ")
    assert settings.database_url.split("@")[0].count(":") < 3 or "***" in out.getvalue()


def _create(settings: Settings, *args: str) -> tuple[int, str]:
    """`campaigns create ARGS`: the exit status and what it printed."""
    out = io.StringIO()
    status = main(["campaigns", "create", *args], settings=settings, stdout=out)
    return status, out.getvalue()


def test_a_request_takes_its_deadline_as_the_member_states_write_dates(
    settings: Settings,
) -> None:
    status, out = _create(settings, "--flow", "pledge_update", "--deadline", "20/12/2099")
    assert status == 0
    assert "deadline 2099-12-20T12:00+00:00" in out


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (
            ("--deadline", "01/06/2020"),
            "error: the deadline 2020-06-01 has already passed",
        ),
        (
            ("--deadline", "2099-06-01", "--opens", "2099-07-01"),
            "error: the deadline 2099-06-01 comes before the request opens (2099-07-01)",
        ),
    ],
)
def test_a_request_whose_deadline_leaves_no_time_to_answer_is_refused(
    settings: Settings, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], error: str
) -> None:
    status, out = _create(settings, "--flow", "pledge_update", *args)
    assert (status, out) == (2, "")
    assert capsys.readouterr().err.strip() == error


def test_a_second_open_request_for_the_same_flow_and_state_is_refused(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    first = ("--flow", "pledge_update", "--deadline", "20/12/2099", "--countries", "JO,EG")
    assert _create(settings, *first)[0] == 0
    assert _create(settings, *first[:4], "--countries", "EG")[0] == 2
    assert capsys.readouterr().err.strip() == (
        "error: #1 already asks the same states for pledge_update (deadline 2099-12-20):"
        " close it first or choose other states"
    )
    assert _create(settings, *first[:4], "--countries", "MA")[0] == 0
    assert _create(settings, "--flow", "wog_coordination", "--deadline", "20/12/2099")[0] == 0


def test_a_console_chat_shows_the_conversation_and_keeps_log_lines_in_a_file(
    settings: Settings,
) -> None:
    done = _bot(settings, "chat", "--country", "JO", stdin="/quit\n", log_level="INFO")
    assert done.returncode == 0, done.stderr
    assert "مرحباً" in done.stdout
    assert "INFO" not in done.stdout + done.stderr
    assert "Running upgrade" in (settings.data_dir / "nuqta.log").read_text(encoding="utf-8")


def _export_on_a_terminal(settings: Settings, *args: str) -> str:
    """`export ARGS` with standard error on a terminal: what it drew there."""
    terminal, screen = pty.openpty()
    with subprocess.Popen(
        [sys.executable, "bot.py", "export", "--flow", "wrd_statement", *args],
        cwd=ROOT,
        env=_env(settings),
        stdout=subprocess.DEVNULL,
        stderr=screen,
    ) as bot:
        os.close(screen)
        drawn = b""
        while True:
            try:
                piece = os.read(terminal, 4096)
            except OSError:  # the other end closed: the process is done
                break
            if not piece:
                break
            drawn += piece
        assert bot.wait(timeout=120) == 0, drawn
    os.close(terminal)
    return drawn.decode()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_export_draws_its_progress_on_a_terminal_only(settings: Settings, tmp_path: Path) -> None:
    out = tmp_path / "answers.csv"
    drawn = _export_on_a_terminal(settings, "--out", str(out))
    assert re.search(r"\r0 rows written, [\d,]+ rows/s", drawn), drawn
    assert drawn.endswith(f"0 rows written to {out}\r\n")  # the terminal's CRLF
    assert _export_on_a_terminal(settings, "--out", str(out), "--quiet") == ""
    piped = _bot(settings, "export", "--flow", "wrd_statement", "--out", str(out))
    assert piped.stderr == f"0 rows written to {out}\n"  # no progress line in a pipe
    assert out.read_bytes() == b"\xef\xbb\xbf" + _stdout_csv(settings)


def _stdout_csv(settings: Settings) -> bytes:
    """The CSV `export --out -` writes to standard output for a flow with no answers."""
    result = subprocess.run(
        [sys.executable, "bot.py", "export", "--flow", "wrd_statement", "--out", "-"],
        cwd=ROOT,
        env=_env(settings),
        capture_output=True,
        timeout=120,
        check=True,
    )
    assert result.stderr == b""  # standard output is the file: nothing else is said
    assert result.stdout.startswith(b"\xef\xbb\xbfcountry_code,country,person,")
    return result.stdout.removeprefix(b"\xef\xbb\xbf")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_export_writes_xlsx_to_stdout_and_takes_the_old_format_spelling(
    settings: Settings,
) -> None:
    xlsx = subprocess.run(
        [sys.executable, "bot.py", "export", "--flow", "wrd_statement", "--format", "xlsx"],
        cwd=ROOT,
        env=_env(settings),
        capture_output=True,
        timeout=120,
        check=True,
    )
    assert xlsx.stdout.startswith(b"PK")  # a zip: the workbook
    book = openpyxl.load_workbook(io.BytesIO(xlsx.stdout))
    assert book.sheetnames == ["wrd_statement"]
    assert book.active.sheet_view.rightToLeft  # Arabic labels by default
    old = _bot(settings, "export", "--flow", "wrd_statement", "--format", "long", "--quiet")
    new = _bot(settings, "export", "--flow", "wrd_statement", "--layout", "long")
    assert old.stdout == new.stdout
    assert old.stdout.startswith("\ufeffcountry_code,country,submission_id,")
    both = _bot(
        settings, "export", "--flow", "wrd_statement", "--format", "long", "--layout", "wide"
    )
    assert both.returncode == 2
    assert both.stderr == "error: --format long is a layout: it contradicts --layout\n"


def test_every_command_is_found_by_its_name_alone() -> None:
    """`bot.cli` imports only the module of the command given (`COMMANDS`): every command
    the full parser knows must be there, or it would not be found when named."""
    (commands,) = [a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction)]
    assert set(commands.choices) == set(COMMANDS)
    for name, module in COMMANDS.items():
        (alone,) = [a for a in _parser(name)._actions if isinstance(a, argparse._SubParsersAction)]
        assert name in alone.choices, module


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_export_imports_neither_the_channels_nor_alembic_when_the_database_is_current(
    settings: Settings, tmp_path: Path
) -> None:
    """Start-up is most of an export's time: it loads what writing a CSV needs, no more."""
    assert _bot(settings, "db", "upgrade").returncode == 0
    out = tmp_path / "answers.csv"
    export = ["export", "--flow", "wrd_statement", "--quiet", "--out", str(out)]
    timed = subprocess.run(
        [sys.executable, "-X", "importtime", "bot.py", *export],
        cwd=ROOT,
        env=_env(settings),
        text=True,
        capture_output=True,
        timeout=120,
        check=True,
    )
    imported = {line.split("|")[-1].strip() for line in timed.stderr.splitlines()}
    assert {"storage.export", "sqlalchemy"} <= imported
    assert not imported & {"telegram", "aiohttp", "alembic", "xlsxwriter", "handlers.chat"}
    assert out.read_text(encoding="utf-8").startswith("\ufeffcountry_code,")


def test_export_all_writes_one_file_per_flow_and_layout_in_one_process(
    settings: Settings, tmp_path: Path
) -> None:
    """What the secretariat runs before a meeting: every flow, both layouts, one command;
    each file the same bytes as that flow's own export."""
    answered = _bot(
        settings,
        "chat",
        "--country",
        "JO",
        "--flow",
        "wrd_statement",
        stdin="نعم\n=1+1\nتخطي\nتخطي\nلا\nنعم\nتخطي\n1\n",
    )
    assert answered.returncode == 0, answered.stderr
    folder = tmp_path / "meeting"
    everything = ["--flow", "all", "--layout", "both", "--labels", "en", "--out", str(folder)]
    done = _bot(settings, "export", *everything)
    assert done.returncode == 0, done.stderr
    flows = sorted(path.stem for path in FLOWS_DIR.glob("*.yaml") if path.stem != "calendar")
    names = sorted(f"{flow}-{layout}.csv" for flow in flows for layout in ("long", "wide"))
    assert sorted(path.name for path in folder.iterdir()) == names
    assert f"1 rows written to {folder / 'wrd_statement-wide.csv'}\n" in done.stderr
    for name in names:
        flow, layout = name.removesuffix(".csv").rsplit("-", 1)
        alone = io.StringIO(newline="")
        argv = ["export", "--flow", flow, "--layout", layout, "--labels", "en", "--quiet"]
        assert main(argv, settings=settings, stdout=alone) == 0
        assert (folder / name).read_bytes() == alone.getvalue().encode(), name
    wide = (folder / "wrd_statement-wide.csv").read_text(encoding="utf-8-sig")
    assert "'=1+1" in wide  # still safe from formulas


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_export_of_several_files_needs_a_folder(settings: Settings, tmp_path: Path) -> None:
    to_stdout = _bot(settings, "export", "--flow", "all")
    assert to_stdout.returncode == 2
    assert to_stdout.stdout == ""
    assert to_stdout.stderr == (
        "error: --out -: several files (--flow all or --layout both) need a folder: --out FOLDER\n"
    )
    a_file = tmp_path / "answers.csv"
    a_file.write_text("", encoding="utf-8")
    both = _bot(settings, "export", "--flow", "wrd_statement", "--layout", "both",
                "--out", str(a_file))  # fmt: skip
    assert both.returncode == 2
    assert (
        both.stderr == f"error: --out {a_file}: not a folder (several files are written into it)\n"
    )
    xlsx = _bot(settings, "export", "--flow", "wrd_statement", "--layout", "both",
                "--format", "xlsx", "--quiet", "--out", str(tmp_path / "books"))  # fmt: skip
    assert xlsx.returncode == 0, xlsx.stderr
    names = sorted(path.name for path in (tmp_path / "books").iterdir())
    assert names == ["wrd_statement-long.xlsx", "wrd_statement-wide.xlsx"]
