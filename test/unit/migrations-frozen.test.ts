import { describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { migrations } from "../../main/engine/store/migrations/index.js";

// Migrations 003 and 004 are built from one shared text (store/migrations/call-json-sql.ts). Databases
// have run what they said when they were written: the text they produce must never change.
describe("released migrations", () => {
  const sha = (version: number) =>
    createHash("sha256")
      .update(migrations.find((m) => m.version === version)!.sql)
      .digest("hex");
  it("003 and 004 say exactly what they said when they were released", () => {
    expect(sha(3)).toBe("5352504e1d2982e60ec6e2967ef947f7409193a4423a9b865b39f51651b2d3d3");
    expect(sha(4)).toBe("df5f7f6f3ac0ba541d767dcb11b3cc95e671809f31514cddce7e78f820669d12");
  });
});
