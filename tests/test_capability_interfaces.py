"""Capability packages in `labelcrew.services` reach each other only through named
interfaces: the modules below, each with what it offers. A new import of another
capability's internals fails here; widen the list on purpose, with its reason, or go through
an interface that exists. `platform.jobs` is the composition root of the periodic jobs and may
call any capability's job entry point (issue 15: explicit wiring)."""

from __future__ import annotations

import grimp

SERVICES = "labelcrew.services."
INTERFACES = {
    "accounts.users": "the Actor and user lookups every use case takes",
    "platform.events": "audit() and emit(): the audit log and the outbox",
    "projects.projects": "load_project and the project settings",
    "projects.schemas": "schema_for: the label schema a label was made under",
    "projects.batches": "batch rows for handoffs",
    "teamops.privacy": "masking sensitive payload fields per viewer",
    "teamops.settings": "the team-operations settings and their defaults",
    "review.queue": "the submit hook that samples an item for review",
    "review.feedback_settings": "review policy, membership and held-item checks",
    "review.lookups": "reviews and escalations read by other capabilities",
    "review.reviews": "review records for escalations and metrics",
    "quality.hooks": "the submit hooks: overlap policy and membership rules",
    "quality.alerts": "raise_alert",
    "quality.measures": "agreement and gold measures",
    "quality.field_agreement": "every field's agreement (metrics, weekly snapshot, jobs)",
    "work.rows": "the hot path's row types",
    "work.candidates": "the candidate queue the review lease also scans",
    "guidelines.versions": "the current guideline version and its rules",
    "metrics.weekly.snapshot": "the weekly snapshot, which published priorities link to",
    "escalations.counts": "escalation figures by ticket state, as the inbox lists them (metrics)",
    "importing.labelstudio_mapping": "a project's Label Studio config mapping and its members'"
    " e-mails there (the Label Studio export of releases)",
}
COMPOSITION_ROOTS = ("labelcrew.services.platform.jobs",)


def _capability(module: str) -> str | None:
    if not module.startswith(SERVICES) or module.count(".") < 3:
        return None
    return module.split(".")[2]


def _reaches(graph: grimp.ImportGraph) -> set[tuple[str, str]]:
    found = set()
    for importer in graph.modules:
        own = _capability(importer)
        if own is None or importer in COMPOSITION_ROOTS:
            continue
        for imported in graph.find_modules_directly_imported_by(importer):
            other = _capability(imported)
            if other is not None and other != own:
                found.add((importer, imported.removeprefix(SERVICES)))
    return found


def test_capabilities_meet_only_through_their_named_interfaces() -> None:
    graph = grimp.build_graph("labelcrew")
    outside = sorted((a, b) for a, b in _reaches(graph) if b not in INTERFACES)
    assert outside == []


def test_every_named_interface_is_used_and_exists() -> None:
    graph = grimp.build_graph("labelcrew")
    used = {b for _, b in _reaches(graph)}
    assert sorted(set(INTERFACES) - used) == []
    assert all(SERVICES + name in graph.modules for name in INTERFACES)


def test_the_check_sees_a_reach_into_internals() -> None:
    graph = grimp.build_graph("labelcrew")
    graph.add_import(
        importer="labelcrew.services.review.queue",
        imported="labelcrew.services.work.writes",
        line_number=1,
        line_contents="from labelcrew.services.work import writes",
    )
    assert ("labelcrew.services.review.queue", "work.writes") in _reaches(graph)
