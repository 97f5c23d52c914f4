"""The `twilio` library's REST client on its async HTTP client, at TWILIO_API_URL."""

from __future__ import annotations

import base64

from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

TWILIO_ROOT = "https://api.twilio.com"
SEND_TIMEOUT = 30.0
"""Longest one REST call may take."""


def basic_auth(login: str, password: str) -> str:
    """An HTTP Basic `Authorization` header value."""
    return "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode()


class HeaderAuthHttpClient(AsyncTwilioHttpClient):
    """The library's async HTTP client, giving the credentials as a header.

    The library hands them to aiohttp's `BasicAuth`, which aiohttp deprecates; the header
    is what it sends either way (and aiohttp drops it on a redirect to another host).
    """

    async def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        """Make the request, with `auth` as an `Authorization` header."""
        headers = dict(headers or {})
        if auth is not None:
            headers["Authorization"] = basic_auth(*auth)
        return await super().request(
            method, url, params, data, headers, None, timeout, allow_redirects
        )


def rest_client(account_sid: str, auth_token: str, api_url: str) -> Client:
    """A REST client on the async HTTP client, sending to `api_url` instead of Twilio's root.

    Call it inside the running event loop (the HTTP client opens its session there); close
    it with `await client.http_client.close()`.
    """
    client = Client(
        account_sid,
        auth_token,
        account_sid=account_sid,
        http_client=HeaderAuthHttpClient(timeout=SEND_TIMEOUT),
    )
    client.api.base_url = api_url.rstrip("/")
    return client
