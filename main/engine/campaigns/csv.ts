/** RFC 4180 CSV: quoted fields may hold commas, quotes ("") and line breaks; CRLF or LF; a BOM is dropped. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  const s = text.replace(/^\uFEFF/, "");
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (quoted) {
      if (ch === '"' && s[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field === "") quoted = true;
    else if (ch === ",") {
      row.push(field);
      field = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && s[i + 1] === "\n") i++;
      row.push(field);
      field = "";
      rows.push(row);
      row = [];
    } else field += ch;
  }
  if (field !== "" || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => r.some((f) => f.trim() !== ""));
}

export const E164_RE = /^\+[1-9][0-9]{6,14}$/;

/** A number as people write it ("+31 6 1234-5678", "0031…", "(+31) 6…") → E.164, or null. */
export function toE164(text: string): string | null {
  let n = text.trim().replace(/[\s().\-/]/g, "");
  if (n.startsWith("00")) n = "+" + n.slice(2);
  return E164_RE.test(n) ? n : null;
}

/** Header names that mean the phone number or the name when no mapping says otherwise. */
const PHONE_HEADERS = new Set(["phone_number", "phone", "phonenumber", "number", "telephone", "tel", "mobile"]);
const NAME_HEADERS = new Set(["name", "full_name", "fullname"]);

export interface CsvLead {
  row: number;
  phone_number: string;
  name?: string;
  variables: Record<string, string>;
}
export interface CsvError {
  row: number;
  message: string;
}

/**
 * Turns a CSV (first line = headers) into leads. `mapping` maps a header to `phone_number`, `name`, a
 * variable name, or null to drop the column; unmapped headers become variables under their own name.
 * Each bad row is reported by its line number (the header is row 1) and the rest still import.
 */
export function leadsFromCsv(
  text: string,
  mapping: Record<string, string | null> = {},
): { leads: CsvLead[]; errors: CsvError[]; columns: Record<string, string | null> } {
  const rows = parseCsv(text);
  if (rows.length === 0)
    return {
      leads: [],
      errors: [{ row: 1, message: "the file is empty: the first line must name the columns" }],
      columns: {},
    };
  const headers = rows[0].map((h) => h.trim());
  for (const key of Object.keys(mapping)) {
    if (!headers.includes(key))
      return {
        leads: [],
        errors: [
          { row: 1, message: `mapping names column '${key}', which is not in the header (${headers.join(", ")})` },
        ],
        columns: {},
      };
  }
  const target = headers.map((h) =>
    h in mapping
      ? mapping[h]
      : PHONE_HEADERS.has(h.toLowerCase())
        ? "phone_number"
        : NAME_HEADERS.has(h.toLowerCase())
          ? "name"
          : h,
  );
  const columns = Object.fromEntries(headers.map((h, i) => [h, target[i]]));
  if (!target.includes("phone_number")) {
    return {
      leads: [],
      errors: [
        {
          row: 1,
          message: `no phone number column: name one phone_number (or map a column to it); columns are ${headers.join(", ")}`,
        },
      ],
      columns,
    };
  }
  const leads: CsvLead[] = [];
  const errors: CsvError[] = [];
  rows.slice(1).forEach((cells, i) => {
    const row = i + 2;
    if (cells.length > headers.length) {
      errors.push({ row, message: `${cells.length} fields but ${headers.length} columns (an unquoted comma?)` });
      return;
    }
    const lead: CsvLead = { row, phone_number: "", variables: {} };
    let raw = "";
    target.forEach((t, j) => {
      const v = (cells[j] ?? "").trim();
      if (t === null || t === "") return;
      if (t === "phone_number") raw = v;
      else if (t === "name") {
        if (v) lead.name = v;
      } else if (v !== "") lead.variables[t] = v;
    });
    const e164 = toE164(raw);
    if (!e164) {
      errors.push({
        row,
        message: raw
          ? `'${raw}' is not a phone number in international form (E.164, e.g. +31612345678)`
          : "no phone number",
      });
      return;
    }
    lead.phone_number = e164;
    leads.push(lead);
  });
  return { leads, errors, columns };
}
