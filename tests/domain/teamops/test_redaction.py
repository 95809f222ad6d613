"""Import redaction (counts only) and role-based masking of sensitive fields."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labelcrew.domain.teamops import redaction
from labelcrew.domain.teamops.redaction import Redactor
from labelcrew.errors import ValidationFailed


def test_redacts_emails_phones_and_terms_and_counts_per_field():
    r = Redactor(redaction.parse_redaction({"kinds": ["email", "phone"], "terms": ["Acme Corp"]}))
    out = r(
        {
            "text": "Mail jane.doe@example.com or call +44 20 7946 0958 at ACME corp.",
            "meta": {"from": "bob@x.org"},
            "n": 5,
        }
    )
    assert out["text"] == "Mail [EMAIL] or call [PHONE] at [REDACTED]."
    assert out["meta"] == {"from": "[EMAIL]"} and out["n"] == 5
    clean = {"text": "nothing here, order 12 of 2026"}
    assert r(clean) is clean
    summary = r.summary()
    assert summary == {
        "items": 1,
        "replacements": 4,
        "by_field": {"meta.from": {"email": 1}, "text": {"email": 1, "phone": 1, "term": 1}},
    }
    assert "jane" not in repr(summary)


def test_fields_limit_and_bad_config():
    r = Redactor({"kinds": ["email"], "terms": [], "fields": ["text"]})
    assert r({"text": "a@b.io", "other": "c@d.io"}) == {"text": "[EMAIL]", "other": "c@d.io"}
    for raw, field in [
        ({"kinds": ["ssn"]}, "redaction.kinds"),
        ({"terms": [""]}, "redaction.terms"),
        ([], "redaction"),
    ]:
        with pytest.raises(ValidationFailed) as err:
            redaction.parse_redaction(raw)
        assert err.value.field == field


def test_mask_shapes():
    assert redaction.mask("jane.doe@example.com") == "j***@e***.com"
    assert redaction.mask("+44 20 7946 0958") == "+** ** **** **58"
    assert redaction.mask("Bob") == "***"
    assert redaction.mask(["a@b.io"]) == ["a***@b***.io"]
    assert redaction.mask(42) == "***" and redaction.mask(None) is None


def test_visible_payload_per_role():
    rules = redaction.parse_sensitive(
        [
            {"field": "email", "mode": "mask", "roles": ["lead"]},
            {"field": "ssn", "mode": "hide"},
        ]
    )
    payload = {"text": "hi", "email": "jane@example.com", "ssn": "123-45-6789"}
    assert redaction.visible_payload(payload, rules, ["annotator"]) == {
        "text": "hi",
        "email": "j***@e***.com",
    }
    assert redaction.visible_payload(payload, rules, ["lead"]) == {
        "text": "hi",
        "email": "jane@example.com",
    }
    assert redaction.visible_payload(payload, rules, [], is_admin=True) == payload
    with pytest.raises(ValidationFailed):
        redaction.parse_sensitive([{"field": "x", "mode": "blur"}])


@given(st.text(max_size=60))
def test_redacted_text_keeps_no_email(text):
    r = Redactor({"kinds": ["email"], "terms": []})
    out = r({"t": text + " x.y@host.example.com"})["t"]
    assert redaction.PATTERNS["email"].search(out) is None
