"""schemathesis over the whole API as an admin who holds every role: whatever the generated
path, query and body, no operation answers a server error, on both databases.

Bounded (a few examples per operation, derandomized) so it runs with the suite; the response
schema conformance the issue also asks for is not checked here."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings

from labelcrew.api.app import create_app
from labelcrew.domain.permissions import Role
from labelcrew.services import accounts, batches, projects
from tests.integration.team import build

EXAMPLES = 8


def test_no_operation_answers_a_server_error(db):
    team = build(db, annotators=1, items=3)
    pid = team.project_id
    projects.set_member(db, team.admin, pid, username="admin", roles=[r.value for r in Role])
    batches.create_batch(db, team.admin, pid, name="b1")
    token = accounts.issue_token(db, None, user_id=team.admin.user_id)
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(db=db))
    failures: list[tuple[Any, ...]] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def call(case: Any) -> None:
            try:
                resp = case.call(headers={"Authorization": f"Bearer {token}"})
            except Exception as exc:  # the in-process transport re-raises server errors
                failures.append((case.method, case.path, case.path_parameters, repr(exc)[:200]))
                return
            if resp.status_code >= 500:
                failures.append((case.method, case.path, case.path_parameters, resp.text[:200]))

        call()
    assert operations >= 100
    assert failures == []
