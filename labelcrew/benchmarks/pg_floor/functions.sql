-- The same work as statements.sql, as two server-side functions: one round trip for next, one
-- for submit (each its own transaction; submit commits durably). Leaner than the server in
-- every way (no savepoint, no separate token statement, fewer columns read), so what pgbench
-- reaches with these is the most PostgreSQL on this machine gives any design that keeps these
-- reads and writes, before any HTTP or Python cost.
CREATE FUNCTION lc_floor_next(p_project int, p_uid int) RETURNS TABLE(aid int, iid int)
LANGUAGE plpgsql AS $$
DECLARE v_member int; v_iid int; v_aid int;
BEGIN
  PERFORM 1 FROM users JOIN api_tokens ON api_tokens.user_id = users.id WHERE users.id = p_uid;
  SELECT members.id INTO v_member FROM members JOIN projects ON projects.id = members.project_id
    WHERE members.project_id = p_project AND members.user_id = p_uid FOR UPDATE OF members;
  PERFORM 1 FROM assignments
    WHERE project_id = p_project AND annotator_id = p_uid AND state = 'leased';
  SELECT items.id INTO v_iid FROM items
    WHERE items.project_id = p_project AND items.state = 'open' AND items.is_gold = false
      AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.item_id = items.id
                      AND a.annotator_id = p_uid AND a.state != 'released')
      AND items.annotation_count + (SELECT count(*) FROM assignments a WHERE a.item_id = items.id
                      AND a.state = 'leased' AND a.expires_at > now()) < items.overlap_target
      AND items.difficulty IN ('easy', 'normal') AND items.batch_id IS NULL
    ORDER BY items.priority DESC, items.id LIMIT 1 FOR UPDATE SKIP LOCKED;
  PERFORM 1 FROM items WHERE items.id = v_iid;
  INSERT INTO assignments (project_id, item_id, annotator_id, queue, state, leased_at, expires_at)
    VALUES (p_project, v_iid, p_uid, 'annotation', 'leased', now(), now() + interval '15 minutes')
    ON CONFLICT (item_id, annotator_id) DO UPDATE SET state = 'leased',
      leased_at = excluded.leased_at, expires_at = excluded.expires_at, finished_at = NULL
    RETURNING assignments.id INTO v_aid;
  UPDATE members SET served_since_gold = served_since_gold + 1 WHERE members.id = v_member;
  RETURN QUERY SELECT v_aid, v_iid;
END $$;

CREATE FUNCTION lc_floor_submit(p_project int, p_uid int, p_iid int, p_aid int) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE v_annotation int;
BEGIN
  PERFORM 1 FROM users JOIN api_tokens ON api_tokens.user_id = users.id WHERE users.id = p_uid;
  PERFORM 1 FROM members WHERE project_id = p_project AND user_id = p_uid FOR UPDATE;
  PERFORM 1 FROM items LEFT JOIN assignments ON assignments.item_id = items.id
    AND assignments.annotator_id = p_uid WHERE items.id = p_iid FOR UPDATE OF items;
  INSERT INTO annotations (project_id, item_id, annotator_id, value, schema_version, queue,
                           duration_ms, idempotency_key, created_at)
    VALUES (p_project, p_iid, p_uid, '{"sentiment": "positive"}', 1, 'annotation', 3,
            'k' || p_iid, now())
    RETURNING id INTO v_annotation;
  UPDATE assignments SET state = 'submitted', finished_at = now() WHERE id = p_aid;
  UPDATE items SET annotation_count = 1, state = 'done' WHERE id = p_iid;
  INSERT INTO audit_events (at, actor_id, project_id, action, entity_type, entity_id, before, after)
    VALUES (now(), p_uid, p_project, 'annotation.submit', 'annotation', v_annotation, 'null', '{}');
  INSERT INTO outbox_events (project_id, event_type, payload, created_at)
    VALUES (p_project, 'item.annotated', '{}', now());
  RETURN v_annotation;
END $$;
