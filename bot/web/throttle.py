"""How long a sign-in must wait after failures: per account and per address, doubling.

Pure: it reads the counts `storage.staff.failures` gives. A few failures are free (a typo);
after them each further failure doubles the wait before the next try, up to a cap. A try
made too early is refused without checking the password, and is not counted, so it does
not push the real owner's wait further out.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from storage.staff import Failures

WINDOW = timedelta(minutes=15)
"""Failures older than this no longer count."""
KEEP = timedelta(days=1)
"""Failures are deleted after this."""
FREE_PER_ACCOUNT = 3
FREE_PER_ADDRESS = 10
"""An address may be an office behind one gateway: it gets more free tries than an account."""
FIRST_DELAY = 2.0
MAX_DELAY = 15 * 60.0


def delay_after(count: int, free: int) -> float:
    """Seconds to wait after the latest of `count` recent failures."""
    if count <= free:
        return 0.0
    return min(FIRST_DELAY * 2 ** (count - free - 1), MAX_DELAY)


def wait_seconds(failures: Failures, now: datetime) -> float:
    """How long before the next try is allowed (0: now)."""
    waits = [0.0]
    for count, last, free in (
        (failures.email_count, failures.email_last, FREE_PER_ACCOUNT),
        (failures.address_count, failures.address_last, FREE_PER_ADDRESS),
    ):
        if last is not None:
            allowed = last + timedelta(seconds=delay_after(count, free))
            waits.append((allowed - now).total_seconds())
    return max(waits)
