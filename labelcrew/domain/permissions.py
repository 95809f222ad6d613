"""The permission table: which project roles may perform which action. Every route names one
action; `tests/integration/api/test_route_roles.py` walks every route with every role."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ANNOTATOR = "annotator"
    REVIEWER = "reviewer"
    QA = "qa"
    LEAD = "lead"
    GUIDELINE_OWNER = "guideline_owner"


class Action(StrEnum):
    PROJECT_READ = "project.read"
    PROJECT_UPDATE = "project.update"
    MEMBER_READ = "member.read"
    MEMBER_MANAGE = "member.manage"
    SCHEMA_READ = "schema.read"
    SCHEMA_UPDATE = "schema.update"
    GUIDELINE_READ = "guideline.read"
    GUIDELINE_EDIT = "guideline.edit"
    GUIDELINE_PUBLISH = "guideline.publish"
    GUIDELINE_ACKNOWLEDGE = "guideline.acknowledge"
    ITEM_IMPORT = "item.import"
    ITEM_READ = "item.read"
    GOLD_MANAGE = "gold.manage"
    BATCH_READ = "batch.read"
    BATCH_DETAIL_READ = "batch.detail_read"
    BATCH_MANAGE = "batch.manage"
    BATCH_TRANSITION = "batch.transition"
    TASK_WORK = "task.work"
    ANNOTATION_READ = "annotation.read"
    EXPORT = "export"
    AUDIT_READ = "audit.read"
    ALERT_READ = "alert.read"
    ALERT_MANAGE = "alert.manage"
    QUALITY_READ = "quality.read"
    TEAMOPS_PLAN = "teamops.plan"
    TEAMOPS_MANAGE = "teamops.manage"
    COST_READ = "cost.read"
    WEBHOOK_MANAGE = "webhook.manage"
    CALIBRATION_MANAGE = "calibration.manage"
    CALIBRATION_TAKE = "calibration.take"
    RELEASE_READ = "release.read"
    RELEASE_ITEMS_READ = "release.items_read"
    RELEASE_DIFF = "release.diff"
    RELEASE_CREATE = "release.create"
    METRICS_READ = "metrics.read"
    REPORT_READ = "report.read"
    REPORT_PUBLISH = "report.publish"
    REVIEW_WORK = "review.work"
    REVIEW_READ = "review.read"
    FEEDBACK_MANAGE = "feedback.manage"
    FEEDBACK_OWN = "feedback.own"
    ITEM_FLAG = "item.flag"
    COMMENT_READ = "comment.read"
    COMMENT_WRITE = "comment.write"
    ESCALATION_OPEN = "escalation.open"
    ESCALATION_READ = "escalation.read"
    ESCALATION_HANDLE = "escalation.handle"
    ESCALATION_RESOLVE = "escalation.resolve"


ALL_ROLES = frozenset(Role)
STAFF = frozenset({Role.REVIEWER, Role.QA, Role.LEAD, Role.GUIDELINE_OWNER})

PERMISSIONS: dict[Action, frozenset[Role]] = {
    Action.PROJECT_READ: ALL_ROLES,
    Action.PROJECT_UPDATE: frozenset({Role.LEAD}),
    Action.MEMBER_READ: STAFF,
    Action.MEMBER_MANAGE: frozenset({Role.LEAD}),
    Action.SCHEMA_READ: ALL_ROLES,
    Action.SCHEMA_UPDATE: frozenset({Role.LEAD, Role.GUIDELINE_OWNER}),
    Action.GUIDELINE_READ: ALL_ROLES,
    Action.GUIDELINE_EDIT: frozenset({Role.LEAD, Role.GUIDELINE_OWNER}),
    Action.GUIDELINE_PUBLISH: frozenset({Role.GUIDELINE_OWNER}),
    Action.GUIDELINE_ACKNOWLEDGE: ALL_ROLES,
    Action.ITEM_IMPORT: frozenset({Role.LEAD}),
    Action.ITEM_READ: STAFF,
    Action.GOLD_MANAGE: frozenset({Role.LEAD, Role.QA}),
    Action.BATCH_READ: ALL_ROLES,
    # Which items a batch holds, and its live counts, tell an annotator which of their items
    # sit in no batch or never finish: gold. Staff only (issue 14).
    Action.BATCH_DETAIL_READ: STAFF,
    Action.BATCH_MANAGE: frozenset({Role.LEAD}),
    Action.BATCH_TRANSITION: frozenset({Role.LEAD, Role.REVIEWER}),
    Action.TASK_WORK: frozenset({Role.ANNOTATOR}),
    Action.ANNOTATION_READ: STAFF,
    Action.EXPORT: frozenset({Role.LEAD}),
    Action.AUDIT_READ: frozenset({Role.LEAD}),
    Action.ALERT_READ: STAFF,
    Action.ALERT_MANAGE: frozenset({Role.LEAD, Role.QA}),
    Action.QUALITY_READ: STAFF,
    Action.TEAMOPS_PLAN: STAFF,
    Action.TEAMOPS_MANAGE: frozenset({Role.LEAD}),
    Action.COST_READ: frozenset({Role.LEAD}),
    Action.WEBHOOK_MANAGE: frozenset({Role.LEAD}),
    Action.CALIBRATION_MANAGE: frozenset({Role.LEAD, Role.QA}),
    Action.CALIBRATION_TAKE: ALL_ROLES,
    Action.RELEASE_READ: ALL_ROLES,
    # Item-level release data lists only non-gold items: staff only (issue 14).
    Action.RELEASE_ITEMS_READ: STAFF,
    Action.RELEASE_DIFF: STAFF,
    Action.RELEASE_CREATE: frozenset({Role.LEAD}),
    Action.METRICS_READ: STAFF,
    Action.REPORT_READ: ALL_ROLES,
    Action.REPORT_PUBLISH: frozenset({Role.LEAD}),
    Action.REVIEW_WORK: frozenset({Role.REVIEWER, Role.QA, Role.LEAD}),
    Action.REVIEW_READ: STAFF,
    Action.FEEDBACK_MANAGE: frozenset({Role.LEAD, Role.QA}),
    Action.FEEDBACK_OWN: ALL_ROLES,
    Action.ITEM_FLAG: frozenset({Role.ANNOTATOR}),
    Action.COMMENT_READ: ALL_ROLES,
    Action.COMMENT_WRITE: ALL_ROLES,
    Action.ESCALATION_OPEN: frozenset({Role.ANNOTATOR}),
    Action.ESCALATION_READ: ALL_ROLES,
    Action.ESCALATION_HANDLE: frozenset({Role.REVIEWER, Role.QA, Role.LEAD}),
    Action.ESCALATION_RESOLVE: frozenset({Role.GUIDELINE_OWNER}),
}


def allowed(action: Action, roles: frozenset[str] | set[str], *, is_admin: bool = False) -> bool:
    """Admins may do everything; anyone else needs one project role the table lists."""
    if is_admin:
        return True
    return any(role in PERMISSIONS[action] for role in roles)


def parse_roles(values: list[str] | tuple[str, ...]) -> list[str]:
    """Validate role names; raises ValueError naming the unknown one."""
    known = {r.value for r in Role}
    for value in values:
        if value not in known:
            raise ValueError(f"unknown role {value!r}; expected one of {sorted(known)}")
    return sorted(set(values))
