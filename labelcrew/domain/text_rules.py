"""Rules every text that labelcrew stores follows, whichever way it arrives (API body, import
row, schema): no NUL character, and external ids in one canonical form.

PostgreSQL text and jsonb cannot hold NUL (U+0000); SQLite can. Refusing it on both backends
keeps a project movable between them and turns what would be a server error on PostgreSQL
into a 422 that names the field.
"""

from __future__ import annotations

import unicodedata
from typing import Any

NUL = "\x00"
# How NUL looks inside JSON text (orjson and the json module both write it so).
NUL_JSON = "\\u0000"
NUL_MESSAGE = "holds a NUL character (\\u0000), which labelcrew does not store"

# Characters that render as nothing: an id that differs from another only by them looks the
# same on every page and in every export, so they are dropped from external ids.
INVISIBLE = frozenset(
    "\u00ad"  # soft hyphen
    "\u180e"  # Mongolian vowel separator
    "\u200b\u200c\u200d\u200e\u200f"  # zero width space, non-joiner, joiner, LRM, RLM
    "\u2060\u2061\u2062\u2063\u2064"  # word joiner, invisible operators
    "\ufeff"  # zero width no-break space (BOM)
)
_DROP_INVISIBLE = {ord(c): None for c in INVISIBLE}


def find_nul(value: Any, path: str = "") -> str | None:
    """The dotted path of the first string (value or object key) in a JSON-like value that
    holds NUL, or None. `path` prefixes the result; a NUL at the top level answers `path`."""
    if type(value) is str:
        return path if NUL in value else None
    if isinstance(value, dict):
        for key, inner in value.items():
            here = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and NUL in key:
                return here.replace(NUL, "\\u0000")
            found = find_nul(inner, here)
            if found is not None:
                return found
        return None
    if isinstance(value, (list, tuple)):
        for index, inner in enumerate(value):
            found = find_nul(inner, f"{path}.{index}" if path else str(index))
            if found is not None:
                return found
    return None


def canonical_id(raw: str) -> str:
    """An external id in canonical form: Unicode NFC, invisible characters dropped, stripped.

    Two ids that a person cannot tell apart (NFC against NFD, one with a zero-width space) are
    then the same id, so the import's duplicate check sees them; ASCII ids are unchanged.
    Raises ValueError for a remaining format character (see below)."""
    if raw.isascii():
        return raw.strip()
    value = unicodedata.normalize("NFC", raw.translate(_DROP_INVISIBLE)).strip()
    for char in value:
        # Other format characters (bidi overrides and isolates, tags) reorder or hide what a
        # reader sees: refused rather than dropped, since dropping them changes the meaning.
        if not char.isascii() and unicodedata.category(char) == "Cf":
            raise ValueError(
                f"id holds the invisible formatting character U+{ord(char):04X}; "
                "ids must be visible text"
            )
    return value
