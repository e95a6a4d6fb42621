-- The server-side users API (docs/protocol.md §3.15): pages of an app's users in id order.
CREATE INDEX users_by_app ON users (app_id, id);
