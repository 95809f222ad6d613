"""labelcrew.client against the real app (both backends): the Label Studio import, next and
submit, releases and metrics through typed models; refusals as typed errors with code and
field; the async client makes the same calls."""

from __future__ import annotations

import threading

import anyio
import httpx
import pytest
from fastapi.testclient import TestClient

from labelcrew.api.schemas.imports import LabelStudioReportOut
from labelcrew.app import create_app
from labelcrew.client import (
    AsyncClient,
    Client,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    UnprocessableError,
)
from labelcrew.services.accounts import users as accounts
from labelcrew.services.projects import projects as project_service
from tests.integration.importing.test_labelstudio_import import FIXTURES


def _token(db, username: str, admin: bool = False) -> tuple[int, str]:
    user = accounts.create_user(
        db, None, username=username, password="a-long-password", is_admin=admin
    )
    return user.id, accounts.issue_token(db, None, user_id=user.id)


def test_a_lead_moves_a_label_studio_project_in_and_a_member_labels_through_the_client(db):
    app = create_app(db=db)
    _, admin_token = _token(db, "admin", admin=True)
    lead = Client(http=TestClient(app), token=admin_token)
    config = (FIXTURES / "classify_config.xml").read_text()
    export = (FIXTURES / "classify.json").read_bytes()
    dry = lead.import_labelstudio("reviews", export, config, dry_run=True)
    assert isinstance(dry, LabelStudioReportOut) and dry.dry_run and dry.items_created == 5
    done = lead.import_labelstudio("reviews", export, config, name="Reviews")
    assert done.annotations_created == 6 and done.unmapped[0].tag == "TextArea"
    (project,) = lead.projects()
    assert project.slug == "reviews" and lead.project(project.id).name == "Reviews"
    tasks = lead.export_labelstudio(project.id)
    assert len(tasks) == 5 and tasks[0].annotations[0].completed_by.email == "ann.kim@acme.example"

    _, annotator_token = _token(db, "cleo")
    admin = accounts.Actor(1, "admin", True)
    project_service.set_member(db, admin, project.id, username="cleo", roles=["annotator"])
    cleo = Client(http=TestClient(app), token=annotator_token)
    lease = cleo.next_item(project.id)
    assert lease.item is not None
    with pytest.raises(UnprocessableError) as bad:
        cleo.submit(project.id, lease.item.id, {"sentiment": "Angry", "helpfulness": 3})
    assert bad.value.field == "sentiment" and bad.value.code == "invalid_value"
    value = {"sentiment": "Neutral", "helpfulness": 3}
    stored = cleo.submit(project.id, lease.item.id, value, idempotency_key="k1")
    assert stored.value["sentiment"] == "Neutral"
    with pytest.raises(ConflictError) as again:
        cleo.submit(project.id, lease.item.id, value)  # the lease is closed now
    assert again.value.code == "no_lease"
    with pytest.raises(PermissionDeniedError) as denied:
        cleo.create_release(project.id, "v1")
    assert denied.value.status == 403

    release = lead.create_release(project.id, "v1", method="mv")
    assert release.name == "v1" and [r.name for r in lead.releases(project.id)] == ["v1"]
    assert lead.export_release(project.id, "v1", "crowdkit").startswith(b"task,worker,field,label")
    assert lead.metrics(project.id) is not None
    with pytest.raises(NotFoundError) as missing:
        lead.project(9999)
    assert missing.value.status == 404 and missing.value.message


def test_the_async_client_makes_the_same_calls(db):
    app = create_app(db=db)
    _, token = _token(db, "admin", admin=True)
    config = (FIXTURES / "ner_config.xml").read_text()
    export = (FIXTURES / "ner.json").read_bytes()

    async def run() -> tuple[int, int, str]:
        transport = httpx.ASGITransport(app=app)
        http = httpx.AsyncClient(transport=transport, base_url="http://test")
        async with AsyncClient(http=http, token=token) as lc:
            report = await lc.import_labelstudio("news", export, config)
            (project,) = await lc.projects()
            tasks = await lc.export_labelstudio(project.id)
            try:
                await lc.project(9999)
            except NotFoundError as exc:
                code = exc.code
            return report.annotations_created, len(tasks), code

    # Its own thread: a session's browser tests keep an event loop running in this one.
    results: list[tuple[int, int, str]] = []
    worker = threading.Thread(target=lambda: results.append(anyio.run(run)))
    worker.start()
    worker.join(timeout=120)
    ((created, tasks, code),) = results
    assert (created, tasks) == (4, 3) and code
