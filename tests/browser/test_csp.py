"""The pages work under the Content-Security-Policy: no violation on any main page, for the
lead (with a dashboard that plots), the admin and the annotator's workspace."""

from __future__ import annotations

from typing import Any

import pytest

from labelcrew.services.projects import projects
from tests.browser.conftest import sign_in
from tests.browser.test_pages import _history
from tests.integration.team import user

pytestmark = pytest.mark.browser

# Init scripts run outside the page's CSP, so this listener sees every violation the page has.
RECORD = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


def _watch(page: Any) -> list[str]:
    logged: list[str] = []
    page.context.add_init_script(RECORD)
    page.on(
        "console",
        lambda m: logged.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.on("pageerror", lambda e: logged.append(f"page error: {e}"))
    return logged


def _visit(page: Any, path: str, ready: str, logged: list[str]) -> None:
    response = page.goto(path)
    assert response.status == 200, path
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    page.locator(ready).first.wait_for()
    page.wait_for_load_state("networkidle")
    violations = page.evaluate("window.__csp")
    assert violations == [] and logged == [], (path, violations, logged)


def test_no_csp_violation_on_the_main_pages(db: Any, clock: Any, open_page: Any) -> None:
    team = _history(db, clock)
    pid = team.project_id
    user(db, "reviewer")
    projects.set_member(db, team.admin, pid, username="reviewer", roles=["reviewer"])
    lead = open_page(None)
    logged = _watch(lead)
    sign_in(lead, "lead")
    for path, ready in (
        ("/", "[data-testid=signed-in-as]"),
        (f"/projects/{pid}/dashboard", "#chart-agreement .main-svg"),
        (f"/projects/{pid}/guidelines", "[data-testid=rule-editor]"),
        (f"/projects/{pid}/settings", "[data-testid=settings-form]"),
        (f"/projects/{pid}/escalations", "main"),
    ):
        _visit(lead, path, ready, logged)
    admin = open_page(None)
    logged = _watch(admin)
    sign_in(admin, "admin")
    _visit(admin, "/admin/users", "form[action='/admin/users']", logged)
    reviewer = open_page(None)
    logged = _watch(reviewer)
    sign_in(reviewer, "reviewer")
    _visit(reviewer, f"/projects/{pid}/review", "main", logged)
    annotator = open_page(None)
    logged = _watch(annotator)
    sign_in(annotator, "ann0")
    _visit(annotator, f"/projects/{pid}/work", "main", logged)
    _visit(annotator, "/login", "input[name=username]", logged)
