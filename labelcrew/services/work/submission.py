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
from labelcrew.domain.work import submit_rules as rules
from labelcrew.errors import Forbidden, NotFound
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
    rules.check_idempotency_key(idempotency_key)
    value = rules.check_value_shape(value)
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
            seen = None if earlier is None else (earlier.project_id, earlier.item_id)
            if rules.is_replay(seen, project_id=project_id, item_id=item_id):
                assert earlier is not None
                return annotation_dict(earlier, created=False)
        if found_item is None:
            raise NotFound(
                f"no item {item_id} in project {project_id}", code="item_not_found", field="item_id"
            )
        item, lease, _ = found_item
        rules.check_lease(
            item_id=item_id,
            lease_state=None if lease is None else lease.state,
            expires_at=None if lease is None else lease.expires_at,
            now=uow.now,
            is_gold=item.is_gold,
            free_slot=lambda: has_free_slot(conn, item_id, actor.user_id, uow.now),
        )
        assert lease is not None
        assert project.schema_version is not None
        schema = parsed_definition(definition, project.schema_version)
        clean = schema.validate(value, item.payload)
        selfcheck.before_submit(project, clean, checklist)
        gold_correct = (
            rules.gold_correct(schema, clean, work_rows.gold_value(conn, item_id))
            if item.is_gold
            else None
        )
        values = {
            "project_id": project_id,
            "item_id": item_id,
            "annotator_id": actor.user_id,
            "value": clean,
            "schema_version": project.schema_version,
            "guideline_version": member.acknowledged_guideline_version,
            "queue": lease.queue,
            "duration_ms": rules.duration_ms(lease.leased_at, uow.now),
            "idempotency_key": idempotency_key,
            "gold_correct": gold_correct,
            "created_at": uow.now,
            "superseded_at": None,
        }
        stored = work_writes.insert_annotation(conn, values)
        annotation = AnnotationRow(stored.id, item_id, actor.user_id, gold_correct)
        item.annotation_count += 1
        disagrees = routing.live_disagreement(uow, item_id, schema)  # one read, if asked
        if not item.is_gold:
            quality_hooks.after_label(uow, project, item, schema)
            routing.after_submit(uow, item, disagrees)
        if gold_correct is not None and quality_hooks.after_gold_answer(uow, project, member):
            work_writes.set_member_status(conn, member)
        review_queue.enqueue_if_sampled(uow, project, item, member.status, annotation, disagrees)
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
