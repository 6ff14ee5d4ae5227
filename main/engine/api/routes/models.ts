import { Type } from "@sinclair/typebox";
import type { ApiRoutes } from "../context.js";
import { ApiError } from "../errors.js";
import { ErrorBody, errorResponses, IdParams, IsoDateTime, Nullable, StringEnum } from "../schemas/common.js";
import { DOWNLOAD_STATES, MODEL_KINDS, ModelError, type ModelErrorReason } from "../../models/index.js";

const Sha256 = Type.String({ pattern: "^[0-9a-f]{64}$" });

const Download = Type.Object(
  {
    state: StringEnum(DOWNLOAD_STATES, "downloading → verifying → installed; or failed / cancelled"),
    received_bytes: Type.Integer({ minimum: 0 }),
    total_bytes: Nullable(
      Type.Integer({ minimum: 0, description: "null until the server or the catalogue tells the size" }),
    ),
    error: Nullable(Type.String({ description: "why it failed, and what to do" })),
    sha256: Type.Record(Type.String(), Sha256, { description: "sha256 of each file as downloaded, by file name" }),
    started_at: IsoDateTime,
    updated_at: IsoDateTime,
  },
  { description: "The latest download of this model since the engine started; null when there was none" },
);

const Model = Type.Object({
  id: Type.String(),
  kind: StringEnum(MODEL_KINDS),
  name: Type.String(),
  description: Type.String(),
  license: Type.String(),
  license_url: Nullable(Type.String()),
  size_bytes: Nullable(Type.Integer({ minimum: 0, description: "download size; null when not published" })),
  sha256: Nullable(
    Type.String({
      description:
        "reference checksum of the model file; null when none is published (the download is then unverified)",
    }),
  ),
  urls: Type.Array(Type.String(), { description: "official download locations" }),
  files: Type.Array(
    Type.Object({
      name: Type.String(),
      url: Type.String(),
      size_bytes: Nullable(Type.Integer({ minimum: 0 })),
      sha256: Nullable(Type.String()),
    }),
  ),
  builtin: Type.Boolean({ description: "ships with VoiceDock: always installed, cannot be downloaded or removed" }),
  installed: Type.Boolean(),
  path: Nullable(Type.String({ description: "where the installed model file is" })),
  partial_bytes: Type.Integer({
    minimum: 0,
    description: "bytes of an unfinished download, continued by the next download",
  }),
  download: Nullable(Download),
});

const ModelBody = Type.Object({ model: Model });
const withConflict = { ...errorResponses, 409: ErrorBody } as const;

const LOCAL =
  "Local addition (not in the cloud API): models for the on-device engines (Whisper, Piper, Silero VAD). " +
  "Progress is published as `model.download` events on /api/v1/events.";

const STATUS: Record<ModelErrorReason, number> = {
  unknown_model: 404,
  model_downloading: 409,
  model_installed: 409,
  model_builtin: 409,
  no_download: 409,
  not_installed: 409,
};

function toApiError(err: unknown): unknown {
  if (!(err instanceof ModelError)) return err;
  const status = STATUS[err.reason];
  return new ApiError(
    status,
    status === 404 ? "Not Found" : "Conflict",
    err.message,
    err.reason === "unknown_model" ? "not_found" : err.reason,
  );
}

/** Runs a manager call, turning its refusals into API errors. */
async function call<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toApiError(err);
  }
}

export const modelRoutes: ApiRoutes = async (app, { ctx }) => {
  const tags = ["models"];

  app.get(
    "/models",
    {
      schema: {
        tags,
        summary: "Models for local speech engines, with what is installed",
        description: LOCAL,
        response: { 200: Type.Object({ models: Type.Array(Model) }), ...errorResponses },
      },
    },
    async () => ({ models: ctx.models.list() }),
  );

  app.get(
    "/models/:id",
    {
      schema: {
        tags,
        summary: "One model",
        description: LOCAL,
        params: IdParams,
        response: { 200: ModelBody, ...errorResponses },
      },
    },
    async (req) => {
      const { id } = req.params;
      return call(() => {
        const model = ctx.models.get(id);
        if (!model)
          throw new ModelError(
            "unknown_model",
            `Model '${id}' does not exist: GET /api/v1/models lists the available ones`,
          );
        return { model };
      });
    },
  );

  app.post(
    "/models/:id/download",
    {
      schema: {
        tags,
        summary: "Start downloading a model (continues a partial download)",
        description: `${LOCAL} Answers 202 at once; the file is checked against its sha256 before it is installed.`,
        params: IdParams,
        response: { 202: ModelBody, ...withConflict },
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      const model = await call(() => ctx.models.download(id));
      return reply.status(202).send({ model });
    },
  );

  app.delete(
    "/models/:id/download",
    {
      schema: {
        tags,
        summary: "Cancel a running download",
        description: `${LOCAL} The partial file is kept: downloading again continues from it.`,
        params: IdParams,
        response: { 200: ModelBody, ...withConflict },
      },
    },
    async (req) => {
      const { id } = req.params;
      return { model: await call(() => ctx.models.cancel(id)) };
    },
  );

  app.delete(
    "/models/:id",
    {
      schema: {
        tags,
        summary: "Delete an installed model and any partial download",
        description: LOCAL,
        params: IdParams,
        response: { 200: Type.Object({ success: Type.Literal(true) }), ...withConflict },
      },
    },
    async (req) => {
      const { id } = req.params;
      await call(() => ctx.models.remove(id));
      return { success: true as const };
    },
  );
};
