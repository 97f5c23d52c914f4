"""The spool: what was received stays on disk until its turn, and a dead process's is taken over."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.spool import ADOPTED, SEGMENT_RECORDS, Envelope, Spool
from flows.messages import FileRef, Inbound

AT = datetime(2026, 6, 20, 9, 0, tzinfo=UTC)


def _message(n: int) -> Envelope:
    return Envelope("telegram", "5001", str(n), Inbound(text=f"رسالة {n}"), received_at=AT)


def _waiting(root: Path) -> list[Envelope]:
    """What a process starting now finds waiting."""
    heir = Spool(root)
    try:
        return [spooled.envelope for spooled in heir.waiting()]
    finally:
        heir.close()


def _die(spool: Spool) -> None:
    """What kill -9 leaves: the folder as it is, its files and lock let go."""
    assert spool._lock is not None and spool._file is not None
    spool._file.close()
    spool._lock.close()


def test_messages_come_back_whole_and_in_order_after_their_process_died(tmp_path: Path) -> None:
    dead = Spool(tmp_path)
    tap = Inbound(tap=(42, "!skip"))
    tapped = Envelope("telegram", "5001", "t", tap, received_at=AT, extra={"chat_id": 5001})
    file = Inbound(file=FileRef("ref", "a.pdf", "x", 3))
    with_file = Envelope("whatsapp", "w", "f", file, received_at=AT, code="join-code")
    dead.keep_all([_message(1), tapped])
    dead.keep(with_file)
    _die(dead)

    heir = Spool(tmp_path)
    waiting = [spooled.envelope for spooled in heir.waiting()]
    assert waiting == [_message(1), tapped, with_file]
    assert heir.dead == {dead.folder.name}
    assert (heir.folder / ADOPTED).read_text() == dead.folder.name
    assert not dead.folder.exists()
    heir.close()


def test_a_line_cut_short_by_a_crash_is_skipped(tmp_path: Path) -> None:
    dead = Spool(tmp_path)
    (kept,) = dead.keep_all([_message(1)])
    with kept.segment.open("ab") as segment:
        segment.write(b'{"channel":"telegram","addr')  # never acknowledged: no fsync returned
    _die(dead)
    assert _waiting(tmp_path) == [_message(1)]


def test_a_segment_goes_once_all_its_messages_had_their_turn(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    first = spool.keep_all([_message(n) for n in range(SEGMENT_RECORDS)])
    later = spool.keep(_message(SEGMENT_RECORDS))  # begins the next segment
    assert later.segment != first[0].segment
    for spooled in first[:-1]:
        spool.done(spooled)
    assert first[0].segment.exists()
    spool.done(first[-1])
    assert not first[0].segment.exists()
    spool.done(later)
    spool.close()
    assert not spool.folder.exists()  # nothing waits: the folder goes with the process


def test_what_waits_at_a_clean_stop_is_left_for_the_next_start(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    spool.keep(_message(1))
    spool.close()
    assert _waiting(tmp_path) == [_message(1)]
