// Migration 006: a live call's JSON is no longer kept in `calls.api_json`. Migrations 003/004 rebuilt the
// whole Call, every transcript line included, on each line and each change of the row: O(lines) per
// line, growing through a long call, on the main thread (issue #18; bench/README.md §writes). Now the
// stored JSON is a finished call's (status ended or failed), built when the call ends and when it changes
// after that (metrics, summary, analysis, a late line); while the call is live api_json is NULL and
// CallRepo.listJson builds it at read time with the same expression, so the API's bytes are unchanged.
// The list benchmark reads finished calls, whose JSON is still stored.
import { CALL_JSON, shownColumns } from "./call-json-sql.js";

const FINAL = "('ended', 'failed')";
const SHOWN = shownColumns(true);

export default /* sql */ `
DROP TRIGGER calls_api_json_insert;
DROP TRIGGER calls_api_json_update;
DROP TRIGGER call_messages_api_json_insert;
DROP TRIGGER call_messages_api_json_delete;
DROP TRIGGER call_messages_api_json_update;

UPDATE calls SET api_json = NULL WHERE status NOT IN ${FINAL};

CREATE TRIGGER calls_api_json_insert AFTER INSERT ON calls WHEN NEW.status IN ${FINAL} BEGIN
  UPDATE calls SET api_json = ${CALL_JSON} WHERE rowid = NEW.rowid;
END;

CREATE TRIGGER calls_api_json_update AFTER UPDATE OF ${SHOWN} ON calls WHEN NEW.status IN ${FINAL} BEGIN
  UPDATE calls SET api_json = ${CALL_JSON} WHERE rowid = NEW.rowid;
END;

-- A row that is not final keeps no JSON (only reachable by writing the status directly).
CREATE TRIGGER calls_api_json_live AFTER UPDATE OF ${SHOWN} ON calls WHEN NEW.status NOT IN ${FINAL} AND NEW.api_json IS NOT NULL BEGIN
  UPDATE calls SET api_json = NULL WHERE rowid = NEW.rowid;
END;

-- Lines of a live call cost their INSERT and one primary-key lookup here, nothing that grows.
CREATE TRIGGER call_messages_api_json_insert AFTER INSERT ON call_messages BEGIN
  UPDATE calls SET api_json = ${CALL_JSON} WHERE id = NEW.call_id AND status IN ${FINAL};
END;

CREATE TRIGGER call_messages_api_json_delete AFTER DELETE ON call_messages BEGIN
  UPDATE calls SET api_json = ${CALL_JSON} WHERE id = OLD.call_id AND status IN ${FINAL};
END;

CREATE TRIGGER call_messages_api_json_update AFTER UPDATE ON call_messages BEGIN
  UPDATE calls SET api_json = ${CALL_JSON} WHERE id IN (OLD.call_id, NEW.call_id) AND status IN ${FINAL};
END;
`;
