"""The lead's Label Studio import page: a dry run shows the fields, what did not map and the
counts without writing; Import then brings the project in; a refused file lists its problems."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.importing.test_labelstudio_import import FIXTURES, labels_of
from tests.integration.team import user

pytestmark = pytest.mark.browser


def test_dry_run_then_import(db: Any, open_page: Any, tmp_path: Any) -> None:
    user(db, "admin", admin=True)
    page = open_page("admin")
    page.goto("/admin/labelstudio")
    page.fill("input[name=project]", "street")
    page.set_input_files("input[name=file]", str(FIXTURES / "boxes.json"))
    page.set_input_files("input[name=config]", str(FIXTURES / "boxes_config.xml"))
    page.click("button[value=true]")
    report = page.get_by_test_id("ls-report")
    report.get_by_text("dry run, nothing written").wait_for()
    assert "RectangleLabels label → bbox field label" in report.inner_text()
    assert "PolygonLabels outline: labelcrew has no polygon field kind" in report.inner_text()
    assert labels_of(db, "street") == {}
    page.click("button[value=false]")
    report.get_by_text("street (json): imported").wait_for()
    assert len(labels_of(db, "street")) == 3

    bad = tmp_path / "bad.json"
    bad.write_bytes((FIXTURES / "boxes.json").read_bytes().replace(b'"Car"', b'"Truck"', 1))
    page.fill("input[name=project]", "street-2")
    page.set_input_files("input[name=file]", str(bad))
    page.click("button[value=true]")
    page.get_by_text("'Truck' is not one of").first.wait_for()
