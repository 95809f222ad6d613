"""schemathesis over the whole OpenAPI document, as the demo's admin and as an annotator.

Every operation gets a few generated requests (derandomized, so a failure reproduces); each
response must not be a server error, must carry a status the operation declares, and must
match the schema declared for that status. Random ids mostly miss, so this walks the error
paths (404, 403, 422) of every route as well as the happy paths of the ones without ids."""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from labelcrew.app import create_app
from labelcrew.demo import sentiment as demo
from labelcrew.services.accounts import users as accounts
from labelcrew.services.uow import Database

CHECKS = (
    ("server error", checks.not_a_server_error),
    ("undeclared status", checks.status_code_conformance),
    ("schema violation", checks.response_schema_conformance),
    ("content type", checks.content_type_conformance),
)
# CI's bound; LABELCREW_FUZZ_SCALE=10 runs ten times as many examples for a deeper look.
SCALE = int(os.environ.get("LABELCREW_FUZZ_SCALE", "1"))
EXAMPLES = {"admin": 3 * SCALE, "ana": 2 * SCALE}


def _fuzz(schema: Any, token_for: Any, examples: int) -> list[str]:
    failures: dict[tuple[str, str, str], str] = {}
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=examples,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            # A fresh token per request: a generated DELETE /tokens/{id} may revoke the last one.
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token_for()}"}
            key = (case.operation.method.upper(), case.operation.path)
            try:
                response = case.call()
            except Exception as exc:  # the app raised: a 500 that the client saw as an error
                failures.setdefault(("server error", *key), f"{type(exc).__name__}: {exc}"[:500])
                return
            for name, check in CHECKS:
                try:
                    case.validate_response(response, checks=[check])
                except BaseException as exc:  # schemathesis raises a BaseExceptionGroup
                    failures.setdefault(
                        (name, *key),
                        f"{response.status_code} {response.text[:200]} | {str(exc)[:300]}",
                    )

        run()
    return [f"{k[0]}: {k[1]} {k[2]} -> {v}" for k, v in sorted(failures.items())]


@pytest.mark.slow
@pytest.mark.parametrize("who", sorted(EXAMPLES))
def test_every_operation_conforms(db: Database, who: str) -> None:
    demo.seed(db, items_count=40, history_days=1)
    user = accounts.get_user_by_name(db, who)
    app = create_app(db=db)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures = _fuzz(schema, lambda: accounts.issue_token(db, None, user_id=user.id), EXAMPLES[who])
    assert failures == [], "\n".join(failures)
