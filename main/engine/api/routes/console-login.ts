import { Type } from "@sinclair/typebox";
import type { ApiRoutes } from "../context.js";
import { errorResponses } from "../schemas/common.js";
import { ApiError } from "../errors.js";

/** The name of the keys made by one-time links: a person sees where each key came from, and can revoke it. */
export const CONSOLE_KEY_NAME = "console (one-time link)";

/** Sign-in attempts per minute per client address: a token has 256 bits, this only keeps the log quiet. */
const LOGIN_ATTEMPTS_PER_MINUTE = 10;

export const consoleLoginRoutes: ApiRoutes = async (app, { ctx }) => {
  app.post(
    "/console/login",
    {
      config: {
        public: true,
        rateLimit: {
          max: LOGIN_ATTEMPTS_PER_MINUTE,
          timeWindow: 60_000,
          keyGenerator: (req) => `console-login:${req.ip}`,
          allowList: () => false,
        },
      },
      schema: {
        tags: ["console"],
        summary:
          "Local addition: exchange the one-time link printed by `voicedock serve` for a new API key for this browser (no API key needed)",
        security: [],
        body: Type.Object(
          { token: Type.String({ minLength: 1, maxLength: 200, description: "the `token` of the printed link" }) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            api_key: Type.String({ description: `a new key named '${CONSOLE_KEY_NAME}', shown only now` }),
          }),
          ...errorResponses,
        },
      },
    },
    async (req) => {
      if (!ctx.loginLinks?.redeem(req.body.token))
        throw new ApiError(
          401,
          "Unauthorized",
          "This sign-in link is unknown, already used or expired (links work once, for 10 minutes): restart `voicedock serve` for a new one, or sign in with an API key",
          "invalid_login_token",
        );
      return { api_key: ctx.store.keys.create(CONSOLE_KEY_NAME).key };
    },
  );
};
