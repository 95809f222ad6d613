"""The item browser's filters, alone and combined, and one item's audit history."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from labelcrew.db.models.core import Annotation
from labelcrew.errors import Conflict, NotFound, ValidationFailed
from labelcrew.services.platform.item_history import item_history
from labelcrew.services.projects.item_browser import ItemFilters, browse_items
from tests.integration.browse_team import browse_team
from tests.integration.team import build


@pytest.fixture
def labelled(db):
    return browse_team(db)


def ids(db, pid, **filters):
    return [i["id"] for i in browse_items(db, pid, ItemFilters(**filters))["items"]]


def test_each_filter_narrows_to_the_matching_items(db, labelled):
    team, it = labelled
    pid = team.project_id
    assert len(ids(db, pid)) == 6
    assert ids(db, pid, disagreement=True) == [it["a"]]
    assert ids(db, pid, gold=True) == [it["gold"]]
    assert it["gold"] not in ids(db, pid, gold=False)
    assert ids(db, pid, batch_id=it["batch_id"]) == it["batch"]
    assert set(ids(db, pid, batch_id=0)) == set(ids(db, pid)) - set(it["batch"])
    assert ids(db, pid, annotator="ann1") == sorted([it["a"], it["b"]])
    assert ids(db, pid, guideline_version=2) == [it["c"]]
    assert ids(db, pid, guideline_version=1) == sorted([it["a"], it["b"]])
    assert ids(db, pid, state="done") == sorted([it["a"], it["b"]])


def test_filters_combine_and_pages_count_the_whole_match(db, labelled):
    team, it = labelled
    pid = team.project_id
    assert ids(db, pid, annotator="ann0", guideline_version=2) == [it["c"]]
    assert ids(db, pid, annotator="ann1", guideline_version=2) == []
    assert ids(db, pid, disagreement=True, annotator="ann1") == [it["a"]]
    assert ids(db, pid, disagreement=True, state="open") == []
    page = browse_items(db, pid, ItemFilters(batch_id=0), limit=2, offset=2)
    assert page["total"] == 4 and len(page["items"]) == 2


def test_bad_filters_name_their_field(db, labelled):
    team, _ = labelled
    pid = team.project_id
    with pytest.raises(ValidationFailed) as bad:
        browse_items(db, pid, ItemFilters(state="closed"))
    assert bad.value.field == "state"
    with pytest.raises(NotFound) as nobody:
        browse_items(db, pid, ItemFilters(annotator="nobody"))
    assert nobody.value.field == "annotator"
    with pytest.raises(ValidationFailed) as limit:
        browse_items(db, pid, ItemFilters(), limit=0)
    assert limit.value.field == "limit"


def test_disagreement_needs_a_single_choice_field(db):
    team = build(db, annotators=1, items=1, schema={"fields": [{"name": "t", "kind": "text"}]})
    with pytest.raises(Conflict) as no_field:
        browse_items(db, team.project_id, ItemFilters(disagreement=True))
    assert no_field.value.field == "disagreement"


def test_history_holds_the_item_and_its_dependants(db, labelled):
    team, it = labelled
    pid = team.project_id
    gold = [(e["action"], e["entity_type"]) for e in item_history(db, pid, it["gold"])]
    assert ("gold.set", "item") in gold
    labelled_history = item_history(db, pid, it["a"])
    kinds = {e["entity_type"] for e in labelled_history}
    assert kinds & {"annotation", "assignment"}, labelled_history
    assert all(
        e["entity_type"] != "item" or e["entity_id"] == str(it["a"]) for e in labelled_history
    )
    with pytest.raises(NotFound):
        item_history(db, pid, 999_999)


def test_label_filters_count_live_labels_only(db, labelled):
    """A relabel supersedes labels: the item no longer counts as labelled by them."""
    team, it = labelled
    pid = team.project_id
    with db.uow() as uow:
        uow.session.execute(
            update(Annotation)
            .where(Annotation.item_id == it["b"], Annotation.superseded_at.is_(None))
            .values(superseded_at=uow.now)
        )
        uow.commit()
    assert ids(db, pid, annotator="ann1") == [it["a"]]
    assert ids(db, pid, guideline_version=1) == [it["a"]]
