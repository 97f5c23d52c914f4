"""The compiled campaign report: a campaign's current answers question by question, in one
language, as HTML or PDF, for the secretariat or (limited to consented answers) for the
focal points. `view` builds what it says, `render` writes it, `review` is where it reads
each submission's review state."""
