"""The commands of `python bot.py <command>`, one module per group; `bot.cli` wires them up."""
