"""The weekly snapshot: numbers against last week with arrows, named examples, trends, role
filtering over HTTP, publishing, and the Prometheus endpoint."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from labelcrew.app import create_app
from labelcrew.db.models.core import OutboxEvent
from labelcrew.domain.metrics.weekly_render import render_html, render_markdown
from labelcrew.services.accounts import users as accounts
from labelcrew.services.guidelines import versions as guidelines
from labelcrew.services.metrics.weekly import snapshot as weekly
from labelcrew.services.quality import alerts
from tests.integration.metrics.test_metrics import label
from tests.integration.team import add_items, build

# Values as prometheus_client writes them: 3.0, 1.7e+09, 8.2e-05.
SAMPLE = re.compile(
    r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_]\w*="[^"]*",?)*\})? -?[0-9.]+(e[+-]?[0-9]+)?$'
)


def two_weeks(db, clock):
    """W48 (from Mon 2026-11-23): 3 overlap items, item 2 split 1-1. W49: 2 items, all agree."""
    team = build(db, annotators=2, items=3, overlap=2)
    pid = team.project_id
    ann0, ann1 = team.annotators
    label(db, clock, ann0, pid, {1: "positive", 2: "positive", 3: "positive"}, [30, 30, 30])
    label(db, clock, ann1, pid, {1: "positive", 2: "negative", 3: "positive"}, [40, 40, 40])
    clock.advance(7 * 86400)
    add_items(db, pid, 2, overlap=2, start=100)
    label(db, clock, ann0, pid, {4: "negative", 5: "neutral"}, [10, 20])
    label(db, clock, ann1, pid, {4: "negative", 5: "neutral"}, [10, 20])
    guidelines.save_draft(
        db,
        team.lead,
        pid,
        title="v2",
        body="",
        rules=[
            {"number": "1.1", "text": "Label the overall sentiment."},
            {"number": "1.2", "text": "Mixed reviews are neutral."},
        ],
    )
    guidelines.publish(db, team.lead, pid, version=2, changelog="1.2: mixed reviews are neutral")
    with db.uow() as uow:
        alerts.raise_alert(
            uow,
            project_id=pid,
            kind="label_shift",
            subject="member:ann1",
            message="ann1's label distribution differs from the team's",
            evidence={},
        )
        uow.commit()
    clock.advance(7 * 86400)  # now Monday of W50
    return team


def test_snapshot_compares_weeks_and_names_examples(db, clock):
    team = two_weeks(db, clock)
    snap = weekly.weekly_snapshot(db, team.project_id)  # default: last complete week
    assert snap["week"] == "2026-W49" and snap["previous_week"] == "2026-W48"
    q = {line["metric"]: line for line in snap["quality"]}
    assert (q["labels"]["this_week"], q["labels"]["last_week"], q["labels"]["arrow"]) == (4, 6, "↓")
    dis = q["disagreement_rate"]
    assert dis["this_week"] == 0.0 and abs(dis["last_week"] - 1 / 3) < 1e-9
    assert dis["arrow"] == "↓" and dis["better"] is True
    assert q["median_time"]["this_week"] == 10 and q["median_time"]["last_week"] == 30
    assert [(e["member"], e["external_id"]) for e in snap["examples"]] == [
        ("ann0", "x100"),
        ("ann0", "x101"),
        ("ann1", "x100"),
        ("ann1", "x101"),
    ]
    assert snap["guideline_changes"][0]["changelog"] == "1.2: mixed reviews are neutral"
    assert [a["kind"] for a in snap["alerts"]] == ["label_shift"]
    ann0 = next(m for m in snap["members"] if m["member"] == "ann0")
    # W48: items 1 and 3 agree with the consensus, item 2 has none (1-1); W49: 2 of 2
    assert ann0["weeks"][-2:] == ["2026-W48", "2026-W49"]
    assert ann0["agreement"][-2:] == [1.0, 1.0] and ann0["trend"] == "steady"
    assert ann0["labels"][-2:] == [3, 2]
    md = render_markdown(snap)
    assert md.startswith("# Weekly snapshot: Demo · 2026-W49")
    assert "**4 labels** ↓ -33%" in md and "↓ -33.3 pts (better)" in md
    assert "**ann0** — `x100`" in md and "v2 v2 (published" in md
    assert "{" not in md  # no raw dict dumps
    page = render_html(snap)
    assert "<strong>4 labels</strong>" in page and "<code>x100</code>" in page


def test_members_see_the_team_and_themselves_only(db, clock):
    team = two_weeks(db, clock)
    pid = team.project_id
    app = create_app(db=db)

    def get(actor, **params):
        client = TestClient(app)
        token = accounts.issue_token(db, None, user_id=actor.user_id)
        return client.get(
            f"/api/v1/projects/{pid}/reports/weekly",
            params={"week": "2026-W49", **params},
            headers={"Authorization": f"Bearer {token}"},
        )

    lead = get(team.lead).json()
    mine = get(team.annotators[0]).json()
    assert {m["member"] for m in lead["members"]} == {"ann0", "ann1"}
    assert [m["member"] for m in mine["members"]] == ["ann0"]
    assert [r["member"] for r in mine["throughput"]["per_member"]] == ["ann0"]
    assert mine["throughput"]["labels"] == lead["throughput"]["labels"] == 4
    md = get(team.annotators[0], format="md")
    assert md.status_code == 200 and "| ann1 |" not in md.text and "| ann0 |" in md.text
    assert get(team.lead, week="2026-47").json()["code"] == "bad_week"
    metrics_resp = TestClient(app).get(
        f"/api/v1/projects/{pid}/metrics",
        params={"from": "2026-11-23", "group_by": "week"},
        headers={
            "Authorization": f"Bearer {accounts.issue_token(db, None, user_id=team.lead.user_id)}"
        },
    )
    assert [s["key"] for s in metrics_resp.json()["series"]] == ["2026-W48", "2026-W49"]


def test_publish_once_and_emit_event(db, clock):
    team = two_weeks(db, clock)
    assert weekly.weekly_job(db) == 1  # a Monday: last week gets published
    assert weekly.weekly_job(db) == 0  # already there
    stored = weekly.published(db, team.project_id, "2026-W49")
    assert stored is not None and stored["markdown"].startswith("# Weekly snapshot")
    with db.uow(read_only=True) as uow:
        events = list(
            uow.session.scalars(
                select(OutboxEvent.payload).where(
                    OutboxEvent.event_type == "report.weekly_published"
                )
            )
        )
    assert events == [
        {"project_id": team.project_id, "week": "2026-W49", "report_id": stored["id"]}
    ]
    clock.advance(86400)
    assert weekly.weekly_job(db) == 0  # Tuesday


def test_prometheus_exposition_parses(db, clock):
    team = two_weeks(db, clock)
    add_items(db, team.project_id, 3, overlap=2, start=200)
    client = TestClient(create_app(db=db), client=("127.0.0.1", 50000))  # /metrics: loopback
    assert client.get("/healthz").status_code == 200
    text = client.get("/metrics").text
    samples = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert samples and all(SAMPLE.match(line) for line in samples), text
    assert 'labelcrew_queue_open_items{project="demo"} 3.0' in samples
    assert 'labelcrew_queue_labels_needed{project="demo"} 6.0' in samples
    assert 'labelcrew_annotations_total{project="demo"} 10.0' in samples
    assert 'labelcrew_alerts_open{project="demo"} 1.0' in samples
    assert (
        'labelcrew_http_request_duration_seconds_count{method="GET",route="/healthz"} 1.0'
        in samples
    )
