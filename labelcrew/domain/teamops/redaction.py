"""Privacy of item payloads: PII redaction on import, and sensitive fields masked or hidden per
role when items are shown or exported.

Redaction (project settings `redaction`: {"kinds": ["email", "phone"], "terms": [...],
"fields": [...] (optional, default every string in the payload)}) replaces each match with a
placeholder such as `[EMAIL]` and counts what it replaced per field and kind; the raw values
never leave this module, so the audit can hold the counts only.

Visibility (project settings `sensitive_fields`: [{"field": "email", "mode": "mask"|"hide",
"roles": ["lead"]}]) leaves a field as it is for the listed roles and masks or drops it for
everyone else. Masking keeps the first character of each part: `jane.doe@example.com` ->
`j***@e***.com`, `+44 20 7946 0958` -> `+** ** **** **58`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from labelcrew.errors import ValidationFailed

PATTERNS: dict[str, re.Pattern[str]] = {
    "email": re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"),
    # International or national numbers with 7-15 digits, separated by spaces, dots or dashes.
    "phone": re.compile(r"(?<![\w+])\+?\d(?:[ .\-()]*\d){6,14}(?!\w)"),
}
MODES = ("mask", "hide")


def parse_redaction(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ValidationFailed("redaction must be an object", field="redaction")
    kinds = raw.get("kinds", [])
    terms = raw.get("terms", [])
    fields = raw.get("fields")
    if not isinstance(kinds, list) or any(k not in PATTERNS for k in kinds):
        raise ValidationFailed(
            f"redaction.kinds must list some of {sorted(PATTERNS)}", field="redaction.kinds"
        )
    if not isinstance(terms, list) or any(not isinstance(t, str) or not t.strip() for t in terms):
        raise ValidationFailed(
            "redaction.terms must be a list of non-empty strings", field="redaction.terms"
        )
    if fields is not None and (
        not isinstance(fields, list) or any(not isinstance(f, str) for f in fields)
    ):
        raise ValidationFailed("redaction.fields must list field names", field="redaction.fields")
    return {"kinds": list(kinds), "terms": list(terms), "fields": fields}


class Redactor:
    """Redacts payloads one at a time and keeps the counts (field, kind) -> replacements."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.kinds = [(k, PATTERNS[k]) for k in config.get("kinds", [])]
        terms = [t for t in config.get("terms", []) if t]
        self.terms = (
            re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)), re.I)
            if terms
            else None
        )
        self.fields = set(config["fields"]) if config.get("fields") else None
        self.counts: Counter[tuple[str, str]] = Counter()
        self.items_touched = 0

    @property
    def active(self) -> bool:
        return bool(self.kinds or self.terms)

    def _text(self, path: str, text: str) -> str:
        for kind, pattern in self.kinds:
            text, n = pattern.subn(f"[{kind.upper()}]", text)
            if n:
                self.counts[(path, kind)] += n
        if self.terms is not None:
            text, n = self.terms.subn("[REDACTED]", text)
            if n:
                self.counts[(path, "term")] += n
        return text

    def _walk(self, path: str, value: Any) -> Any:
        if isinstance(value, str):
            return self._text(path, value)
        if isinstance(value, list):
            return [self._walk(path, v) for v in value]
        if isinstance(value, dict):
            return {k: self._walk(f"{path}.{k}", v) for k, v in value.items()}
        return value

    def __call__(self, payload: dict[str, Any]) -> dict[str, Any]:
        before = sum(self.counts.values())
        out = {
            key: (self._walk(key, value) if self.fields is None or key in self.fields else value)
            for key, value in payload.items()
        }
        if sum(self.counts.values()) > before:
            self.items_touched += 1
            return out
        return payload

    def summary(self) -> dict[str, Any]:
        """Counts only: {"items": n, "replacements": n, "by_field": {"text": {"email": 2}}}."""
        by_field: dict[str, dict[str, int]] = {}
        for (path, kind), n in sorted(self.counts.items()):
            by_field.setdefault(path, {})[kind] = n
        return {
            "items": self.items_touched,
            "replacements": sum(self.counts.values()),
            "by_field": by_field,
        }


def parse_sensitive(raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, list):
        raise ValidationFailed("sensitive_fields must be a list", field="sensitive_fields")
    out = []
    for i, entry in enumerate(raw):
        where = f"sensitive_fields[{i}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("field"), str):
            raise ValidationFailed("an entry needs a field name", field=f"{where}.field")
        mode = entry.get("mode", "mask")
        if mode not in MODES:
            raise ValidationFailed(f"mode must be one of {MODES}", field=f"{where}.mode")
        roles = entry.get("roles", [])
        if not isinstance(roles, list) or any(not isinstance(r, str) for r in roles):
            raise ValidationFailed("roles must list role names", field=f"{where}.roles")
        out.append({"field": entry["field"], "mode": mode, "roles": list(roles)})
    return out


def _mask_part(part: str) -> str:
    return part[:1] + "***" if part else part


def mask(value: Any) -> Any:
    """Keep the shape, hide the content: emails keep first letters and the top-level domain,
    other strings keep their separators and the last two characters when long enough."""
    if isinstance(value, list):
        return [mask(v) for v in value]
    if isinstance(value, dict):
        return {k: mask(v) for k, v in value.items()}
    if not isinstance(value, str):
        return None if value is None else "***"
    if PATTERNS["email"].fullmatch(value):
        local, _, domain = value.partition("@")
        host, _, tld = domain.rpartition(".")
        return f"{_mask_part(local)}@{_mask_part(host)}.{tld}"
    keep = 2 if len(value) >= 8 else 0
    head = re.sub(r"[^\s\-.+()@]", "*", value[: len(value) - keep])
    return head + value[len(value) - keep :]


def visible_payload(
    payload: Mapping[str, Any],
    rules: Sequence[Mapping[str, Any]],
    roles: Collection[str],
    *,
    is_admin: bool = False,
) -> dict[str, Any]:
    """The payload as these roles may see it (admins see everything)."""
    if not rules or is_admin:
        return dict(payload)
    out = dict(payload)
    for rule in rules:
        name = rule["field"]
        if name not in out or any(r in rule.get("roles", ()) for r in roles):
            continue
        if rule.get("mode") == "hide":
            del out[name]
        else:
            out[name] = mask(out[name])
    return out
