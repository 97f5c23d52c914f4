"""Yes/no answers in Arabic, English and French.

Only words that mean yes or no count: "ok" or "1" are refused, because on a yes/no question
they are as likely to acknowledge the question as to answer it, and a re-prompt costs less
than a wrong answer in a state's report. The first word decides, so "yes please" and
"نعم بالتأكيد" are yes and "no, yes" is no.
"""

from __future__ import annotations

from flows.inputs.text import normalize

_YES_WORDS = ("نعم", "أيوه", "أيوة", "أيوا", "أجل", "بلى", "صح", "موافق")
_YES_WORDS += ("yes", "y", "yeah", "yep", "yup", "true", "oui", "ouais", "si")
_NO_WORDS = ("لا", "لأ", "كلا", "ليس", "no", "n", "nope", "nah", "false", "non")

_ANSWERS: dict[str, bool] = {
    **{normalize(word): True for word in _YES_WORDS},
    **{normalize(word): False for word in _NO_WORDS},
}

# "لا أعرف" starts with لا but means "I don't know"; the first-word rule must not read it
# as a no.
_UNSURE_STARTS = tuple(normalize(phrase) for phrase in ("لا أعرف", "لا أدري", "لا أعلم", "no idea"))


def parse_yes_no(text: str) -> bool | None:
    """True for a yes, False for a no, None for anything else (including "I don't know")."""
    words = normalize(text)
    if not words or any(f"{words} ".startswith(f"{start} ") for start in _UNSURE_STARTS):
        return None
    return _ANSWERS.get(words.split(" ", 1)[0])
