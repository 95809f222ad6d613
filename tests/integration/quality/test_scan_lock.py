"""The quality scan does not hold SQLite's write lock while it recomputes (issue 21, part 6):
an annotator's submit made while the drift charts and the agreement figures are computed goes
through at once, instead of waiting for the whole history to be rerun."""

from __future__ import annotations

import threading

import pytest

from labelcrew.db.engine import is_sqlite
from labelcrew.services.quality import drift_scan
from labelcrew.services.quality import measures as quality
from labelcrew.services.work import assignment, submission
from tests.integration.team import build


def _submit_meanwhile(db, team) -> bool:
    """Label one item from another thread; True when it finished within two seconds."""
    annotator, done = team.annotators[1], threading.Event()

    def label() -> None:
        lease = assignment.next_item(db, annotator, team.project_id)
        value = {"sentiment": "positive"}
        submission.submit(
            db, annotator, team.project_id, lease["item"]["id"], value, idempotency_key=None
        )
        done.set()

    worker = threading.Thread(target=label, daemon=True)
    worker.start()
    worker.join(timeout=2)
    return done.is_set()


def test_a_submit_goes_through_while_the_scan_computes(db, monkeypatch):
    if not is_sqlite(db.engine):
        pytest.skip("PostgreSQL has no process-wide write lock to hold")
    team = build(db, annotators=2, items=6, overlap=2)
    first = team.annotators[0]
    for k in range(2):
        lease = assignment.next_item(db, first, team.project_id)
        value = {"sentiment": "negative"}
        submission.submit(
            db, first, team.project_id, lease["item"]["id"], value, idempotency_key=f"{k}"
        )
    went_through: list[bool] = []
    real_find, real_summarize = drift_scan.find, quality.summarize

    def find(*args, **kwargs):
        went_through.append(_submit_meanwhile(db, team))
        return real_find(*args, **kwargs)

    def summarize(*args, **kwargs):
        went_through.append(_submit_meanwhile(db, team))
        return real_summarize(*args, **kwargs)

    monkeypatch.setattr(drift_scan, "find", find)
    monkeypatch.setattr(quality, "summarize", summarize)
    quality.scan_drift(db, team.project_id)
    quality.measure_agreement(db, team.project_id, record=True)
    assert went_through == [True, True]
