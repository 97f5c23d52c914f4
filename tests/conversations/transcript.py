"""Transcripts: a conversation as a person reads it, used as an executable specification.

A transcript file starts with a header line `# flow: FLOW lang: LANG country: CODE`, then
alternates what the person types (lines beginning with `> `) with what Nuqta answers.
`[file: NAME]` after `> ` attaches a document instead of typing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

HEADER = re.compile(r"^# flow: (?P<flow>\w+) lang: (?P<lang>\w\w) country: (?P<country>[A-Z]{2})$")
FILE_INPUT = re.compile(r"^\[file: (?P<name>.+)\]$")


@dataclass(frozen=True)
class Transcript:
    """The header and the person's inputs of one transcript file."""

    flow: str
    language: str
    country: str
    inputs: tuple[str, ...]

    @classmethod
    def read(cls, path: Path) -> Transcript:
        lines = path.read_text(encoding="utf-8").splitlines()
        header = HEADER.match(lines[0])
        if header is None:
            raise ValueError(f"{path.name}: first line must be '# flow: F lang: L country: C'")
        inputs = tuple(line[2:] for line in lines[1:] if line.startswith("> "))
        return cls(header["flow"], header["lang"], header["country"], inputs)

    def header(self) -> str:
        return f"# flow: {self.flow} lang: {self.language} country: {self.country}"


def render(transcript: Transcript, opening: str, exchanges: list[tuple[str, str]]) -> str:
    """The transcript text for an opening reply and (input, replies) pairs."""
    parts = [transcript.header(), opening]
    for typed, replies in exchanges:
        parts.append(f"> {typed}")
        parts.append(replies)
    return "\n".join(parts).rstrip("\n") + "\n"
