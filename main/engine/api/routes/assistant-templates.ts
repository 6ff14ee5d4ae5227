import { Type } from "@sinclair/typebox";
import type { ApiRoutes } from "../context.js";
import { errorResponses } from "../schemas/common.js";
import { AssistantCreate } from "../schemas/assistants.js";
import { ASSISTANT_TEMPLATES } from "../../assistants/templates.js";

const AssistantTemplate = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.String(),
  language: Type.String({ description: "the language the assistant speaks (BCP 47)" }),
  assistant: AssistantCreate,
  required_models: Type.Array(Type.String(), {
    description: "ids in GET /models the assistant needs installed (built-in models are not listed)",
  }),
});

export const assistantTemplateRoutes: ApiRoutes = async (app) => {
  app.get(
    "/assistant-templates",
    {
      schema: {
        tags: ["assistants"],
        summary:
          "Local addition: ready-made assistants on local engines; each `assistant` is a POST /assistants body as it stands",
        response: { 200: Type.Object({ templates: Type.Array(AssistantTemplate) }), ...errorResponses },
      },
    },
    async () => ({ templates: [...ASSISTANT_TEMPLATES] }),
  );
};
