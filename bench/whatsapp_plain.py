"""The ceiling of `bench/whatsapp.py`: an aiohttp server that only checks Twilio's signature.

It answers every signed POST to the inbound path with empty TwiML (403 when the signature
does not hold) and does nothing else: no spool, no turn, no reply. What the load generator
gets from it is what aiohttp and the twilio library's RequestValidator cost on this
machine, the most any webhook handler built on them could do.

    python bench/whatsapp_plain.py --port 8081 --token TOKEN --public-url https://x.example
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from aiohttp import web
from twilio.request_validator import SIGNATURE_HEADER, RequestValidator

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.channels.whatsapp.webhook import INBOUND_PATH, twiml


def application(token: str, public_url: str) -> web.Application:
    validator = RequestValidator(token)

    async def inbound(request: web.Request) -> web.Response:
        form = await request.post()
        signature = request.headers.get(SIGNATURE_HEADER, "")
        if not validator.validate(public_url + request.path_qs, dict(form), signature):
            raise web.HTTPForbidden(text="forbidden")
        return twiml()

    app = web.Application()
    app.add_routes([web.post(INBOUND_PATH, inbound)])
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--public-url", required=True)
    args = parser.parse_args()
    app = application(args.token, args.public_url)
    web.run_app(app, host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
