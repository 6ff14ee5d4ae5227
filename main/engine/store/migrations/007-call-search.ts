// Migration 007: `calls_fts`, the full-text index behind GET /calls?q= (issue #15, a local addition). One
// row per call, its rowid the call's: the numbers (caller, callee, the dialled number, a transfer
// destination), the assistant's name and, once the call is over, its transcript. A live call's lines go
// through the write queue one batch at a time; re-indexing the whole transcript on each would cost
// O(lines) per line (the mistake migration 006 undid), so its transcript is indexed once, when the call
// becomes ended/failed, and again only if a line arrives after that. Contentless (the text is already
// in calls and call_messages): the index holds tokens only. Number names are matched at query time from
// the small numbers table, so renaming a number needs no re-index.

const FINAL = "('ended', 'failed')";
const numbersOf = (r: string) =>
  `trim(COALESCE(${r}.caller_phone, '') || ' ' || COALESCE(${r}.assistant_phone, '') || ' ' || COALESCE(${r}.phone_number, '') || ' ' || COALESCE(${r}.destination, ''))`;
const transcriptOf = (id: string) =>
  `COALESCE((SELECT group_concat(content, ' ') FROM call_messages WHERE call_id = ${id}), '')`;
/** The index row of the call `r` (a row of calls: NEW, or a table alias). */
const row = (r: string) =>
  `${r}.rowid, ${numbersOf(r)}, COALESCE(${r}.agent_name, ''), CASE WHEN ${r}.status IN ${FINAL} THEN ${transcriptOf(`${r}.id`)} ELSE '' END`;
const reindexCall = (id: string) => `
  DELETE FROM calls_fts WHERE rowid = (SELECT rowid FROM calls WHERE id = ${id});
  INSERT INTO calls_fts (rowid, numbers, assistant, transcript) SELECT ${row("c")} FROM calls c WHERE c.id = ${id};`;

export default /* sql */ `
CREATE VIRTUAL TABLE calls_fts USING fts5(
  numbers, assistant, transcript,
  content = '', contentless_delete = 1,
  tokenize = 'unicode61 remove_diacritics 2',
  prefix = '2 3'
);

INSERT INTO calls_fts (rowid, numbers, assistant, transcript) SELECT ${row("c")} FROM calls c;

CREATE TRIGGER calls_fts_insert AFTER INSERT ON calls BEGIN
  INSERT INTO calls_fts (rowid, numbers, assistant, transcript) VALUES (${row("NEW")});
END;

-- A few times per call (status changes), and the transcript read once: when the call ends.
CREATE TRIGGER calls_fts_update AFTER UPDATE OF status, caller_phone, assistant_phone, phone_number, destination, agent_name ON calls BEGIN
  DELETE FROM calls_fts WHERE rowid = OLD.rowid;
  INSERT INTO calls_fts (rowid, numbers, assistant, transcript) VALUES (${row("NEW")});
END;

CREATE TRIGGER calls_fts_delete AFTER DELETE ON calls BEGIN
  DELETE FROM calls_fts WHERE rowid = OLD.rowid;
END;

-- A live call's line costs this WHEN (one primary-key lookup); a late line of a finished call re-indexes it.
CREATE TRIGGER call_messages_fts_insert AFTER INSERT ON call_messages
WHEN (SELECT status FROM calls WHERE id = NEW.call_id) IN ${FINAL} BEGIN
  ${reindexCall("NEW.call_id")}
END;

CREATE TRIGGER call_messages_fts_delete AFTER DELETE ON call_messages
WHEN (SELECT status FROM calls WHERE id = OLD.call_id) IN ${FINAL} BEGIN
  ${reindexCall("OLD.call_id")}
END;

CREATE TRIGGER call_messages_fts_update AFTER UPDATE OF content ON call_messages
WHEN (SELECT status FROM calls WHERE id = NEW.call_id) IN ${FINAL} BEGIN
  ${reindexCall("NEW.call_id")}
END;
`;
