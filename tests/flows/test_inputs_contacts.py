"""Specification of e-mail address and web link parsing."""

from __future__ import annotations

import pytest

from flows.inputs.contacts import parse_email, parse_url


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ali@gov.jo", "ali@gov.jo"),
        ("  ali@gov.jo  ", "ali@gov.jo"),
        ("Ali.Hassan@MOH.Gov.JO", "Ali.Hassan@moh.gov.jo"),  # only the domain is lower-cased
        ("first.last+arcp@ministry.gov.eg", "first.last+arcp@ministry.gov.eg"),
        ("<ali@gov.jo>", "ali@gov.jo"),
        ("mailto:ali@gov.jo", "ali@gov.jo"),
        ("MAILTO:ali@gov.jo", "ali@gov.jo"),
        ("<mailto:ali@gov.jo>", "ali@gov.jo"),
        ("ali@gov.jo.", "ali@gov.jo"),  # end of the sentence
        ("ali@gov.jo،", "ali@gov.jo"),
        ("(ali@gov.jo)", "ali@gov.jo"),
        ('"ali@gov.jo"', "ali@gov.jo"),
        ("« ali@gov.jo »", "ali@gov.jo"),
        ("\u200fali@gov.jo\u200f", "ali@gov.jo"),
        ("ali＠gov.jo", "ali@gov.jo"),  # full-width @
        ("ali@وزارة.مصر", "ali@وزارة.مصر"),  # Arabic domain name
        ("ali@xn--mgbaam7a8h.xn--wgbh1c", "ali@xn--mgbaam7a8h.xn--wgbh1c"),
        ("o'brien@un.org", "o'brien@un.org"),
    ],
)
def test_parse_email_accepts(text: str, expected: str) -> None:
    assert parse_email(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "ali",
        "ali@",
        "@gov.jo",
        "ali@gov",  # no dot in the domain
        "ali @gov.jo",  # spaces
        "ali@ gov.jo",
        "ali@gov .jo",
        "my email is ali@gov.jo",
        "a@b@gov.jo",
        ".ali@gov.jo",
        "ali.@gov.jo",
        "al..i@gov.jo",
        "ali@gov..jo",
        "ali@-gov.jo",
        "ali@gov-.jo",
        "ali@gov_x.jo",
        "ali@gov.j",  # one-letter top-level domain
        "ali@192.168.1.1",
        "ali,hassan@gov.jo",
        "ali@gov.jo/page",
        "https://gov.jo",
        "a" * 65 + "@gov.jo",
        "ali@" + "a" * 250 + ".jo",
    ],
)
def test_parse_email_refuses(text: str) -> None:
    assert parse_email(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://example.org", "https://example.org"),
        ("https://example.org/x", "https://example.org/x"),
        ("http://example.org/x", "http://example.org/x"),
        ("HTTPS://Example.ORG/Path?Q=1", "https://example.org/Path?Q=1"),  # path kept as typed
        ("https://x.org:8080/p?q=1#frag", "https://x.org:8080/p?q=1#frag"),
        ("www.example.org/x", "https://www.example.org/x"),
        ("www.example.org", "https://www.example.org"),
        ("example.gov.jo/page", "https://example.gov.jo/page"),
        ("moh.gov.sa", "https://moh.gov.sa"),
        ("https://example.org/x.", "https://example.org/x"),  # end of the sentence
        ("https://example.org/x،", "https://example.org/x"),
        ("(https://example.org/x)", "https://example.org/x"),
        ("<https://example.org/x>", "https://example.org/x"),
        (
            "https://en.wikipedia.org/wiki/Nile_(river)",
            "https://en.wikipedia.org/wiki/Nile_(river)",
        ),
        (
            "(https://en.wikipedia.org/wiki/Nile_(river))",
            "https://en.wikipedia.org/wiki/Nile_(river)",
        ),
        ("\u200fhttps://example.org\u200f", "https://example.org"),
        ("https://وزارة.مصر/صفحة", "https://وزارة.مصر/صفحة"),  # Arabic domain name
        ("وزارة.مصر", "https://وزارة.مصر"),
        ("https://xn--mgbaam7a8h.xn--wgbh1c/", "https://xn--mgbaam7a8h.xn--wgbh1c/"),
    ],
)
def test_parse_url_accepts(text: str, expected: str) -> None:
    assert parse_url(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "example",
        "localhost",
        "http://localhost:8000",
        "intranet/page",
        "ftp://example.org/file",
        "mailto:ali@gov.jo",
        "javascript:alert(1)",
        "ali@gov.jo",  # an e-mail address, not a link
        "https://user:pass@example.org",
        "https://",
        "https:/example.org",
        "https://example.org/a b",  # spaces inside
        "see https://example.org",
        "http://192.168.1.1/admin",
        "https://example.org:99999",
        "https://example.org:0",
        "https://example.org:port",
        "https://-example.org",
        "https://exa_mple.org",
        "https://example.o",
        "e.g.",
        "1.5",
        "https://[::1]/",
    ],
)
def test_parse_url_refuses(text: str) -> None:
    assert parse_url(text) is None
