"""The WhatsApp channel, through Twilio: signed webhooks in, the REST API out.

`adapter` is what the runtime serves; `webhook` checks and answers Twilio's requests;
`inbound` reads a message; `render` and `window` decide what a reply looks like on
WhatsApp (text, buttons or an approved template); `status` reads delivery callbacks;
`errors` says what Twilio's error codes mean for the outbox.
"""

CHANNEL = "whatsapp"
"""The channel's name in the store."""
