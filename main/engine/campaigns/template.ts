/** `{{variable}}` placeholders (spaces inside the braces allowed), as in the spec's system_message_template. */
const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g;

/** The names a template uses, in order of first use. */
export function templateVariables(template: string): string[] {
  return [...new Set([...template.matchAll(PLACEHOLDER)].map((m) => m[1]))];
}

/**
 * Fills a template with a lead's values. Names the template uses but the lead lacks are returned in
 * `missing` (and left empty in the text): the dispatcher skips such a lead rather than call with a blank.
 */
export function renderTemplate(template: string, values: Record<string, string>): { text: string; missing: string[] } {
  const missing = new Set<string>();
  const text = template.replace(PLACEHOLDER, (_all, name: string) => {
    const v = values[name];
    if (v === undefined || v === "") {
      missing.add(name);
      return "";
    }
    return v;
  });
  return { text, missing: [...missing] };
}
