"""The invite command prints the WhatsApp link that types "join <code>" for the person."""

from __future__ import annotations

import io
import json

from bot.cli import main
from bot.config import Settings


def test_the_invite_command_prints_the_whatsapp_link(settings: Settings) -> None:
    out = io.StringIO()
    command = ["invite", "--country", "jo", "--name", "Omar Haddad", "--lang", "en", "--json"]
    assert main(command, settings=settings, stdout=out) == 0
    made = json.loads(out.getvalue())
    assert made["whatsapp_link"] == f"https://wa.me/14155238886?text=join%20{made['code']}"

    out = io.StringIO()
    assert main(["invite", "--person", str(made["person_id"])], settings=settings, stdout=out) == 0
    assert "\n  WhatsApp: https://wa.me/14155238886?text=join%20" in out.getvalue()


def test_without_a_whatsapp_number_it_says_what_to_set(settings: Settings) -> None:
    out = io.StringIO()
    unset = settings.model_copy(update={"twilio_whatsapp_from": ""})
    assert main(["invite", "--country", "ma", "--name", "Nadia"], settings=unset, stdout=out) == 0
    assert "  WhatsApp: set TWILIO_WHATSAPP_FROM to print the link" in out.getvalue()
