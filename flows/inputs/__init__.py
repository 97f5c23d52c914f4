"""Parsers that turn what a focal point typed into an answer value, or None to re-prompt."""
