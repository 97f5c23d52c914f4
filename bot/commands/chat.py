"""`run` and `chat`: serving in local mode and talking to the bot in this terminal."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import threading
from typing import TextIO

from sqlmodel import Session

from bot.app import App
from bot.channels import console
from bot.channels.registry import configured_channels
from bot.channels.web.adapter import WebAdapter
from bot.commands.common import LANGUAGES, CliError, require_flow, safe_url
from bot.runtime import ChannelAdapter, Runtime, RuntimeThread
from bot.scheduler import start_scheduler
from bot.web import accounts
from storage import queries
from storage.countries import BY_CODE
from storage.demo import load_demo
from storage.models import Person, StaffAccount

LOCAL_BANNER = """\
Nuqta is running in local mode.
  database : {database}
  flows    : {flows}
  channels : web chat and console (no TELEGRAM_BOT_TOKEN or TWILIO_ACCOUNT_SID set)
  campaigns: invitations and reminders checked every {tick} s
  workspace: {workspace}
{account}
Open the secretariat's workspace at {workspace} and sign in as above.
Talk to the bot as a focal point in the browser: {workspace}/chat (choose Jordan's)
                          or in a terminal:      python bot.py chat --country JO [--lang ar|en|fr]
Connect Telegram:  set TELEGRAM_BOT_TOKEN (from @BotFather) in .env, then run again.
Connect WhatsApp:  set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_WHATSAPP_FROM and
                   PUBLIC_URL in .env, then run again.
"""


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `run` and `chat`."""
    run = commands.add_parser("run", help="start Nuqta (local mode without channel tokens)")
    run.set_defaults(run=_run)

    chat = commands.add_parser("chat", help="talk to the bot in this terminal")
    who = chat.add_mutually_exclusive_group(required=True)
    who.add_argument("--country", type=str.upper, choices=sorted(BY_CODE), help="ISO code")
    who.add_argument("--person", type=int, help="a person's id")
    chat.add_argument("--lang", choices=LANGUAGES)
    chat.add_argument("--flow", help="open this flow straight away")
    chat.set_defaults(run=_chat)


SERVING_BANNER = """\
Nuqta is running.
  database : {database}
  flows    : {flows}
  channels : {channels}
  web      : listening on {host}:{port}
  workspace: {workspace} (accounts: python bot.py staff add --email E --name N)
  campaigns: invitations and reminders checked every {tick} s
"""


def _run(args: argparse.Namespace, app: App, stdin: TextIO, stdout: TextIO) -> int:
    adapters = configured_channels(app)
    if adapters:
        return _serve(app, [*adapters, WebAdapter(app)], stdout)
    with Session(app.engine) as session, session.begin():
        load_demo(session, flows=app.flows, now=app.clock())
    demo = accounts.ensure_demo(app.engine, now=app.clock())
    web = _start_web(app)
    banner = LOCAL_BANNER.format(
        database=safe_url(app),
        flows=", ".join(app.flows),
        tick=app.settings.tick_seconds,
        workspace=app.settings.workspace_url,
        account=_demo_line(demo),
    )
    stdout.write(banner)
    scheduler = start_scheduler(app)
    try:
        if stdin.isatty():
            stdout.write("\nStarting a console chat as the demo focal point of Jordan...\n\n")
            return _converse(app, _focal_point(app, "JO", None), None, stdin, stdout)
        stdout.write("\nRunning until stopped (Ctrl+C or SIGTERM).\n")
        stdout.flush()
        _wait_for_stop()
    finally:
        scheduler.shutdown()
        web.stop()
    return 0


def _start_web(app: App) -> RuntimeThread:
    """Local mode's runtime (the web server, and the web chat's channel), in a thread of its
    own (the console chat has this one)."""
    settings = app.settings
    runtime = Runtime(app, [WebAdapter(app)])
    try:
        return RuntimeThread(runtime, settings.web_host, settings.web_port).start()
    except OSError as error:
        raise CliError(
            f"the web workspace cannot listen on {settings.web_host}:{settings.web_port} "
            f"({os.strerror(error.errno) if error.errno else error}); set WEB_PORT to a free port"
        ) from None


def _demo_line(demo: accounts.NewPassword | StaffAccount) -> str:
    """How to sign in with local mode's demo account: banner lines."""
    if isinstance(demo, accounts.NewPassword):
        return (
            f"  sign in  : {demo.account.email}\n"
            f"  password : {demo.password} (one-time: you choose your own at first sign-in)\n"
        )
    if demo.disabled:
        return (
            f"  sign in  : {demo.email} is disabled; add an account with\n"
            "             python bot.py staff add --email E --name N\n"
        )
    return (
        f"  sign in  : {demo.email}\n"
        f"  password : the one you chose (forgotten? python bot.py staff reset --email "
        f"{demo.email})\n"
    )


def _serve(app: App, adapters: list[ChannelAdapter], stdout: TextIO) -> int:
    """Serve the configured channels until SIGINT or SIGTERM."""
    settings = app.settings
    stdout.write(
        SERVING_BANNER.format(
            database=safe_url(app),
            flows=", ".join(app.flows),
            channels=", ".join(adapter.name for adapter in adapters),
            host=settings.web_host,
            port=settings.web_port,
            tick=settings.tick_seconds,
            workspace=settings.workspace_url,
        )
    )
    for adapter in adapters:
        for line in getattr(adapter, "banner", ()):
            stdout.write(f"  {line}\n")
    stdout.flush()
    scheduler = start_scheduler(app)
    try:
        asyncio.run(_serve_until_stopped(Runtime(app, adapters)))
    finally:
        scheduler.shutdown()
    return 0


async def _serve_until_stopped(runtime: Runtime) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    settings = runtime.app.settings
    await runtime.serve(stop, host=settings.web_host, port=settings.web_port)


def _wait_for_stop() -> None:
    """Block until SIGINT or SIGTERM, then return so everything shuts down in order."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    stop.wait()


def _chat(args: argparse.Namespace, app: App, stdin: TextIO, stdout: TextIO) -> int:
    person = _focal_point(app, args.country, args.person)
    if args.lang:
        with Session(app.engine) as session, session.begin():
            stored = session.get(Person, person.id)
            assert stored is not None
            stored.language = args.lang
    return _converse(app, person, args.flow, stdin, stdout)


def _converse(app: App, person: Person, flow_id: str | None, stdin: TextIO, stdout: TextIO) -> int:
    if flow_id is not None:
        require_flow(app, flow_id)
    session_chat = console.ConsoleChat(app, person, stdout)
    if flow_id is None:
        session_chat.say(console.Inbound(command="resume"))
    else:
        app.chat.start_flow(channel=console.CHANNEL, address=session_chat.address, flow_id=flow_id)
        session_chat.deliver()
    prompt = "> " if stdin.isatty() else ""
    stdout.write(prompt)
    session_chat.run(stdin, prompt)
    return 0


def _focal_point(app: App, country: str | None, person_id: int | None) -> Person:
    """The person to chat as, bound to the console; a state without one gets one."""
    with Session(app.engine, expire_on_commit=False) as session, session.begin():
        if person_id is not None:
            person = session.get(Person, person_id)
            if person is None:
                raise CliError(f"no person with id {person_id}")
        else:
            assert country is not None
            person = queries.primary_focal_point(session, country_code=country)
            if person is None:
                name = f"{BY_CODE[country].name_ar} — نقطة الاتصال"
                person = queries.create_person(
                    session,
                    name=name,
                    country_code=country,
                    language=app.settings.default_language,
                )
        queries.bind_identity(
            session, person=person, channel=console.CHANNEL, address=console.address_of(person)
        )
        return person
