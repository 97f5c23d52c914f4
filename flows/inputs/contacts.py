"""E-mail addresses and web links, checked pragmatically.

The aim is to catch typing slips (a missing @, a space, a sentence instead of an address)
and the punctuation that chat apps drag along, not to implement the RFCs: an address that
looks right is kept as typed, so the secretariat can still read what the person meant.
Arabic (IDN) domain names such as وزارة.مصر are ordinary domains here.
"""

from __future__ import annotations

import re

from flows.inputs.text import clean

# What chat messages put around an address: brackets, quotes, and the sentence's punctuation.
_LEADING = " <([\"'«“‘"
_TRAILING = " >]\"'»”’.,;:!?،؛؟"
_MAILTO = "mailto:"

_LABEL = re.compile(r"[^\W_](?:(?:[^\W_]|-){0,61}[^\W_])?")
_TOP_LEVEL = re.compile(r"[^\W\d_]{2,63}|xn--[a-z0-9-]{1,59}", re.IGNORECASE)
_LOCAL_PART = re.compile(r"[^\s@<>()\[\],;:\"\\]{1,64}")
_SCHEME = re.compile(r"([a-z][a-z0-9+.-]*)://", re.IGNORECASE)
_AUTHORITY = re.compile(r"(?P<host>[^/?#:]+)(?::(?P<port>[0-9]{1,5}))?")
_MAX_DOMAIN_LENGTH = 253
_MAX_EMAIL_LENGTH = 254


def _unwrap(text: str) -> str:
    text = clean(text).lstrip(_LEADING)
    # A closing parenthesis belongs to a link such as .../Nile_(river) when it is balanced,
    # so only unmatched ones are stripped with the trailing punctuation.
    unmatched = text.count(")") - text.count("(")
    end = len(text)
    while end:
        last = text[end - 1]
        if last == ")" and unmatched > 0:
            unmatched -= 1
        elif last not in _TRAILING:
            break
        end -= 1
    return text[:end]


def _is_domain(host: str) -> bool:
    """A dotted host name whose top-level part is alphabetic (so never an IP address)."""
    labels = host.split(".")
    return (
        len(host) <= _MAX_DOMAIN_LENGTH
        and len(labels) >= 2
        and all(_LABEL.fullmatch(label) for label in labels)
        and _TOP_LEVEL.fullmatch(labels[-1]) is not None
    )


def parse_email(text: str) -> str | None:
    """Return the address in "name@ministry.gov.jo", "<...>" or "mailto:...", else None.

    The domain is lower-cased (it is case-insensitive); the part before @ is kept as typed.
    """
    address = _unwrap(text)
    if address[: len(_MAILTO)].casefold() == _MAILTO:
        address = address[len(_MAILTO) :]
    local, at, domain = address.partition("@")
    domain = domain.lower()
    if (
        not at
        or len(address) > _MAX_EMAIL_LENGTH
        or not _LOCAL_PART.fullmatch(local)
        or local.startswith(".")
        or local.endswith(".")
        or ".." in local
        or not _is_domain(domain)
    ):
        return None
    return f"{local}@{domain}"


def parse_url(text: str) -> str | None:
    """Return an http(s) link; "www.x.org/y" or "x.gov.jo" get "https://" put in front.

    Refused: other schemes, spaces, hosts without a dot (localhost, intranet names), IP
    addresses, and "user@host" links, which are far more often e-mail addresses typed into
    the wrong question.
    """
    url = _unwrap(text)
    if not url or any(ch.isspace() for ch in url):
        return None
    scheme_match = _SCHEME.match(url)
    if scheme_match is None:
        scheme, rest = "https", url
    else:
        scheme, rest = scheme_match[1].lower(), url[scheme_match.end() :]
        if scheme not in ("http", "https"):
            return None
    authority_end = next((i for i, ch in enumerate(rest) if ch in "/?#"), len(rest))
    authority, path = rest[:authority_end], rest[authority_end:]
    match = _AUTHORITY.fullmatch(authority)
    if match is None or not _is_domain(match["host"].lower()):
        return None
    if match["port"] is not None and not 0 < int(match["port"]) <= 65535:
        return None
    return f"{scheme}://{authority.lower()}{path}"
