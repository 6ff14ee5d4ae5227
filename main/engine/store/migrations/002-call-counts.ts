// Migration 002: calls per UTC day and status, kept by triggers, so GET /calls can report
// pagination.total over long ranges without counting every row (COUNT over 1M rows took 18 ms).
export default /* sql */ `
CREATE TABLE call_counts (
  day TEXT NOT NULL,               -- UTC date of created_at, YYYY-MM-DD
  status TEXT NOT NULL,
  n INTEGER NOT NULL,
  PRIMARY KEY (day, status)
) WITHOUT ROWID;

INSERT INTO call_counts (day, status, n) SELECT substr(created_at, 1, 10), status, COUNT(*) FROM calls GROUP BY 1, 2;

CREATE TRIGGER call_counts_insert AFTER INSERT ON calls BEGIN
  INSERT INTO call_counts (day, status, n) VALUES (substr(NEW.created_at, 1, 10), NEW.status, 1)
    ON CONFLICT(day, status) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER call_counts_delete AFTER DELETE ON calls BEGIN
  UPDATE call_counts SET n = n - 1 WHERE day = substr(OLD.created_at, 1, 10) AND status = OLD.status;
END;

CREATE TRIGGER call_counts_update AFTER UPDATE OF status, created_at ON calls
  WHEN OLD.status IS NOT NEW.status OR OLD.created_at IS NOT NEW.created_at BEGIN
  UPDATE call_counts SET n = n - 1 WHERE day = substr(OLD.created_at, 1, 10) AND status = OLD.status;
  INSERT INTO call_counts (day, status, n) VALUES (substr(NEW.created_at, 1, 10), NEW.status, 1)
    ON CONFLICT(day, status) DO UPDATE SET n = n + 1;
END;
`;
