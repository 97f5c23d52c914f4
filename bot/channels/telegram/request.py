"""python-telegram-bot's requests to the Bot API, made with aiohttp.

`Bot` takes any `telegram.request.BaseRequest`; its default, `HTTPXRequest`, spent most of
the bot's CPU under load (measured with `bench/telegram.py`, 100 people at once: two
thirds of the process's time was httpx and httpcore, mostly its connection pool looking
over every connection for every request). aiohttp, which already serves our web server,
makes the same requests for a fraction of that. Parameters go as JSON (the Bot API takes
`application/json`; orjson writes it, where a URL-encoded form cost a tenth of the bot's
time), uploads as `multipart/form-data`.

Errors carry only the exception's kind, never its text: aiohttp's messages can hold the
request URL, and the URL holds the token.
"""

from __future__ import annotations

import aiohttp
import orjson
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

JSON = {"Content-Type": "application/json"}


class AiohttpRequest(BaseRequest):
    """A `BaseRequest` over one aiohttp `ClientSession` (see the module docstring).

    Timeouts are in seconds; `pool_timeout` (waiting for a free connection) and
    `connect_timeout` add up to aiohttp's connect timeout, which covers both.
    """

    __slots__ = (
        "_connect_timeout",
        "_pool_size",
        "_pool_timeout",
        "_read_timeout",
        "_session",
        "_write_timeout",
    )

    def __init__(
        self,
        *,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size, limit_per_host=0)
            self._session = aiohttp.ClientSession(
                connector=connector, headers={"User-Agent": self.USER_AGENT}
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        timeout = self._timeout(read_timeout, write_timeout, connect_timeout, pool_timeout)
        body, headers = _body(request_data)
        try:
            async with self._session.request(
                method, url, data=body, headers=headers, timeout=timeout
            ) as response:
                return response.status, await response.read()
        except TimeoutError as error:
            raise TimedOut(f"aiohttp: {type(error).__name__}") from None
        except (aiohttp.ClientError, OSError) as error:
            raise NetworkError(f"aiohttp: {type(error).__name__}") from None

    def _timeout(
        self, read: object, write: object, connect: object, pool: object
    ) -> aiohttp.ClientTimeout:
        read_s = self._read_timeout if read is BaseRequest.DEFAULT_NONE else read
        write_s = self._write_timeout if write is BaseRequest.DEFAULT_NONE else write
        connect_s = self._connect_timeout if connect is BaseRequest.DEFAULT_NONE else connect
        pool_s = self._pool_timeout if pool is BaseRequest.DEFAULT_NONE else pool
        waiting = [s for s in (connect_s, pool_s) if isinstance(s, int | float)]
        # aiohttp has no write timeout of its own: a request that cannot be written in
        # time shows as no answer within write + read.
        reading = [s for s in (read_s, write_s) if isinstance(s, int | float)]
        return aiohttp.ClientTimeout(
            total=None,
            connect=sum(waiting) if waiting else None,
            sock_read=sum(reading) if len(reading) == 2 else None,
        )


Body = bytes | aiohttp.FormData | None


def _body(request_data: RequestData | None) -> tuple[Body, dict[str, str]]:
    """The request's body: JSON, or multipart when it uploads files."""
    if request_data is None:
        return None, {}
    files = request_data.multipart_data
    if not files:
        return orjson.dumps(request_data.parameters), JSON
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, upload in files.items():
        filename, content, mime = _upload(upload)
        form.add_field(name, content, filename=filename, content_type=mime)
    return form, {}


def _upload(upload: object) -> tuple[str | None, object, str | None]:
    """A `multipart_data` entry: (file name, content, MIME type); a bare value has none."""
    if isinstance(upload, tuple):
        if len(upload) == 3:
            return upload[0], upload[1], upload[2]
        if len(upload) == 2:
            return upload[0], upload[1], None
    return None, upload, None
