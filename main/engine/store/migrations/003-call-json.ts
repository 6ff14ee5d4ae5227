// Migration 003: each call keeps its API representation (the Call object of api-v1, transcript included)
// as JSON text, rebuilt by triggers whenever the call or its transcript changes. GET /calls then reads
// 100 ready strings instead of building 100 objects of 27 fields (0.2 ms of SQLite JSON building, or
// 0.6 ms in JavaScript, per page); measured in bench/README.md. test/unit/call-json.test.ts holds the
// text equal, byte for byte, to what the object path (CallRepo.get / list) serialises.
const CALL_JSON = /* sql */ `json_object(
  'id', id, 'status', status, 'direction', direction, 'caller_phone', caller_phone, 'assistant_phone', assistant_phone,
  'agent_phone', assistant_phone, 'agent_id', agent_id, 'number_id', number_id, 'agent_name', agent_name,
  'assistant_name', agent_name, 'business_name', business_name, 'phone_number', phone_number, 'end_reason', end_reason,
  'error', error, 'started_at', started_at, 'ended_at', ended_at, 'duration_seconds', duration_seconds, 'summary', summary,
  'analysis_result', json(analysis_result),
  'messages', (SELECT json_group_array(json_object('role', role, 'content', content, 'at', at) ORDER BY m.id) FROM call_messages m WHERE m.call_id = calls.id),
  'room_name', room_name, 'recording_url', recording_url, 'destination', destination, 'metadata', json(metadata),
  'metrics', json(metrics), 'created_at', created_at, 'updated_at', updated_at)`;

/** Every column the Call object shows: a change to any of them rebuilds the JSON (api_json itself is not one). */
const SHOWN = "status, direction, caller_phone, assistant_phone, agent_id, number_id, agent_name, business_name, phone_number, " +
  "end_reason, error, started_at, ended_at, duration_seconds, summary, analysis_result, recording_url, room_name, destination, " +
  "metadata, metrics, created_at, updated_at";

export default /* sql */ `
ALTER TABLE calls ADD COLUMN api_json TEXT;
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
