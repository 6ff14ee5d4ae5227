/** Kept in step with package.json by hand; a bundled build cannot read package.json at run time. */
export const VERSION = "0.1.0";
