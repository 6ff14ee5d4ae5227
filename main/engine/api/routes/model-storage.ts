import { Type } from "@sinclair/typebox";
import { readdir, stat, statfs } from "node:fs/promises";
import { join } from "node:path";
import type { ApiRoutes } from "../context.js";
import { errorResponses } from "../schemas/common.js";

const Storage = Type.Object({
  used_bytes: Type.Integer({
    minimum: 0,
    description: "bytes of every file in the models folder, partial downloads included",
  }),
  partial_bytes: Type.Integer({ minimum: 0, description: "of which unfinished downloads (.part files)" }),
  free_bytes: Type.Integer({ minimum: 0, description: "space left for this user on the disk that holds the models" }),
  total_bytes: Type.Integer({ minimum: 0, description: "size of that disk" }),
});

/** Sums the folder's files; a folder that does not exist yet (nothing downloaded) holds nothing. */
async function usage(dir: string): Promise<{ used: number; partial: number }> {
  const names = await readdir(dir).catch(() => [] as string[]);
  let used = 0;
  let partial = 0;
  for (const name of names) {
    const s = await stat(join(dir, name)).catch(() => null);
    if (!s?.isFile()) continue;
    used += s.size;
    if (name.endsWith(".part")) partial += s.size;
  }
  return { used, partial };
}

/** The nearest existing folder, so a fresh install can tell its free space before the first download. */
async function existing(dir: string): Promise<string> {
  let d = dir;
  for (;;) {
    if (await stat(d).catch(() => null)) return d;
    const parent = join(d, "..");
    if (parent === d) return d;
    d = parent;
  }
}

export const modelStorageRoutes: ApiRoutes = async (app, { ctx }) => {
  app.get(
    "/models/storage",
    {
      schema: {
        tags: ["models"],
        summary: "Disk used by downloaded models and the free space left",
        description:
          "Local addition: lets a client tell before a download whether the model fits (compare with a model's size_bytes).",
        response: { 200: Type.Object({ storage: Storage }), ...errorResponses },
      },
    },
    async () => {
      const dir = ctx.models.dir;
      const { used, partial } = await usage(dir);
      const fs = await statfs(await existing(dir));
      return {
        storage: {
          used_bytes: used,
          partial_bytes: partial,
          free_bytes: fs.bavail * fs.bsize,
          total_bytes: fs.blocks * fs.bsize,
        },
      };
    },
  );
};
