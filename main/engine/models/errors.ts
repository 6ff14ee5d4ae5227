/** Why a model operation was refused; the API maps each reason to a status and machine code. */
export type ModelErrorReason =
  "unknown_model" | "model_downloading" | "model_installed" | "model_builtin" | "no_download" | "not_installed";

export class ModelError extends Error {
  constructor(
    readonly reason: ModelErrorReason,
    message: string,
  ) {
    super(message);
  }
}
