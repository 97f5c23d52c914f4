"""The web channel: the workspace's chat (`/chat`), where an officer talks to the bot as a
person through the same turn, outbox and sender as Telegram and WhatsApp."""
