"""`broadcast` and `outbox`: one message to many focal points, and every outgoing message."""

from __future__ import annotations

import argparse
from collections import Counter
from typing import Any, TextIO

from sqlmodel import Session, col, select

from bot.app import App
from bot.commands.common import LANGUAGES, parse_codes, parse_when
from handlers import broadcasts as broadcast_handlers
from storage.models import Outbox, OutboxStatus


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `broadcast` (send, show) and `outbox`."""
    broadcast = commands.add_parser("broadcast", help="a message to many focal points")
    steps = broadcast.add_subparsers(dest="action", required=True)
    send = steps.add_parser("send", help="preview, confirm, then queue a broadcast")
    for language in LANGUAGES:
        send.add_argument(
            f"--text-{language}",
            required=language == "ar",
            help="required" if language == "ar" else "default: the Arabic text",
        )
    send.add_argument("--countries", type=parse_codes, default=[], help="e.g. JO,EG (default: all)")
    send.add_argument("--roles", type=parse_codes, default=[], help="default: primary,alternate")
    send.add_argument("--channels", type=parse_codes, default=[], help="e.g. telegram,whatsapp")
    send.add_argument("--at", type=parse_when, help="send at this time (default: now)")
    send.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    send.add_argument(
        "--wait",
        type=float,
        default=30.0,
        help="follow delivery until nothing moved for this many seconds",
    )
    show_broadcast = steps.add_parser("show", help="how a broadcast's delivery stands")
    show_broadcast.add_argument("id", type=int)
    broadcast.set_defaults(run=_broadcast)

    messages = commands.add_parser("outbox", help="outgoing messages and their state")
    messages.add_argument("--status", choices=[s.value for s in OutboxStatus])
    messages.add_argument("--limit", type=int, default=50)
    messages.set_defaults(run=_outbox)


def _broadcast(args: argparse.Namespace, app: App, stdin: TextIO, stdout: TextIO) -> int:
    if args.action == "show":
        _delivery_report(broadcast_handlers.delivery(app.engine, args.id), stdout)
        return 0
    audience = {
        "countries": [c.upper() for c in args.countries],
        "roles": args.roles,
        "channels": args.channels,
    }
    _announce_reach(app, audience, stdout)
    if not args.yes and not _confirmed(stdin, stdout):
        stdout.write("Not sent.\n")
        return 1
    text = {lang: getattr(args, f"text_{lang}") for lang in LANGUAGES}
    now = app.clock()
    broadcast_id, sent = broadcast_handlers.send(
        app.engine,
        text={k: v for k, v in text.items() if v},
        audience=audience,
        send_at=args.at or now,
        now=now,
    )
    stdout.write(f"Broadcast #{broadcast_id} queued for {_people(sent.reachable)}.\n")
    _follow(app, broadcast_id, sent.reachable, args.wait, stdout)
    return 0


def _announce_reach(app: App, audience: dict[str, Any], stdout: TextIO) -> None:
    """Who the broadcast would reach, by channel, and who has no channel yet."""
    preview = broadcast_handlers.preview(app.engine, audience)
    channels = ", ".join(f"{name} {n}" for name, n in sorted(preview.by_channel.items()))
    reach = _people(preview.reachable)
    stdout.write(f"This broadcast will reach {reach} ({channels or 'none'}).\n")
    if preview.unreachable:
        names = ", ".join(p.name for p in preview.unreachable)
        stdout.write(f"Not reachable yet (no channel): {names}\n")


def _follow(app: App, broadcast_id: int, total: int, wait: float, stdout: TextIO) -> None:
    """Show delivery progress until nothing moved for `wait` seconds, then the report."""
    report: dict[str, Counter[str]] = {}
    for report in broadcast_handlers.watch(app.engine, broadcast_id, idle_seconds=wait):
        stdout.write("\r" + _progress(report, total))
        stdout.flush()
    stdout.write("\n")
    _delivery_report(report, stdout)
    waiting = sum(sum(report.get(s, Counter()).values()) for s in broadcast_handlers.PENDING)
    if waiting:
        stdout.write(
            f"{_people(waiting)} still to send: the bot sends them while "
            f"`python bot.py run` is running (`broadcast show {broadcast_id}`).\n"
        )


def _progress(report: dict[str, Counter[str]], total: int, width: int = 30) -> str:
    """A one-line bar: how many were handed to their channel, failed or held."""
    done = {status: sum(errors.values()) for status, errors in report.items()}
    sent = sum(done.get(s, 0) for s in ("sent", "delivered", "read"))
    filled = width * sent // max(total, 1)
    return (
        f"[{'#' * filled}{'-' * (width - filled)}] {sent}/{total} sent"
        f" · {done.get('failed', 0)} failed · {done.get('held', 0)} held"
    )


def _delivery_report(report: dict[str, Counter[str]], stdout: TextIO) -> None:
    for status, errors in sorted(report.items()):
        detail = "; ".join(f"{n} × {e}" for e, n in errors.most_common() if e)
        stdout.write(f"{status:<10} {sum(errors.values()):>5}  {detail}".rstrip() + "\n")


def _people(count: int) -> str:
    return "1 person" if count == 1 else f"{count} people"


def _confirmed(stdin: TextIO, stdout: TextIO) -> bool:
    stdout.write("Send it? [y/N] ")
    stdout.flush()
    return stdin.readline().strip().lower() in {"y", "yes", "نعم", "oui"}


def _outbox(args: argparse.Namespace, app: App, stdin: TextIO, stdout: TextIO) -> int:
    with Session(app.engine) as session:
        query = select(Outbox).order_by(col(Outbox.id).desc()).limit(args.limit)
        if args.status:
            query = query.where(Outbox.status == args.status)
        for row in session.exec(query):
            text = row.payload.get("text", "").replace("\n", " ")[:60]
            error = f"  [{row.last_error}]" if row.last_error else ""
            stdout.write(
                f"#{row.id:<6} {row.status:<9} {row.kind:<10} {row.channel}:{row.address}"
                f"  tries {row.attempts}  {text}{error}\n"
            )
    return 0
