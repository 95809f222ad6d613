-- One item through the two functions of functions.sql (pgbench -D first_uid, annotators, project).
\set uid :first_uid + :client_id % :annotators
SELECT aid, iid FROM lc_floor_next(:project, :uid) \gset
SELECT lc_floor_submit(:project, :uid, :iid, :aid);
