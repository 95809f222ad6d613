"""Agreement on every field through the service (issue 16): the seven-field case shows full
agreement on the topic and a lower figure on each field the annotators split on."""

from __future__ import annotations

from labelcrew.services.quality.field_agreement import agreement_by_field
from tests.integration.team import build
from tests.integration.test_releases_fields import CAR, FIRST, SEVEN, _label_all


def test_every_field_is_measured_by_its_own_kind(db):
    team = build(db, annotators=2, items=3, overlap=2, schema=SEVEN)
    second = {
        **FIRST,
        "severity": 3,
        "order": [1, 0, 2],
        "entities": [{"start": 0, "end": 4, "label": "ORG"}],
        "boxes": [{**CAR, "x": 60}],
        "note": "ok",
    }
    _label_all(db, team, [FIRST, second])
    found = {f["field"]: f for f in agreement_by_field(db, team.project_id)}
    assert list(found) == [f["name"] for f in SEVEN["fields"]]
    assert {f["n_items"] for f in found.values()} == {3}
    for name in ("severity", "order", "entities", "boxes", "note"):
        assert found[name]["value"] is None or found[name]["value"] < 1.0, name
    assert found["entities"]["value"] == 0.0 and found["boxes"]["value"] == 0.0
    assert found["note"]["required"] is False and found["note"]["kind"] == "text"
    # no variation at all on the topic: chance-corrected alpha is undefined, agreement is 1
    assert found["topic"]["extra"].get("percent_agreement", 1.0) == 1.0
