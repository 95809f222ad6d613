"""`labelcrew bench assign` end to end, briefly: a real server, real HTTP clients, and the
duplicate check it reports. Not a timed test: it checks the figures are measured and sane."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import make_url

from labelcrew.benchmarks import assign, assign_client
from tests.conftest import BACKENDS, PG_URL


@pytest.mark.parametrize("backend", BACKENDS)
def test_bench_assign_runs_and_counts(backend: str, pg_template: str | None) -> None:
    if backend == "postgres" and pg_template is None:
        pytest.skip("PostgreSQL unreachable (allowed outside CI only)")
    admin = make_url(PG_URL).set(database="postgres").render_as_string(hide_password=False)
    result = assign.run(backend, 2, 60, 1.5, 2, pg_admin_url=admin)
    assert result["errors"] == 0, result["error_codes"]
    assert result["submitted"] > 0
    assert result["duplicates"] == 0
    assert result["acknowledged_not_stored"] == 0
    # Two annotators with overlap 2 on 60 items can label at most 120 times.
    assert result["submitted"] <= 120
    assert result["next_p50_ms"] is not None and result["next_p50_ms"] > 0
    assert result["server_cpu_ms_per_item"] is not None and result["server_cpu_ms_per_item"] > 0
    assert result["items_per_s"] == pytest.approx(result["submitted"] / result["elapsed_s"], 0.01)


def test_client_reports_status_and_code() -> None:
    """The lean client parses JSON errors, which is how the bench tells queue_empty apart."""
    with assign.fresh_database("sqlite", "") as url:
        seeded = assign.seed(url, annotators=1, items=1, overlap=1)
        with assign.server(url, workers=1) as (base, _pid):
            out = assign_client.annotate(base, seeded.project_id, seeded.tokens[0], 5.0)
    assert out["done"] == 1
    assert out["emptied"] is True
    assert out["errors"] == {}
