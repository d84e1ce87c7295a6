/*
 * queries.c — every statement of the storage layer, once: its name, its kind, how many arguments it takes, the
 * mapping of its columns onto a struct, and its SQL — portable, with an engine's own text beside it only where
 * the dialects differ (engine_sql). query.c runs any row on any driver; ops.c says which row an operation runs.
 * The row mappings below name the field each column lands in (offsetof, as config.c's settings table does), so
 * a column added to a SELECT is one more line in its mapping and nothing else.
 *
 * Ids come back with INSERT ... RETURNING id (SQLite 3.35 and PostgreSQL alike). Placeholders are numbered,
 * ?1..?n; the PostgreSQL driver rewrites them to $1..$n.
 */
#include "query.h"

#include <stddef.h>

#include "banned.h" /* last: bans footguns in this file only */

/* ---- row mappings ------------------------------------------------------------------------------------- */

#define COL(type, T, f) {type, offsetof(T, f), sizeof(((T *)0)->f), COL_NO_AUX}
#define COLX(type, T, f, aux) {type, offsetof(T, f), sizeof(((T *)0)->f), offsetof(T, aux)}
#define SKIP {COL_SKIP, 0, 0, COL_NO_AUX}
#define ROW_MAP(name, T, ...)                                                                            \
	static const struct col_map name##_cols[] = {__VA_ARGS__};                                        \
	static const struct row_map name = {sizeof(T), sizeof(name##_cols) / sizeof(name##_cols[0]), name##_cols}

/* USER_COLS into the struct store_user at p (p is "" or "member."); listings leave the password hash out */
#define USER_FIELDS(T, p, hash) COL(COL_I64, T, p id), COL(COL_TEXT, T, p public_id), COL(COL_TEXT, T, p username), \
	hash, COL(COL_I64, T, p created_at)

ROW_MAP(user_map, struct store_user, USER_FIELDS(struct store_user, , COL(COL_TEXT, struct store_user, pw_hash)));

#define SESSION_FIELDS(T) COL(COL_I64, T, id), COL(COL_I64, T, user_id), COL(COL_I64, T, device_id), \
	COL(COL_I64, T, created_at), COL(COL_I64, T, expires_at), COL(COL_TEXT, T, device_public_id)
ROW_MAP(session_map, struct store_session, SESSION_FIELDS(struct store_session));
ROW_MAP(session_named_map, struct store_session, SESSION_FIELDS(struct store_session),
	COL(COL_TEXT, struct store_session, device_name));

#define FREQ_FIELDS(T) COL(COL_I64, T, id), COL(COL_TEXT, T, public_id), COL(COL_I64, T, from_user), \
	COL(COL_I64, T, to_user), COL(COL_INT, T, state), COL(COL_I64, T, created_at)
ROW_MAP(freq_map, struct store_friend_request, FREQ_FIELDS(struct store_friend_request));
ROW_MAP(freq_user_map, struct store_friend_request, FREQ_FIELDS(struct store_friend_request),
	USER_FIELDS(struct store_friend_request, other., SKIP));

ROW_MAP(friend_map, struct store_friend, USER_FIELDS(struct store_friend, user., SKIP),
	COL(COL_I64, struct store_friend, since));

#define DEVICE_FIELDS(T) COL(COL_I64, T, id), COL(COL_TEXT, T, public_id), COL(COL_I64, T, user_id), \
	COL(COL_TEXT, T, user_public_id), COL(COL_TEXT, T, name), COL(COL_TEXT, T, sign_pk), COL(COL_TEXT, T, box_pk), \
	COL(COL_I64, T, created_at), COL(COL_I64, T, grant_id), COL(COL_I64, T, app_id), COL(COL_I64, T, grant_revoked_at), \
	COL(COL_I64, T, grant_expires_at), COL(COL_TEXT, T, reg_sig), COLX(COL_BLOB, T, cert, cert_len), \
	COLX(COL_BLOB, T, identity_box, identity_box_len)
ROW_MAP(device_map, struct store_device, DEVICE_FIELDS(struct store_device));
/* with "removed" last: listings and lookups that include removed devices */
ROW_MAP(device_any_map, struct store_device, DEVICE_FIELDS(struct store_device), COL(COL_INT, struct store_device, removed));

ROW_MAP(thread_map, struct store_thread, COL(COL_I64, struct store_thread, id), COL(COL_TEXT, struct store_thread, public_id),
	COL(COL_INT, struct store_thread, kind), COL(COL_I64, struct store_thread, creator),
	COL(COL_I64, struct store_thread, created_at), COL(COL_I64, struct store_thread, last_seq),
	COL(COL_I64, struct store_thread, last_activity), COL(COL_I64, struct store_thread, read_seq),
	COL(COL_I64, struct store_thread, joined_seq), COL(COL_I64, struct store_thread, app_id),
	COL(COL_I64, struct store_thread, chain_length), COL(COL_FIXED, struct store_thread, chain_head));

ROW_MAP(member_map, struct store_member, COL(COL_I64, struct store_member, user_id), COL(COL_TEXT, struct store_member, public_id),
	COL(COL_TEXT, struct store_member, username), COL(COL_I64, struct store_member, joined_seq),
	COL(COL_I64, struct store_member, read_seq));

#define MESSAGE_FIELDS(T, body) COL(COL_I64, T, id), COL(COL_TEXT, T, public_id), COL(COL_I64, T, thread_id), \
	COL(COL_TEXT, T, thread_public_id), COL(COL_I64, T, seq), COL(COL_I64, T, sender_id), \
	COL(COL_TEXT, T, sender_public_id), COL(COL_I64, T, sender_device), COL(COL_TEXT, T, sender_device_public_id), \
	COL(COL_TEXT, T, client_msg_id), COL(COL_TEXT, T, kind), body, COL(COL_I64, T, created_at), \
	COL(COL_I64, T, deleted_at), COL(COL_I64, T, app_id), COL(COL_I64, T, grant_id), COL(COL_TEXT, T, item), \
	COL(COL_TEXT, T, share_public_id)
ROW_MAP(message_map, struct store_message, MESSAGE_FIELDS(struct store_message, COLX(COL_TEXT_REF, struct store_message, body, body_len)));
/* a single message copied out of its row: the body is left NULL (message_by_id gives it) */
ROW_MAP(message_copy_map, struct store_message, MESSAGE_FIELDS(struct store_message, SKIP));

ROW_MAP(event_map, struct store_event, COL(COL_I64, struct store_event, id), COL(COL_I64, struct store_event, seq),
	COL(COL_I64, struct store_event, user_id),
	COL(COL_I64, struct store_event, device_id), COL(COL_TEXT, struct store_event, type),
	COL(COL_I64, struct store_event, ref_id), COL(COL_TEXT_REF, struct store_event, data),
	COL(COL_I64, struct store_event, created_at));

#define APP_FIELDS(T, p) COL(COL_I64, T, p id), COL(COL_TEXT, T, p client_id), COL(COL_TEXT, T, p name), \
	COLX(COL_FIXED, T, p secret_hash, p has_secret), COL(COL_TEXT, T, p redirect_uris), COL(COL_TEXT, T, p scopes), \
	COL(COL_I64, T, p rate_person), COL(COL_I64, T, p rate_app), COL(COL_I64, T, p rate_recipient), \
	COL(COL_INT, T, p suspended), COL(COL_I64, T, p created_at), COL(COL_TEXT, T, p homepage), \
	COL(COL_TEXT, T, p privacy_url)
ROW_MAP(app_map, struct store_app, APP_FIELDS(struct store_app, ));

#define GRANT_FIELDS(T, p) COL(COL_I64, T, p id), COL(COL_TEXT, T, p public_id), COL(COL_I64, T, p app_id), \
	COL(COL_I64, T, p user_id), COL(COL_TEXT, T, p scopes), COL(COL_TEXT, T, p details), COL(COL_I64, T, p created_at), \
	COL(COL_I64, T, p expires_at), COL(COL_I64, T, p revoked_at), COL(COL_I64, T, p last_used_at)
ROW_MAP(grant_map, struct store_grant, GRANT_FIELDS(struct store_grant, ));
ROW_MAP(grant_app_map, struct grant_row, GRANT_FIELDS(struct grant_row, grant.), APP_FIELDS(struct grant_row, app.));

ROW_MAP(code_map, struct store_code, COL(COL_I64, struct store_code, id), COL(COL_I64, struct store_code, grant_id),
	COL(COL_I64, struct store_code, app_id), COL(COL_TEXT, struct store_code, redirect_uri),
	COL(COL_TEXT, struct store_code, challenge), COL(COL_I64, struct store_code, expires_at),
	COL(COL_I64, struct store_code, used_at));

ROW_MAP(token_map, struct store_token, COL(COL_I64, struct store_token, id), COL(COL_INT, struct store_token, kind),
	COL(COL_I64, struct store_token, app_id), COL(COL_I64, struct store_token, grant_id),
	COL(COL_TEXT, struct store_token, scopes), COL(COL_I64, struct store_token, created_at),
	COL(COL_I64, struct store_token, expires_at), COL(COL_I64, struct store_token, revoked_at),
	COL(COL_I64, struct store_token, used_at));

ROW_MAP(share_ref_map, struct share_ref_row, COL(COL_I64, struct share_ref_row, share_id), COL(COL_I64, struct share_ref_row, app_id));
ROW_MAP(consent_state_map, struct consent_state_row, COL(COL_INT, struct consent_state_row, state),
	COL(COL_I64, struct consent_state_row, at));

ROW_MAP(access_map, struct store_access_entry, COL(COL_I64, struct store_access_entry, id),
	COL(COL_I64, struct store_access_entry, user_id), COL(COL_I64, struct store_access_entry, app_id),
	COL(COL_I64, struct store_access_entry, grant_id), COL(COL_TEXT, struct store_access_entry, app_name),
	COL(COL_TEXT, struct store_access_entry, grant_public_id), COL(COL_TEXT, struct store_access_entry, action),
	COL(COL_TEXT, struct store_access_entry, thread_public_id), COL(COL_TEXT, struct store_access_entry, message_public_id),
	COL(COL_I64, struct store_access_entry, count), COL(COL_I64, struct store_access_entry, at),
	COL(COL_I64, struct store_access_entry, seq), COL(COL_TEXT, struct store_access_entry, app_client_id));

ROW_MAP(report_row_map, struct store_report_row, COL(COL_TEXT, struct store_report_row, item),
	COL(COL_I64, struct store_report_row, shares), COL(COL_I64, struct store_report_row, senders),
	COL(COL_I64, struct store_report_row, recipients), COL(COL_I64, struct store_report_row, clicks));
ROW_MAP(report_settings_map, struct store_report_settings, COL(COL_I64, struct store_report_settings, since),
	COL(COL_TEXT, struct store_report_settings, mechanism), COL(COL_I64, struct store_report_settings, epsilon_e4),
	COL(COL_I64, struct store_report_settings, delta_exp), COL(COL_I64, struct store_report_settings, k),
	COL(COL_I64, struct store_report_settings, cap));

ROW_MAP(identity_map, struct store_identity, COL(COL_I64, struct store_identity, user_id),
	COL(COL_FIXED, struct store_identity, id_pk), COLX(COL_BLOB, struct store_identity, statement, statement_len),
	COLX(COL_BLOB, struct store_identity, backup, backup_len), COL(COL_I64, struct store_identity, created_at),
	COL(COL_I64, struct store_identity, changed_at));

/* listings of stored statements: id, statement, created_at */
ROW_MAP(statement_map, struct store_statement, COL(COL_I64, struct store_statement, seq),
	COLX(COL_BLOB_REF, struct store_statement, bytes, len), COL(COL_I64, struct store_statement, created_at));
/* chain links: seq, hash, link, created_at */
ROW_MAP(link_map, struct store_statement, COL(COL_I64, struct store_statement, seq), COL(COL_FIXED, struct store_statement, hash),
	COLX(COL_BLOB_REF, struct store_statement, bytes, len), COL(COL_I64, struct store_statement, created_at));
/* app consents: user id, user public id, state, statement (NULL: none), at */
ROW_MAP(consent_map, struct store_statement, COL(COL_I64, struct store_statement, seq),
	COL(COL_TEXT, struct store_statement, user_public_id), COL(COL_INT, struct store_statement, state),
	COLX(COL_BLOB_REF, struct store_statement, bytes, len), COL(COL_I64, struct store_statement, created_at));
/* witness cosignatures: size, line (its bytes), at */
ROW_MAP(cosig_map, struct store_statement, COL(COL_I64, struct store_statement, seq),
	COLX(COL_BLOB_REF, struct store_statement, bytes, len), COL(COL_I64, struct store_statement, created_at));

ROW_MAP(prekey_map, struct prekey_row, COL(COL_I64, struct prekey_row, id), COL(COL_INT, struct prekey_row, key.kind),
	COL(COL_I64, struct prekey_row, key.key_id), COLX(COL_BLOB, struct prekey_row, key.statement, key.len));
ROW_MAP(prekey_count_map, struct prekey_count_row, COL(COL_I64, struct prekey_count_row, one_time),
	COL(COL_I64, struct prekey_count_row, signed_key_id));

ROW_MAP(blob_map, struct blob_row, COLX(COL_BLOB_REF, struct blob_row, bytes, len));
ROW_MAP(text_map, struct text_row, COLX(COL_TEXT_REF, struct text_row, text, len));

/* ---- the statements ----------------------------------------------------------------------------------- */

#define USER_COLS "u.id, u.public_id, u.username, u.pw_hash, u.created_at"
#define DEVICE_COLS "d.id, d.public_id, d.user_id, u.public_id, d.name, d.sign_pk, d.box_pk, d.created_at, d.grant_id," \
	" COALESCE(g.app_id, 0), COALESCE(g.revoked_at, 0), COALESCE(g.expires_at, 0), d.reg_sig, d.cert, d.identity_box"
#define DEVICE_GRANT " LEFT JOIN grants g ON g.id = d.grant_id"
#define THREAD_COLS "t.id, t.public_id, t.kind, t.creator, t.created_at, t.last_seq, t.last_activity, m.read_seq, m.joined_seq, t.app_id," \
	" t.chain_length, t.chain_head"
#define MESSAGE_COLS "g.id, g.public_id, g.thread_id, t.public_id, g.seq, g.sender_id, u.public_id, g.sender_device," \
	" COALESCE(d.public_id, ''), g.client_msg_id, g.kind, g.body, g.created_at, g.deleted_at, g.app_id, g.grant_id, g.item," \
	" COALESCE((SELECT public_id FROM shares WHERE message_id = g.id), '')"
#define MESSAGE_FROM " FROM messages g JOIN threads t ON t.id = g.thread_id JOIN users u ON u.id = g.sender_id" \
	" LEFT JOIN devices d ON d.id = g.sender_device"

#define APP_COLS "id, client_id, name, secret_hash, redirect_uris, scopes, rate_person, rate_app, rate_recipient, suspended, created_at," \
	" homepage, privacy_url"
#define APP_COLS_A "a.id, a.client_id, a.name, a.secret_hash, a.redirect_uris, a.scopes, a.rate_person, a.rate_app, a.rate_recipient," \
	" a.suspended, a.created_at, a.homepage, a.privacy_url"
#define GRANT_COLS "g.id, g.public_id, g.app_id, g.user_id, g.scopes, g.details, g.created_at, g.expires_at, g.revoked_at, g.last_used_at"

/* A row of the table: its id (enum query_id, whose name it also becomes), kind, argument count, row mapping
 * (NULL: none), portable SQL, and then, only where the dialects differ, [STORE_ENGINE_...] = that engine's text. */
#define QUERY(id, kind, nargs, row, sql, ...) [Q_##id] = {#id, kind, nargs, row, sql, {__VA_ARGS__}}

const struct query query_table[Q__COUNT] = {
	QUERY(USER_INSERT, QK_INT, 4, NULL,
		"INSERT INTO users(public_id, username, pw_hash, created_at) VALUES(?1, ?2, ?3, ?4) RETURNING id"),
	QUERY(USER_BY_NAME, QK_ONE, 1, &user_map,
		"SELECT " USER_COLS " FROM users u WHERE u.username = ?1 AND u.deleted_at = 0"),
	QUERY(USER_BY_PUBLIC, QK_ONE, 1, &user_map,
		"SELECT " USER_COLS " FROM users u WHERE u.public_id = ?1 AND u.deleted_at = 0"),
	QUERY(USER_BY_ID, QK_ONE, 1, &user_map,
		"SELECT " USER_COLS " FROM users u WHERE u.id = ?1"),
	QUERY(SESSION_INSERT, QK_INT, 4, NULL,
		"INSERT INTO sessions(token_hash, user_id, device_id, created_at, expires_at) VALUES(?1, ?2, 0, ?3, ?4) RETURNING id"),
	QUERY(SESSION_BY_HASH, QK_ONE, 1, &session_map,
		"SELECT s.id, s.user_id, COALESCE(d.id, 0), s.created_at, s.expires_at, COALESCE(d.public_id, '') FROM sessions s"
		" LEFT JOIN devices d ON d.id = s.device_id AND d.removed_at = 0 WHERE s.token_hash = ?1"),
	QUERY(SESSION_DELETE, QK_EXEC, 1, NULL,
		"DELETE FROM sessions WHERE id = ?1"),
	QUERY(SESSION_DELETE_OTHERS, QK_EXEC, 2, NULL,
		"DELETE FROM sessions WHERE user_id = ?1 AND id <> ?2"),
	QUERY(SESSION_ALIVE, QK_EXISTS, 2, NULL,
		"SELECT 1 FROM sessions WHERE id = ?1 AND expires_at > ?2"),
	QUERY(SESSION_LIST, QK_EACH, 2, &session_named_map,
		"SELECT s.id, s.user_id, COALESCE(d.id, 0), s.created_at, s.expires_at, COALESCE(d.public_id, ''),"
		" COALESCE(d.name, '') FROM sessions s LEFT JOIN devices d ON d.id = s.device_id AND d.removed_at = 0"
		" WHERE s.user_id = ?1 AND s.expires_at > ?2 ORDER BY s.id"),
	QUERY(USER_SET_PASSWORD, QK_EXEC_HIT, 2, NULL,
		"UPDATE users SET pw_hash = ?2 WHERE id = ?1"),
	QUERY(SESSION_BIND, QK_EXEC, 2, NULL,
		"UPDATE sessions SET device_id = ?2 WHERE id = ?1"),
	QUERY(SESSION_UNBIND, QK_EXEC, 1, NULL,
		"UPDATE sessions SET device_id = 0 WHERE device_id = ?1"),
	QUERY(FREQ_PAIR, QK_ONE, 2, &freq_map,
		"SELECT id, public_id, from_user, to_user, state, created_at FROM friend_requests WHERE from_user = ?1 AND to_user = ?2"),
	QUERY(FREQ_PUBLIC, QK_ONE, 1, &freq_map,
		"SELECT id, public_id, from_user, to_user, state, created_at FROM friend_requests WHERE public_id = ?1"),
	QUERY(FREQ_INSERT, QK_INT, 5, NULL,
		"INSERT INTO friend_requests(public_id, from_user, to_user, state, created_at) VALUES(?1, ?2, ?3, ?4, ?5) RETURNING id"),
	QUERY(FREQ_SET_STATE, QK_EXEC, 3, NULL,
		"UPDATE friend_requests SET state = ?2, created_at = ?3 WHERE id = ?1"),
	QUERY(FREQ_DELETE_PAIR, QK_EXEC, 2, NULL,
		"DELETE FROM friend_requests WHERE (from_user = ?1 AND to_user = ?2) OR (from_user = ?2 AND to_user = ?1)"),
	QUERY(FREQ_INCOMING, QK_EACH, 1, &freq_user_map,
		"SELECT r.id, r.public_id, r.from_user, r.to_user, r.state, r.created_at, " USER_COLS
		" FROM friend_requests r JOIN users u ON u.id = r.from_user WHERE r.to_user = ?1 AND r.state = 0 ORDER BY r.created_at, r.id"),
	QUERY(FREQ_OUTGOING, QK_EACH, 1, &freq_user_map,
		"SELECT r.id, r.public_id, r.from_user, r.to_user, r.state, r.created_at, " USER_COLS
		" FROM friend_requests r JOIN users u ON u.id = r.to_user WHERE r.from_user = ?1 AND r.state = 0 ORDER BY r.created_at, r.id"),
	QUERY(FRIEND_INSERT, QK_EXEC, 3, NULL,
		"INSERT INTO friends(user_id, friend_id, since) VALUES(?1, ?2, ?3), (?2, ?1, ?3)"),
	QUERY(FRIEND_DELETE, QK_EXEC_HIT, 2, NULL,
		"DELETE FROM friends WHERE (user_id = ?1 AND friend_id = ?2) OR (user_id = ?2 AND friend_id = ?1)"),
	QUERY(FRIEND_CHECK, QK_EXISTS, 2, NULL,
		"SELECT 1 FROM friends WHERE user_id = ?1 AND friend_id = ?2"),
	QUERY(FRIEND_LIST, QK_EACH, 1, &friend_map,
		"SELECT " USER_COLS ", f.since FROM friends f JOIN users u ON u.id = f.friend_id WHERE f.user_id = ?1 ORDER BY u.username"),
	QUERY(DEVICE_INSERT, QK_INT, 8, NULL,
		"INSERT INTO devices(public_id, user_id, name, sign_pk, box_pk, created_at, grant_id, reg_sig) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING id"),
	QUERY(DEVICE_BY_PUBLIC, QK_ONE, 1, &device_map,
		"SELECT " DEVICE_COLS " FROM devices d JOIN users u ON u.id = d.user_id" DEVICE_GRANT " WHERE d.public_id = ?1 AND d.removed_at = 0"),
	QUERY(DEVICE_BY_PUBLIC_ANY, QK_ONE, 1, &device_any_map,
		"SELECT " DEVICE_COLS ", d.removed_at <> 0 FROM devices d JOIN users u ON u.id = d.user_id" DEVICE_GRANT
		" WHERE d.public_id = ?1"),
	QUERY(DEVICE_BY_KEY, QK_ONE, 2, &device_map,
		"SELECT " DEVICE_COLS " FROM devices d JOIN users u ON u.id = d.user_id" DEVICE_GRANT
		" WHERE d.user_id = ?1 AND d.sign_pk = ?2 AND d.removed_at = 0 AND d.grant_id = 0"),
	QUERY(DEVICE_FOR_GRANT, QK_ONE, 1, &device_map,
		"SELECT " DEVICE_COLS " FROM devices d JOIN users u ON u.id = d.user_id" DEVICE_GRANT
		" WHERE d.grant_id = ?1 AND d.removed_at = 0 ORDER BY d.id DESC LIMIT 1"),
	QUERY(DEVICES_REMOVE_GRANT, QK_EXEC, 2, NULL,
		"UPDATE devices SET removed_at = ?2 WHERE grant_id = ?1 AND removed_at = 0"),
	QUERY(DEVICE_DELETE, QK_EXEC, 2, NULL,
		"UPDATE devices SET removed_at = ?2 WHERE id = ?1 AND removed_at = 0"),
	QUERY(DEVICE_LIST_USER, QK_EACH, 1, &device_map,
		"SELECT " DEVICE_COLS " FROM devices d JOIN users u ON u.id = d.user_id" DEVICE_GRANT " WHERE d.user_id = ?1 AND d.removed_at = 0 ORDER BY d.id"),
	QUERY(DEVICE_LIST_THREAD, QK_EACH, 1, &device_map,
		"SELECT " DEVICE_COLS " FROM members m JOIN devices d ON d.user_id = m.user_id JOIN users u ON u.id = d.user_id" DEVICE_GRANT
		" WHERE m.thread_id = ?1 AND d.removed_at = 0 ORDER BY d.user_id, d.id"),
	QUERY(SHARE_THREAD, QK_EXISTS, 2, NULL,
		"SELECT 1 FROM members a JOIN members b ON b.thread_id = a.thread_id WHERE a.user_id = ?1 AND b.user_id = ?2 LIMIT 1"),
	QUERY(THREAD_INSERT, QK_INT, 6, NULL,
		"INSERT INTO threads(public_id, kind, direct_key, creator, created_at, last_seq, last_activity, app_id) VALUES(?1, ?2, ?3, ?4, ?5, 0, ?5, ?6) RETURNING id"),
	QUERY(THREAD_BY_DIRECT, QK_ONE, 1, &thread_map,
		"SELECT t.id, t.public_id, t.kind, t.creator, t.created_at, t.last_seq, t.last_activity, 0, 0, t.app_id,"
		" t.chain_length, t.chain_head FROM threads t WHERE t.direct_key = ?1"),
	QUERY(THREAD_FOR_MEMBER, QK_ONE, 2, &thread_map,
		"SELECT " THREAD_COLS " FROM threads t JOIN members m ON m.thread_id = t.id AND m.user_id = ?2 WHERE t.public_id = ?1"),
	QUERY(THREAD_ID_FOR_MEMBER, QK_ONE, 2, &thread_map,
		"SELECT " THREAD_COLS " FROM threads t JOIN members m ON m.thread_id = t.id AND m.user_id = ?2 WHERE t.id = ?1"),
	QUERY(THREAD_LIST, QK_EACH, 4, &thread_map,
		"SELECT " THREAD_COLS " FROM members m JOIN threads t ON t.id = m.thread_id WHERE m.user_id = ?1"
		" AND (?3 = 0 OR t.last_activity < ?2 OR (t.last_activity = ?2 AND t.id < ?3)) ORDER BY t.last_activity DESC, t.id DESC LIMIT ?4"),
	QUERY(MEMBER_ADD, QK_EXEC, 3, NULL,
		"INSERT INTO members(thread_id, user_id, joined_seq, read_seq) VALUES(?1, ?2, ?3, ?3)"),
	QUERY(MEMBER_REMOVE, QK_EXEC_HIT, 2, NULL,
		"DELETE FROM members WHERE thread_id = ?1 AND user_id = ?2"),
	QUERY(MEMBER_LIST, QK_EACH, 1, &member_map,
		"SELECT m.user_id, u.public_id, u.username, m.joined_seq, m.read_seq FROM members m JOIN users u ON u.id = m.user_id"
		" WHERE m.thread_id = ?1 ORDER BY u.username"),
	QUERY(MEMBER_READ, QK_INT, 3, NULL,
		"UPDATE members SET read_seq = MAX(read_seq, MIN(?3, (SELECT last_seq FROM threads WHERE id = ?1)))"
		" WHERE thread_id = ?1 AND user_id = ?2 RETURNING read_seq",
		[STORE_ENGINE_POSTGRES] = "UPDATE members SET read_seq = GREATEST(read_seq, LEAST(?3, (SELECT last_seq FROM threads WHERE id = ?1)))"
		 "WHERE thread_id = ?1 AND user_id = ?2 RETURNING read_seq"),
	QUERY(THREAD_NEXT_SEQ, QK_INT, 2, NULL,
		"UPDATE threads SET last_seq = last_seq + 1, last_activity = MAX(last_activity, ?2) WHERE id = ?1 RETURNING last_seq",
		[STORE_ENGINE_POSTGRES] = "UPDATE threads SET last_seq = last_seq + 1, last_activity = GREATEST(last_activity, ?2) WHERE id = ?1 RETURNING last_seq"),
	QUERY(MESSAGE_INSERT, QK_INT, 12, NULL,
		"INSERT INTO messages(public_id, thread_id, seq, sender_id, sender_device, client_msg_id, kind, body, created_at,"
		" app_id, grant_id, item) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) RETURNING id"),
	QUERY(MESSAGE_BY_CLIENT, QK_ONE, 2, &message_copy_map,
		"SELECT " MESSAGE_COLS MESSAGE_FROM " WHERE g.sender_id = ?1 AND g.client_msg_id = ?2"),
	QUERY(MESSAGE_BY_PUBLIC, QK_ONE, 2, &message_copy_map,
		"SELECT " MESSAGE_COLS MESSAGE_FROM " WHERE g.public_id = ?2 AND g.thread_id = ?1"),
	QUERY(MESSAGE_BY_ID, QK_EACH, 1, &message_map,
		"SELECT " MESSAGE_COLS MESSAGE_FROM " WHERE g.id = ?1"),
	QUERY(MESSAGE_ERASE, QK_EXEC_HIT, 2, NULL,
		"UPDATE messages SET body = NULL, deleted_at = ?2 WHERE id = ?1"),
	QUERY(MESSAGE_LIST_ASC, QK_EACH, 5, &message_map,
		"SELECT " MESSAGE_COLS MESSAGE_FROM " WHERE g.thread_id = ?1 AND g.seq > ?2 AND g.seq > ?3 AND (?4 = 0 OR g.seq < ?4)"
		" ORDER BY g.seq ASC LIMIT ?5"),
	QUERY(MESSAGE_LIST_DESC, QK_EACH, 5, &message_map,
		"SELECT " MESSAGE_COLS MESSAGE_FROM " WHERE g.thread_id = ?1 AND g.seq > ?2 AND g.seq > ?3 AND (?4 = 0 OR g.seq < ?4)"
		" ORDER BY g.seq DESC LIMIT ?5"),
	/* the next number of a user's event log, in the writer's transaction: the counter row stays locked until
	 * commit (PostgreSQL: a row lock; SQLite: one writer), so a user's numbers are taken and committed in the
	 * same order and a reader that sees number n has every number below it too (docs/multinode.md) */
	QUERY(EVENT_SEQ_NEXT, QK_INT, 1, NULL,
		"INSERT INTO event_counters(user_id, n) VALUES(?1, 1)"
		" ON CONFLICT(user_id) DO UPDATE SET n = event_counters.n + 1 RETURNING n"),
	QUERY(EVENT_APPEND, QK_INT, 7, NULL,
		"INSERT INTO events(user_id, seq, device_id, type, ref_id, data, created_at)"
		" VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id"),
	QUERY(EVENT_LIST, QK_EACH, 4, &event_map,
		"SELECT id, seq, user_id, device_id, type, ref_id, data, created_at FROM events"
		" WHERE user_id = ?1 AND seq > ?3 AND (device_id = 0 OR device_id = ?2) ORDER BY seq LIMIT ?4"),
	/* a device is one user's, so its to-device events are numbered in that user's log */
	QUERY(EVENT_PRUNE, QK_EXEC, 2, NULL,
		"DELETE FROM events WHERE device_id = ?1 AND seq <= ?2"),
	QUERY(APP_INSERT, QK_INT, 11, NULL,
		"INSERT INTO apps(client_id, name, secret_hash, redirect_uris, scopes, rate_person, rate_app, rate_recipient, created_at,"
		" homepage, privacy_url) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) RETURNING id"),
	QUERY(APP_BY_CLIENT, QK_ONE, 1, &app_map,
		"SELECT " APP_COLS " FROM apps WHERE client_id = ?1"),
	QUERY(APP_BY_ID, QK_ONE, 1, &app_map,
		"SELECT " APP_COLS " FROM apps WHERE id = ?1"),
	QUERY(APP_LIST, QK_EACH, 0, &app_map,
		"SELECT " APP_COLS " FROM apps ORDER BY id"),
	QUERY(APP_SUSPEND, QK_EXEC_HIT, 2, NULL,
		"UPDATE apps SET suspended = ?2 WHERE id = ?1"),
	QUERY(APP_GENERATION_BUMP, QK_EXEC, 0, NULL,
		"UPDATE app_generation SET n = n + 1 WHERE id = 1"),
	QUERY(APP_GENERATION, QK_INT, 0, NULL,
		"SELECT n FROM app_generation WHERE id = 1"),
	QUERY(APP_DELETE_ALIASES, QK_EXEC, 1, NULL,
		"DELETE FROM app_aliases WHERE app_id = ?1"),
	QUERY(ALIAS_GET, QK_EACH, 2, &text_map,
		"SELECT alias FROM app_aliases WHERE app_id = ?1 AND user_id = ?2"),
	QUERY(ALIAS_SET, QK_EXEC, 3, NULL,
		"INSERT INTO app_aliases(app_id, user_id, alias) VALUES(?1, ?2, ?3)"
		" ON CONFLICT(app_id, user_id) DO UPDATE SET alias = excluded.alias"),
	QUERY(ALIAS_DELETE, QK_EXEC, 2, NULL,
		"DELETE FROM app_aliases WHERE app_id = ?1 AND user_id = ?2"),
	QUERY(APP_SECRET, QK_EXEC, 2, NULL,
		"UPDATE apps SET secret_hash = ?2 WHERE id = ?1"),
	QUERY(APP_DELETE, QK_EXEC_HIT, 1, NULL,
		"DELETE FROM apps WHERE id = ?1"),
	QUERY(APP_DELETE_TOKENS, QK_EXEC, 2, NULL,
		"UPDATE oauth_tokens SET revoked_at = ?2 WHERE app_id = ?1 AND revoked_at = 0"),
	QUERY(APP_DELETE_GRANTS, QK_EXEC, 2, NULL,
		"UPDATE grants SET revoked_at = ?2 WHERE app_id = ?1 AND revoked_at = 0"),
	QUERY(APP_DELETE_DEVICES, QK_EXEC, 2, NULL,
		"UPDATE devices SET removed_at = ?2 WHERE removed_at = 0 AND grant_id IN (SELECT id FROM grants WHERE app_id = ?1)"),
	QUERY(GRANT_INSERT, QK_INT, 7, NULL,
		"INSERT INTO grants(public_id, app_id, user_id, scopes, details, created_at, expires_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id"),
	QUERY(GRANT_BY_ID, QK_ONE, 1, &grant_map,
		"SELECT " GRANT_COLS " FROM grants g WHERE g.id = ?1"),
	QUERY(GRANT_BY_PUBLIC, QK_ONE, 2, &grant_map,
		"SELECT " GRANT_COLS " FROM grants g WHERE g.public_id = ?1 AND g.user_id = ?2"),
	QUERY(GRANT_LIST_USER, QK_EACH, 2, &grant_app_map,
		"SELECT " GRANT_COLS ", " APP_COLS_A " FROM grants g JOIN apps a ON a.id = g.app_id WHERE g.user_id = ?1"
		" ORDER BY (g.revoked_at = 0 AND g.expires_at > ?2) DESC, g.id DESC LIMIT 500"),
	QUERY(GRANT_REVOKE, QK_EXEC, 2, NULL,
		"UPDATE grants SET revoked_at = ?2 WHERE id = ?1 AND revoked_at = 0"),
	QUERY(GRANT_REVOKE_TOKENS, QK_EXEC, 2, NULL,
		"UPDATE oauth_tokens SET revoked_at = ?2 WHERE grant_id = ?1 AND revoked_at = 0"),
	QUERY(GRANT_TOUCH, QK_EXEC, 2, NULL,
		"UPDATE grants SET last_used_at = ?2 WHERE id = ?1"),
	QUERY(GRANT_LIVE, QK_EXISTS, 4, NULL,
		"SELECT 1 FROM grants WHERE app_id = ?1 AND user_id = ?2 AND revoked_at = 0 AND expires_at > ?4"
		" AND (?3 IS NULL OR instr(' ' || scopes || ' ', ' ' || ?3 || ' ') > 0) LIMIT 1",
		[STORE_ENGINE_POSTGRES] = "SELECT 1 FROM grants WHERE app_id = ?1 AND user_id = ?2 AND revoked_at = 0 AND expires_at > ?4"
		 " AND (CAST(?3 AS TEXT) IS NULL OR strpos(' ' || scopes || ' ', ' ' || ?3 || ' ') > 0) LIMIT 1"),
	QUERY(GRANT_THREAD_ADD, QK_EXEC, 2, NULL,
		"INSERT OR IGNORE INTO grant_threads(grant_id, thread_id) VALUES(?1, ?2)",
		[STORE_ENGINE_POSTGRES] = "INSERT INTO grant_threads(grant_id, thread_id) VALUES(?1, ?2) ON CONFLICT DO NOTHING"),
	QUERY(GRANT_THREAD_CHECK, QK_EXISTS, 2, NULL,
		"SELECT 1 FROM grant_threads WHERE grant_id = ?1 AND thread_id = ?2"),
	QUERY(GRANT_THREAD_LIST, QK_EACH, 2, &thread_map,
		"SELECT " THREAD_COLS " FROM grant_threads gt JOIN threads t ON t.id = gt.thread_id"
		" JOIN members m ON m.thread_id = t.id AND m.user_id = ?2 WHERE gt.grant_id = ?1 ORDER BY t.last_activity DESC, t.id DESC LIMIT 500"),
	QUERY(PERMIT_ADD, QK_EXEC, 2, NULL,
		"INSERT OR IGNORE INTO share_permits(grant_id, user_id) VALUES(?1, ?2)",
		[STORE_ENGINE_POSTGRES] = "INSERT INTO share_permits(grant_id, user_id) VALUES(?1, ?2) ON CONFLICT DO NOTHING"),
	QUERY(PERMIT_CHECK, QK_EXISTS, 2, NULL,
		"SELECT 1 FROM share_permits WHERE grant_id = ?1 AND user_id = ?2"),
	QUERY(PERMIT_REMOVE, QK_EXEC, 2, NULL,
		"DELETE FROM share_permits WHERE grant_id = ?1 AND user_id = ?2"),
	QUERY(CODE_INSERT, QK_EXEC, 6, NULL,
		"INSERT INTO oauth_codes(code_hash, grant_id, app_id, redirect_uri, challenge, expires_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6)"),
	QUERY(CODE_GET, QK_ONE, 2, &code_map,
		"SELECT id, grant_id, app_id, redirect_uri, challenge, expires_at, used_at FROM oauth_codes WHERE code_hash = ?1"
		" AND app_id = ?2"),
	QUERY(CODE_USE, QK_EXEC_HIT, 2, NULL,
		"UPDATE oauth_codes SET used_at = ?2 WHERE id = ?1 AND used_at = 0"),
	QUERY(TOKEN_INSERT, QK_INT, 7, NULL,
		"INSERT INTO oauth_tokens(token_hash, kind, app_id, grant_id, scopes, created_at, expires_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id"),
	QUERY(TOKEN_GET, QK_ONE, 1, &token_map,
		"SELECT id, kind, app_id, grant_id, scopes, created_at, expires_at, revoked_at, used_at FROM oauth_tokens WHERE token_hash = ?1"),
	QUERY(TOKEN_BY_ID, QK_ONE, 1, &token_map,
		"SELECT id, kind, app_id, grant_id, scopes, created_at, expires_at, revoked_at, used_at FROM oauth_tokens WHERE id = ?1"),
	QUERY(TOKEN_REVOKE, QK_EXEC, 2, NULL,
		"UPDATE oauth_tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at = 0"),
	QUERY(TOKEN_USE, QK_EXEC_HIT, 2, NULL,
		"UPDATE oauth_tokens SET used_at = ?2 WHERE id = ?1 AND used_at = 0"),
	QUERY(PAIRWISE_PUT, QK_EXEC, 3, NULL,
		"INSERT OR IGNORE INTO pairwise(app_id, pairwise_id, user_id) VALUES(?1, ?2, ?3)",
		[STORE_ENGINE_POSTGRES] = "INSERT INTO pairwise(app_id, pairwise_id, user_id) VALUES(?1, ?2, ?3) ON CONFLICT DO NOTHING"),
	QUERY(PAIRWISE_GET, QK_INT, 2, NULL,
		"SELECT user_id FROM pairwise WHERE app_id = ?1 AND pairwise_id = ?2"),
	QUERY(SHARE_INSERT, QK_EXEC, 9, NULL,
		"INSERT INTO shares(public_id, app_id, grant_id, sender, recipient, thread_id, message_id, item, created_at)"
		" VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"),
	QUERY(SHARE_FOR_RECIPIENT, QK_ONE, 2, &share_ref_map,
		"SELECT s.id, s.app_id FROM shares s JOIN messages g ON g.id = s.message_id WHERE s.public_id = ?1"
		" AND s.recipient = ?2 AND g.deleted_at = 0"),
	QUERY(CLICK_INSERT, QK_EXEC, 3, NULL,
		"INSERT INTO share_clicks(share_id, user_id, at) VALUES(?1, ?2, ?3)"),
	QUERY(SHARE_COUNT, QK_INT, 4, NULL,
		"SELECT COUNT(*) FROM shares WHERE app_id = ?1 AND created_at >= ?4 AND (?2 = 0 OR sender = ?2) AND (?3 = 0 OR recipient = ?3)"),
	QUERY(CONSENT_SET, QK_EXEC, 5, NULL,
		"INSERT INTO app_consents(thread_id, user_id, state, at, statement) VALUES(?1, ?2, ?3, ?4, ?5)"
		" ON CONFLICT(thread_id, user_id) DO UPDATE SET state = excluded.state, at = excluded.at, statement = excluded.statement"),
	QUERY(CONSENT_GET, QK_ONE, 2, &consent_state_map,
		"SELECT state, at FROM app_consents WHERE thread_id = ?1 AND user_id = ?2"),
	QUERY(ACCESS_INSERT, QK_INT, 8, NULL,
		"INSERT INTO access_log(user_id, app_id, grant_id, action, thread_id, message_id, count, at, seq)"
		" VALUES(?1, ?2, ?3, ?4, COALESCE((SELECT id FROM threads WHERE public_id = ?5), 0),"
		" COALESCE((SELECT id FROM messages WHERE public_id = ?6), 0), ?7, ?8,"
		" COALESCE((SELECT MAX(seq) FROM access_log WHERE user_id = ?1), 0) + 1) RETURNING seq"),
	QUERY(ACCESS_LIST, QK_EACH, 4, &access_map,
		"SELECT l.id, l.user_id, l.app_id, l.grant_id, COALESCE(a.name, ''), COALESCE(g.public_id, ''), l.action,"
		" COALESCE(t.public_id, ''), COALESCE(m.public_id, ''), l.count, l.at, l.seq, COALESCE(a.client_id, '') FROM access_log l"
		" LEFT JOIN apps a ON a.id = l.app_id LEFT JOIN grants g ON g.id = l.grant_id LEFT JOIN threads t ON t.id = l.thread_id"
		" LEFT JOIN messages m ON m.id = l.message_id WHERE l.user_id = ?1 AND (?2 = 0 OR l.id < ?2) AND (?4 = 0 OR l.app_id = ?4)"
		" ORDER BY l.id DESC LIMIT ?3"),
	QUERY(REPORT_ROWS, QK_EACH, 4, &report_row_map,
		"WITH k AS (SELECT id, sender, recipient, item FROM (SELECT id, sender, recipient, item,"
		"   ROW_NUMBER() OVER (PARTITION BY sender ORDER BY created_at, id) AS n"
		"   FROM shares WHERE app_id = ?1 AND created_at >= ?2 AND created_at < ?3) AS ranked WHERE n <= ?4),"
		" o AS (SELECT item, COUNT(*) AS n FROM (SELECT k.item,"
		"   ROW_NUMBER() OVER (PARTITION BY c.user_id ORDER BY MIN(c.at), k.item) AS n"
		"   FROM share_clicks c JOIN k ON k.id = c.share_id WHERE c.at < ?3 GROUP BY c.user_id, k.item) AS ranked"
		"  WHERE n <= ?4 GROUP BY item)"
		" SELECT k.item, COUNT(*), COUNT(DISTINCT k.sender), COUNT(DISTINCT k.recipient), COALESCE(MAX(o.n), 0)"
		" FROM k LEFT JOIN o ON o.item = k.item GROUP BY k.item ORDER BY k.item"),
	QUERY(REPORT_SETTINGS_ADD, QK_EXEC, 7, NULL,
		"INSERT INTO report_settings(app_id, since, mechanism, epsilon_e4, delta_exp, k, cap)"
		" VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
	QUERY(REPORT_SETTINGS_AT, QK_ONE, 2, &report_settings_map,
		"SELECT since, mechanism, epsilon_e4, delta_exp, k, cap FROM report_settings"
		" WHERE app_id = ?1 AND since < ?2 ORDER BY since DESC, id DESC LIMIT 1"),
	QUERY(REPORT_GET, QK_EACH, 3, &blob_map,
		"SELECT body FROM reports WHERE app_id = ?1 AND period = ?2 AND format = ?3"),
	QUERY(REPORT_PUT, QK_EXEC, 4, NULL,
		"INSERT OR IGNORE INTO reports(app_id, period, format, body) VALUES(?1, ?2, ?3, ?4)",
		[STORE_ENGINE_POSTGRES] = "INSERT INTO reports(app_id, period, format, body) VALUES(?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING"),
	QUERY(EVENT_COUNT_DEV, QK_INT, 2, NULL,
		"SELECT COUNT(*) FROM events WHERE device_id = ?1 AND seq <= ?2"),
	QUERY(EVENT_LAST, QK_INT, 1, NULL,
		"SELECT COALESCE((SELECT n FROM event_counters WHERE user_id = ?1), 0)"),
	/* the bus's message, sent with the writer's transaction: PostgreSQL delivers a NOTIFY to the listeners only
	 * when that transaction commits, and never when it rolls back. SQLite has no listeners (one node: the bus
	 * is in-process), so the statement only reads its arguments. Each gives one row, whose value is unused. */
	QUERY(BUS_NOTIFY, QK_EXISTS, 2, NULL,
		"SELECT ?1, ?2",
		[STORE_ENGINE_POSTGRES] = "SELECT pg_notify(?1, ?2)"),
	QUERY(IDENTITY_GET, QK_ONE, 1, &identity_map,
		"SELECT user_id, id_pk, statement, backup, created_at, changed_at FROM identities WHERE user_id = ?1"),
	QUERY(IDENTITY_PUT, QK_EXEC, 6, NULL,
		"INSERT INTO identities(user_id, id_pk, statement, backup, created_at, changed_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6)"
		" ON CONFLICT(user_id) DO UPDATE SET id_pk = excluded.id_pk, statement = excluded.statement, backup = excluded.backup,"
		" created_at = excluded.created_at, changed_at = excluded.changed_at"),
	QUERY(IDENTITY_DROP_SIGS, QK_EXEC, 1, NULL,
		"UPDATE devices SET cert = NULL, identity_box = NULL, app_auth = NULL WHERE user_id = ?1"),
	QUERY(DEVICE_SET_CERT, QK_EXEC_HIT, 4, NULL,
		"UPDATE devices SET cert = ?2, identity_box = CASE WHEN ?4 <> 0 THEN ?3 ELSE identity_box END"
		" WHERE id = ?1 AND removed_at = 0"),
	QUERY(REVOCATION_ADD, QK_EXEC, 4, NULL,
		"INSERT INTO device_revocations(user_id, device_id, statement, created_at) VALUES(?1, ?2, ?3, ?4)"),
	QUERY(REVOCATION_LIST, QK_EACH, 1, &statement_map,
		"SELECT id, statement, created_at FROM device_revocations WHERE user_id = ?1 ORDER BY id"),
	QUERY(CONTACT_ADD, QK_EXEC, 3, NULL,
		"INSERT INTO contact_statements(user_id, statement, created_at) VALUES(?1, ?2, ?3)"),
	QUERY(CONTACT_COUNT, QK_INT, 1, NULL,
		"SELECT COUNT(*) FROM contact_statements WHERE user_id = ?1"),
	QUERY(CONTACT_LIST, QK_EACH, 1, &statement_map,
		"SELECT id, statement, created_at FROM contact_statements WHERE user_id = ?1 ORDER BY id"),
	QUERY(TLOG_SIZE, QK_INT, 0, NULL,
		"SELECT COALESCE(MAX(idx) + 1, 0) FROM tlog_leaves"),
	/* appending takes the size as its index: writers of several nodes must do it one after the other. The lock
	 * (a transaction-level advisory lock, key 'tlog') lasts until commit, and the size is read after it, in a
	 * statement of its own whose snapshot sees the appends of whoever held it before. One writer on SQLite. */
	QUERY(TLOG_LOCK, QK_EXISTS, 0, NULL,
		"SELECT 1",
		[STORE_ENGINE_POSTGRES] = "SELECT pg_advisory_xact_lock(1953263463)"),
	QUERY(TLOG_LEAF_PUT, QK_EXEC, 4, NULL,
		"INSERT INTO tlog_leaves(idx, leaf, entry, at) VALUES(?1, ?2, ?3, ?4)"),
	QUERY(TLOG_LEAF_GET, QK_EACH, 1, &blob_map,
		"SELECT leaf FROM tlog_leaves WHERE idx = ?1"),
	QUERY(TLOG_FIND, QK_INT, 2, NULL,
		"SELECT MIN(idx) FROM tlog_leaves WHERE entry = ?1 AND idx < ?2"),
	QUERY(TLOG_NODE_PUT, QK_EXEC, 3, NULL,
		"INSERT INTO tlog_nodes(level, idx, hash) VALUES(?1, ?2, ?3)"),
	QUERY(TLOG_NODE_GET, QK_EACH, 2, &blob_map,
		"SELECT hash FROM tlog_nodes WHERE level = ?1 AND idx = ?2"),
	QUERY(TLOG_COSIG_PUT, QK_EXEC, 4, NULL,
		"INSERT OR REPLACE INTO tlog_cosignatures(size, witness, line, at) VALUES(?1, ?2, ?3, ?4)",
		[STORE_ENGINE_POSTGRES] = "INSERT INTO tlog_cosignatures(size, witness, line, at) VALUES(?1, ?2, ?3, ?4)"
		 " ON CONFLICT(size, witness) DO UPDATE SET line = excluded.line, at = excluded.at"),
	QUERY(TLOG_COSIG_LIST, QK_EACH, 1, &cosig_map,
		"SELECT size, line, at FROM tlog_cosignatures WHERE size = ?1 ORDER BY witness"),
	QUERY(TLOG_COSIG_LATEST, QK_INT, 0, NULL,
		"SELECT MAX(size) FROM tlog_cosignatures"),
	QUERY(USER_LOG_KEY_GET, QK_EACH, 1, &blob_map,
		"SELECT log_key FROM users WHERE id = ?1"),
	QUERY(USER_LOG_KEY_SET, QK_EXEC, 2, NULL,
		"UPDATE users SET log_key = ?2 WHERE id = ?1 AND log_key IS NULL"),
	QUERY(CHAIN_LENGTH, QK_INT, 1, NULL,
		"SELECT chain_length FROM threads WHERE id = ?1"),
	QUERY(CHAIN_BUMP, QK_EXEC_HIT, 3, NULL,
		"UPDATE threads SET chain_length = chain_length + 1, chain_head = ?3 WHERE id = ?1 AND chain_length = ?2"),
	QUERY(CHAIN_INSERT, QK_EXEC, 5, NULL,
		"INSERT INTO chain_links(thread_id, seq, hash, link, created_at) VALUES(?1, ?2, ?3, ?4, ?5)"),
	QUERY(CHAIN_LIST, QK_EACH, 1, &link_map,
		"SELECT seq, hash, link, created_at FROM chain_links WHERE thread_id = ?1 ORDER BY seq"),
	QUERY(PREKEY_DROP_SIGNED, QK_EXEC, 1, NULL,
		"DELETE FROM prekeys WHERE device_id = ?1 AND kind = 2"),
	QUERY(PREKEY_INSERT, QK_EXEC, 5, NULL,
		"INSERT INTO prekeys(device_id, kind, key_id, statement, created_at) VALUES(?1, ?2, ?3, ?4, ?5)"),
	QUERY(PREKEY_COUNT, QK_ONE, 1, &prekey_count_map,
		"SELECT (SELECT COUNT(*) FROM prekeys WHERE device_id = ?1 AND kind = 1),"
		" COALESCE((SELECT key_id FROM prekeys WHERE device_id = ?1 AND kind = 2), -1)"),
	QUERY(PREKEY_SIGNED, QK_ONE, 1, &prekey_map,
		"SELECT id, kind, key_id, statement FROM prekeys WHERE device_id = ?1 AND kind = 2"),
	QUERY(PREKEY_OLDEST, QK_ONE, 1, &prekey_map,
		"SELECT id, kind, key_id, statement FROM prekeys WHERE device_id = ?1 AND kind = 1 ORDER BY id LIMIT 1"),
	QUERY(PREKEY_DELETE, QK_EXEC_HIT, 1, NULL,
		"DELETE FROM prekeys WHERE id = ?1"),
	QUERY(PREKEY_DELETE_DEVICE, QK_EXEC, 1, NULL,
		"DELETE FROM prekeys WHERE device_id = ?1"),
	QUERY(APP_AUTH_SET, QK_EXEC_HIT, 2, NULL,
		"UPDATE devices SET app_auth = ?2 WHERE id = ?1 AND grant_id <> 0"),
	QUERY(APP_REVOKE_SET, QK_EXEC_HIT, 2, NULL,
		"UPDATE devices SET app_revoke = ?2 WHERE id = ?1 AND grant_id <> 0"),
	QUERY(APP_AUTH_GET, QK_EACH, 1, &blob_map,
		"SELECT app_auth FROM devices WHERE id = ?1 AND app_auth IS NOT NULL"),
	QUERY(APP_REVOKE_GET, QK_EACH, 1, &blob_map,
		"SELECT app_revoke FROM devices WHERE id = ?1 AND app_revoke IS NOT NULL"),
	QUERY(APP_DEVICE_LIST, QK_EACH, 1, &device_any_map,
		"SELECT " DEVICE_COLS ", d.removed_at <> 0 FROM devices d JOIN users u ON u.id = d.user_id" DEVICE_GRANT
		" WHERE d.user_id = ?1 AND d.grant_id <> 0 AND (d.removed_at = 0 OR d.app_revoke IS NOT NULL) ORDER BY d.id DESC LIMIT 500"),
	QUERY(CONSENT_LIST, QK_EACH, 1, &consent_map,
		"SELECT c.user_id, u.public_id, c.state, c.statement, c.at FROM app_consents c JOIN users u ON u.id = c.user_id"
		" WHERE c.thread_id = ?1 ORDER BY c.user_id"),
	QUERY(USER_FREE_NAME, QK_EXEC, 2, NULL,
		"UPDATE users SET username = '~' || public_id WHERE username = ?1 AND deleted_at <> 0 AND name_free_at <= ?2"),
	QUERY(ACCOUNT_LIVE, QK_EXISTS, 1, NULL,
		"SELECT 1 FROM users WHERE id = ?1 AND deleted_at = 0"),
	QUERY(ACCOUNT_USER, QK_EXEC_HIT, 3, NULL,
		"UPDATE users SET pw_hash = '!', log_key = NULL, deleted_at = ?2, name_free_at = ?3 WHERE id = ?1 AND deleted_at = 0"),
	QUERY(ACCOUNT_SESSIONS, QK_EXEC, 1, NULL,
		"DELETE FROM sessions WHERE user_id = ?1"),
	QUERY(ACCOUNT_PREKEYS, QK_EXEC, 1, NULL,
		"DELETE FROM prekeys WHERE device_id IN (SELECT id FROM devices WHERE user_id = ?1)"),
	QUERY(ACCOUNT_DEVICES, QK_EXEC, 2, NULL,
		"UPDATE devices SET removed_at = CASE WHEN removed_at = 0 THEN ?2 ELSE removed_at END, cert = NULL,"
		" identity_box = NULL, app_auth = NULL, app_revoke = NULL, name = '' WHERE user_id = ?1"),
	QUERY(ACCOUNT_IDENTITY, QK_EXEC, 1, NULL,
		"DELETE FROM identities WHERE user_id = ?1"),
	QUERY(ACCOUNT_REVOCATIONS, QK_EXEC, 1, NULL,
		"DELETE FROM device_revocations WHERE user_id = ?1"),
	QUERY(ACCOUNT_CONTACTS, QK_EXEC, 1, NULL,
		"DELETE FROM contact_statements WHERE user_id = ?1"),
	QUERY(ACCOUNT_FRIENDS, QK_EXEC, 1, NULL,
		"DELETE FROM friends WHERE user_id = ?1 OR friend_id = ?1"),
	QUERY(ACCOUNT_FREQS, QK_EXEC, 1, NULL,
		"DELETE FROM friend_requests WHERE from_user = ?1 OR to_user = ?1"),
	QUERY(ACCOUNT_MEMBERS, QK_EXEC, 1, NULL,
		"DELETE FROM members WHERE user_id = ?1"),
	QUERY(ACCOUNT_CONSENTS, QK_EXEC, 1, NULL,
		"DELETE FROM app_consents WHERE user_id = ?1"),
	QUERY(ACCOUNT_EVENTS, QK_EXEC, 1, NULL,
		"DELETE FROM events WHERE user_id = ?1"),
	QUERY(ACCOUNT_TO_DEVICE, QK_EXEC, 1, NULL,
		"DELETE FROM events WHERE device_id <> 0 AND type = 'to_device'"
		" AND json_extract(data, '$.from_user_id') = (SELECT public_id FROM users WHERE id = ?1)",
		[STORE_ENGINE_POSTGRES] = "DELETE FROM events WHERE device_id <> 0 AND type = 'to_device'"
		 " AND data::jsonb ->> 'from_user_id' = (SELECT public_id FROM users WHERE id = ?1)"),
	QUERY(ACCOUNT_MESSAGES, QK_EXEC, 2, NULL,
		"UPDATE messages SET body = NULL, item = '', deleted_at = CASE WHEN deleted_at = 0 THEN ?2 ELSE deleted_at END"
		" WHERE sender_id = ?1"),
	QUERY(ACCOUNT_TOKENS, QK_EXEC, 2, NULL,
		"UPDATE oauth_tokens SET revoked_at = ?2 WHERE revoked_at = 0 AND grant_id IN (SELECT id FROM grants WHERE user_id = ?1)"),
	QUERY(ACCOUNT_CODES, QK_EXEC, 2, NULL,
		"UPDATE oauth_codes SET used_at = ?2 WHERE used_at = 0 AND grant_id IN (SELECT id FROM grants WHERE user_id = ?1)"),
	QUERY(ACCOUNT_GRANT_THREADS, QK_EXEC, 1, NULL,
		"DELETE FROM grant_threads WHERE grant_id IN (SELECT id FROM grants WHERE user_id = ?1)"),
	QUERY(ACCOUNT_PERMITS, QK_EXEC, 1, NULL,
		"DELETE FROM share_permits WHERE user_id = ?1 OR grant_id IN (SELECT id FROM grants WHERE user_id = ?1)"),
	QUERY(ACCOUNT_GRANTS, QK_EXEC, 2, NULL,
		"UPDATE grants SET revoked_at = ?2 WHERE user_id = ?1 AND revoked_at = 0"),
	QUERY(ACCOUNT_PAIRWISE, QK_EXEC, 1, NULL,
		"DELETE FROM pairwise WHERE user_id = ?1"),
	QUERY(ACCOUNT_ACCESS, QK_EXEC, 1, NULL,
		"DELETE FROM access_log WHERE user_id = ?1"),
	QUERY(ACCOUNT_CLICKS, QK_EXEC, 1, NULL,
		"DELETE FROM share_clicks WHERE user_id = ?1 OR share_id IN (SELECT id FROM shares WHERE sender = ?1)"),
	QUERY(ACCOUNT_SHARES, QK_EXEC, 1, NULL,
		"DELETE FROM shares WHERE sender = ?1"),
	QUERY(ACCOUNT_ALIASES, QK_EXEC, 1, NULL,
		"DELETE FROM app_aliases WHERE user_id = ?1"),
	QUERY(INVITE_INSERT, QK_EXEC, 3, NULL,
		"INSERT INTO invites(code_hash, created_at, expires_at) VALUES(?1, ?2, ?3)"),
	QUERY(INVITE_USE, QK_EXEC_HIT, 3, NULL,
		"UPDATE invites SET used_at = ?3, used_by = ?2 WHERE code_hash = ?1 AND used_at = 0 AND expires_at > ?3"),
};
