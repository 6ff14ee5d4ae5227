// Migration 004: `ringing` leaves the REST status (the documented enum is connecting, in-progress, ended,
// failed); when the far end started ringing is kept in its own column, `ringing_at`, shown on the Call.
// The Call JSON of migration 003 gains that field, so its triggers are rebuilt with it.
import { callJsonObject, rebuildTriggers, shownColumns } from "./call-json-sql.js";

const CALL_JSON = callJsonObject(true);

export default /* sql */ `
ALTER TABLE calls ADD COLUMN ringing_at TEXT;
UPDATE calls SET ringing_at = updated_at, status = 'connecting' WHERE status = 'ringing';

DROP TRIGGER calls_api_json_insert;
DROP TRIGGER calls_api_json_update;
DROP TRIGGER call_messages_api_json_insert;
DROP TRIGGER call_messages_api_json_delete;
DROP TRIGGER call_messages_api_json_update;

UPDATE calls SET api_json = ${CALL_JSON};
${rebuildTriggers(CALL_JSON, shownColumns(true))}`;
