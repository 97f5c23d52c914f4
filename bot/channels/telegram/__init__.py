"""The Telegram channel (python-telegram-bot as the Bot API client); see `adapter`."""
