"""The campaign clock: APScheduler calls `handlers.campaigns.tick` at a fixed interval.

The SQL tables are the source of truth (every message it queues has an idempotency key),
so the scheduler holds no state of its own and may stop, restart or run twice at will.
"""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler

from bot.app import App
from handlers.campaigns import tick

log = logging.getLogger(__name__)


def run_tick(app: App) -> None:
    """One tick of the campaign clock, logged; an error is logged and the next tick retries."""
    try:
        report = tick(app.engine, app.flows, app.clock(), send=True, calendar=app.calendar)
    except Exception:
        log.exception("campaign clock tick failed; the next tick tries again")
        return
    log.info(
        "campaign clock: %d invitation(s), %d reminder(s), %d digest(s) queued",
        len(report.invitations),
        len(report.reminders),
        len(report.digests),
    )


def start_scheduler(app: App) -> BackgroundScheduler:
    """Start ticking now and every `tick_seconds`; late ticks are merged, never stacked."""
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_job(
        run_tick,
        "interval",
        args=[app],
        seconds=app.settings.tick_seconds,
        id="campaign-clock",
        max_instances=1,
        coalesce=True,
        next_run_time=app.clock(),
    )
    scheduler.start()
    return scheduler
