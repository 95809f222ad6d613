"""The hot path, part two: submit an annotation.

One unit of work: honour the idempotency key, check the lease, validate the value against the
project's current schema version, then write the annotation, close the assignment, update the
item's counters and append the audit and outbox events. Once the call returns, the annotation is
committed (SQLite synchronous=FULL in WAL mode; PostgreSQL commit), so an acknowledged submit
survives a crash.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row

from labelcrew.db.models.core import Annotation
from labelcrew.errors import Conflict, Forbidden, NotFound, ValidationFailed
from labelcrew.services.accounts.users import Actor
from labelcrew.services.platform.events import audit, emit
from labelcrew.services.projects.schemas import parsed_definition
from labelcrew.services.quality import hooks as quality_hooks
from labelcrew.services.review import queue as review_queue
from labelcrew.services.uow import Database
from labelcrew.services.work import difficulty_hooks as routing
from labelcrew.services.work import rows as work_rows
from labelcrew.services.work import selfcheck
from labelcrew.services.work import writes as work_writes
from labelcrew.services.work.candidates import has_free_slot
from labelcrew.services.work.rows import AnnotationRow


def annotation_dict(a: Annotation | Row[Any], *, created: bool) -> dict[str, Any]:
    """A stored label as the API returns it (from the model or from a `work_rows` row)."""
    return {
        "annotation_id": a.id,
        "item_id": a.item_id,
        "value": a.value,
        "schema_version": a.schema_version,
        "guideline_version": a.guideline_version,
        "duration_ms": a.duration_ms,
        "created_at": a.created_at.isoformat(),
        "created": created,
    }


def submit(
    db: Database,
    actor: Actor,
    project_id: int,
    item_id: int,
    value: Any,
    *,
    idempotency_key: str | None,
    checklist: list[str] | None = None,
) -> dict[str, Any]:
    if idempotency_key is not None and not 1 <= len(idempotency_key) <= 200:
        raise ValidationFailed(
            "Idempotency-Key must have 1 to 200 characters", field="Idempotency-Key"
        )
    if not isinstance(value, dict):
        raise ValidationFailed("value must be an object keyed by schema field", field="value")
    with db.uow() as uow:
        conn = uow.conn
        found = work_rows.context(conn, project_id, actor.user_id, with_schema=True)
        if found is None or "annotator" not in found[1].roles:
            raise Forbidden(
                "only annotators of this project submit labels", code="not_an_annotator"
            )
        project, member, definition = found
        found_item = work_rows.item_and_lease(
            conn, project_id, item_id, actor.user_id, idempotency_key
        )
        if idempotency_key is not None and (found_item is None or found_item[2] is not None):
            earlier = work_rows.earlier_annotation(conn, actor.user_id, idempotency_key)
            if earlier is not None:
                if earlier.item_id != item_id or earlier.project_id != project_id:
                    raise Conflict(
                        "this Idempotency-Key was used for another item",
                        code="idempotency_key_reused",
                        field="Idempotency-Key",
                    )
                return annotation_dict(earlier, created=False)
        if found_item is None:
            raise NotFound(
                f"no item {item_id} in project {project_id}", code="item_not_found", field="item_id"
            )
        item, lease, _ = found_item
        if lease is None or lease.state != "leased":
            raise Conflict(
                f"you hold no lease on item {item_id}; call next first",
                code="no_lease",
                field="item_id",
            )
        if (
            lease.expires_at <= uow.now
            and not item.is_gold
            and not has_free_slot(conn, item_id, actor.user_id, uow.now)
        ):
            raise Conflict(
                "your lease expired and the item went to someone else",
                code="lease_expired",
                field="item_id",
            )
        assert project.schema_version is not None
        schema = parsed_definition(definition, project.schema_version)
        clean = schema.validate(value, item.payload)
        selfcheck.before_submit(project, clean, checklist)
        gold_correct = None
        if item.is_gold:
            expected = work_rows.gold_value(conn, item_id)
            if expected is not None:
                gold_correct = all(
                    schema.is_correct(name, clean.get(name), want)
                    for name, want in expected.items()
                )
        values = {
            "project_id": project_id,
            "item_id": item_id,
            "annotator_id": actor.user_id,
            "value": clean,
            "schema_version": project.schema_version,
            "guideline_version": member.acknowledged_guideline_version,
            "queue": lease.queue,
            "duration_ms": int((uow.now - lease.leased_at).total_seconds() * 1000),
            "idempotency_key": idempotency_key,
            "gold_correct": gold_correct,
            "created_at": uow.now,
            "superseded_at": None,
        }
        stored = work_writes.insert_annotation(conn, values)
        annotation = AnnotationRow(stored.id, item_id, actor.user_id, gold_correct)
        item.annotation_count += 1
        if not item.is_gold:
            quality_hooks.after_label(uow, project, item, schema)
            routing.after_submit(uow, item, schema, clean)
        if gold_correct is not None and quality_hooks.after_gold_answer(uow, project, member):
            work_writes.set_member_status(conn, member)
        review_queue.enqueue_if_sampled(uow, project, item, member.status, annotation, schema)
        with work_writes.batched(conn):  # the hooks above read labels, never these rows
            work_writes.close_lease(conn, lease, "submitted", uow.now)
            work_writes.set_item_counts(conn, item)
            audit(
                uow,
                actor_id=actor.user_id,
                action="annotation.submit",
                entity_type="annotation",
                entity_id=annotation.id,
                project_id=project_id,
                after={
                    "item_id": item_id,
                    "schema_version": project.schema_version,
                    "guideline_version": member.acknowledged_guideline_version,
                },
            )
            emit(
                uow,
                project_id=project_id,
                event_type="item.annotated",
                payload={
                    "project_id": project_id,
                    "item_id": item_id,
                    "annotation_id": annotation.id,
                    "annotator_id": actor.user_id,
                },
            )
        result = annotation_dict(stored, created=True)
        uow.commit()
        return result
