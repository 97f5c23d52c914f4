"""Where files uploaded in the web chat are kept: `<files_dir>/web/<random folder>/<name>`.

The stored answer keeps the file's full path as its reference, as the console and WhatsApp
do, so the file on disk is found from the answer alone.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

from flows.messages import FileRef

_UNSAFE = re.compile(r"[^\w.\- ]+", re.UNICODE)


def safe_name(name: str) -> str:
    """A file name reduced to safe characters (no folders, no dots at the ends)."""
    return _UNSAFE.sub("_", Path(name).name).strip(" .")[:120] or "file"


def keep(files_dir: Path, name: str, mime: str, data: bytes) -> FileRef:
    """Write an uploaded file under a folder of its own; the answer's reference to it."""
    safe = safe_name(name)
    path = files_dir / "web" / secrets.token_hex(8) / safe
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return FileRef(str(path.resolve()), safe, mime or "application/octet-stream", len(data))
