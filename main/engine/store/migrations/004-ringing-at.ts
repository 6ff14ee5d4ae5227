// Migration 004: `ringing` leaves the REST status (the documented enum is connecting, in-progress, ended,
// failed); when the far end started ringing is kept in its own column, `ringing_at`, shown on the Call.
// The Call JSON of migration 003 gains that field, so its triggers are rebuilt with it.
const CALL_JSON = /* sql */ `json_object(
  'id', id, 'status', status, 'direction', direction, 'caller_phone', caller_phone, 'assistant_phone', assistant_phone,
  'agent_phone', assistant_phone, 'agent_id', agent_id, 'number_id', number_id, 'agent_name', agent_name,
  'assistant_name', agent_name, 'business_name', business_name, 'phone_number', phone_number, 'end_reason', end_reason,
  'error', error, 'ringing_at', ringing_at, 'started_at', started_at, 'ended_at', ended_at, 'duration_seconds', duration_seconds, 'summary', summary,
  'analysis_result', json(analysis_result),
  'messages', (SELECT json_group_array(json_object('role', role, 'content', content, 'at', at) ORDER BY m.id) FROM call_messages m WHERE m.call_id = calls.id),
  'room_name', room_name, 'recording_url', recording_url, 'destination', destination, 'metadata', json(metadata),
  'metrics', json(metrics), 'created_at', created_at, 'updated_at', updated_at)`;

const SHOWN = "status, direction, caller_phone, assistant_phone, agent_id, number_id, agent_name, business_name, phone_number, " +
  "end_reason, error, ringing_at, started_at, ended_at, duration_seconds, summary, analysis_result, recording_url, room_name, destination, " +
  "metadata, metrics, created_at, updated_at";

export default /* sql */ `
ALTER TABLE calls ADD COLUMN ringing_at TEXT;
UPDATE calls SET ringing_at = updated_at, status = 'connecting' WHERE status = 'ringing';

DROP TRIGGER calls_api_json_insert;
DROP TRIGGER calls_api_json_update;
DROP TRIGGER call_messages_api_json_insert;
DROP TRIGGER call_messages_api_json_delete;
DROP TRIGGER call_messages_api_json_update;

UPDATE calls SET api_json = ${CALL_JSON};

CREATE TRIGGER calls_api_json_insert AFTER INSERT ON calls BEGIN
  UPDATE calls SET api_json = ${CALL_JSON} WHERE rowid = NEW.rowid;
END;

CREATE TRIGGER calls_api_json_update AFTER UPDATE OF ${SHOWN} ON calls BEGIN
  UPDATE calls SET api_json = ${CALL_JSON} WHERE rowid = NEW.rowid;
END;

CREATE TRIGGER call_messages_api_json_insert AFTER INSERT ON call_messages BEGIN
  UPDATE calls SET api_json = ${CALL_JSON} WHERE id = NEW.call_id;
END;

CREATE TRIGGER call_messages_api_json_delete AFTER DELETE ON call_messages BEGIN
  UPDATE calls SET api_json = ${CALL_JSON} WHERE id = OLD.call_id;
END;

CREATE TRIGGER call_messages_api_json_update AFTER UPDATE ON call_messages BEGIN
  UPDATE calls SET api_json = ${CALL_JSON} WHERE id IN (OLD.call_id, NEW.call_id);
END;
`;
