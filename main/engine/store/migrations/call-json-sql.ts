// The SQL that keeps a call's API JSON (migrations 003 and 004), written once. Frozen like the migrations
// themselves: test/unit/migrations-frozen.test.ts holds the text they produce equal to what databases ran.
// A new Call field means a new expression in a new migration, not an edit here.

/** The Call object of api-v1 as SQLite builds it from a `calls` row, transcript included; 003 had no `ringing_at`. */
export const callJsonObject = (ringingAt: boolean): string => /* sql */ `json_object(
  'id', id, 'status', status, 'direction', direction, 'caller_phone', caller_phone, 'assistant_phone', assistant_phone,
  'agent_phone', assistant_phone, 'agent_id', agent_id, 'number_id', number_id, 'agent_name', agent_name,
  'assistant_name', agent_name, 'business_name', business_name, 'phone_number', phone_number, 'end_reason', end_reason,
  'error', error, ${ringingAt ? "'ringing_at', ringing_at, " : ""}'started_at', started_at, 'ended_at', ended_at, 'duration_seconds', duration_seconds, 'summary', summary,
  'analysis_result', json(analysis_result),
  'messages', (SELECT json_group_array(json_object('role', role, 'content', content, 'at', at) ORDER BY m.id) FROM call_messages m WHERE m.call_id = calls.id),
  'room_name', room_name, 'recording_url', recording_url, 'destination', destination, 'metadata', json(metadata),
  'metrics', json(metrics), 'created_at', created_at, 'updated_at', updated_at)`;

/** Every column the Call object shows (api_json itself is not one). */
export const shownColumns = (ringingAt: boolean): string =>
  "status, direction, caller_phone, assistant_phone, agent_id, number_id, agent_name, business_name, phone_number, " +
  `end_reason, error, ${ringingAt ? "ringing_at, " : ""}started_at, ended_at, duration_seconds, summary, analysis_result, recording_url, room_name, destination, ` +
  "metadata, metrics, created_at, updated_at";

/** Migrations 003/004: the JSON rebuilt whole on every change of the row or of its transcript. */
export const rebuildTriggers = (json: string, shown: string): string => /* sql */ `
CREATE TRIGGER calls_api_json_insert AFTER INSERT ON calls BEGIN
  UPDATE calls SET api_json = ${json} WHERE rowid = NEW.rowid;
END;

CREATE TRIGGER calls_api_json_update AFTER UPDATE OF ${shown} ON calls BEGIN
  UPDATE calls SET api_json = ${json} WHERE rowid = NEW.rowid;
END;

CREATE TRIGGER call_messages_api_json_insert AFTER INSERT ON call_messages BEGIN
  UPDATE calls SET api_json = ${json} WHERE id = NEW.call_id;
END;

CREATE TRIGGER call_messages_api_json_delete AFTER DELETE ON call_messages BEGIN
  UPDATE calls SET api_json = ${json} WHERE id = OLD.call_id;
END;

CREATE TRIGGER call_messages_api_json_update AFTER UPDATE ON call_messages BEGIN
  UPDATE calls SET api_json = ${json} WHERE id IN (OLD.call_id, NEW.call_id);
END;
`;

/** The Call JSON as of migration 004, the shape the API serves now (and listJson builds for live calls). */
export const CALL_JSON = callJsonObject(true);
