// Migration 003: each call keeps its API representation (the Call object of api-v1, transcript included)
// as JSON text, rebuilt by triggers whenever the call or its transcript changes. GET /calls then reads
// 100 ready strings instead of building 100 objects of 27 fields (0.2 ms of SQLite JSON building, or
// 0.6 ms in JavaScript, per page); measured in bench/README.md. test/unit/call-json.test.ts holds the
// text equal, byte for byte, to what the object path (CallRepo.get / list) serialises.
import { callJsonObject, rebuildTriggers, shownColumns } from "./call-json-sql.js";

const CALL_JSON = callJsonObject(false);

export default /* sql */ `
ALTER TABLE calls ADD COLUMN api_json TEXT;
UPDATE calls SET api_json = ${CALL_JSON};
${rebuildTriggers(CALL_JSON, shownColumns(false))}`;
