"""Which passwords labelcrew accepts: 10 to 128 characters, and not guessable.

Guessability is zxcvbn's estimate (Wheeler, "zxcvbn: Low-Budget Password Strength
Estimation", USENIX Security 2016): it matches the password against common-password,
name and word lists, keyboard patterns, dates, repeats and the user's own inputs (username,
display name), and scores 0-4 by the guesses an attacker would need; 3 ("safely
unguessable", about 10^8 guesses and more) is the least accepted. The upper bound is there
because argon2 and zxcvbn both take time that grows with the input: a megabyte "password"
would be a cheap way to load the server.

Every place that sets a password calls `check` (creating a user, changing or resetting one).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable

from zxcvbn import zxcvbn

from labelcrew.errors import ValidationFailed

MIN_LENGTH = 10
MAX_LENGTH = 128
MIN_SCORE = 3
# zxcvbn keeps the user's inputs in a module-level dictionary during a call: one at a time.
_LOCK = threading.Lock()
WORD = re.compile(r"[^\W_]{3,}")


def check(password: str, user_inputs: Iterable[str] = (), field: str = "password") -> None:
    """Raise ValidationFailed (naming `field`) unless the password is acceptable; the
    message carries zxcvbn's warning and suggestions."""
    if len(password) < MIN_LENGTH:
        raise ValidationFailed(f"{field} must have at least {MIN_LENGTH} characters", field=field)
    if len(password) > MAX_LENGTH:
        raise ValidationFailed(f"{field} must have at most {MAX_LENGTH} characters", field=field)
    inputs = _inputs(user_inputs)
    with _LOCK:
        result = zxcvbn(password, user_inputs=inputs, max_length=MAX_LENGTH)
    score = int(result["score"])
    if score >= MIN_SCORE:
        return
    feedback = result.get("feedback") or {}
    warning = str(feedback.get("warning") or "")
    suggestions = [str(s) for s in feedback.get("suggestions") or ()]
    said = " ".join(part for part in (warning, *suggestions) if part)
    raise ValidationFailed(
        f"{field} is too easy to guess (strength {score} of 4, at least {MIN_SCORE} needed)"
        + (f": {said}" if said else ""),
        code="weak_password",
        field=field,
        details={"score": score, "warning": warning, "suggestions": suggestions},
    )


def _inputs(user_inputs: Iterable[str]) -> list[str]:
    """The user's own words for zxcvbn: each value whole and its words (zxcvbn matches whole
    tokens, so "Ana Souza" alone would not make "souza-2024" guessable)."""
    values = [value for value in user_inputs if value]
    return values + [word for value in values for word in WORD.findall(value)]
