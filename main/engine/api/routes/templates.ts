import { Type } from "@sinclair/typebox";
import type { ApiRoutes } from "../context.js";
import { errorResponses, Success, UuidParams } from "../schemas/common.js";
import type { FreeJson } from "../../domain/schema.js";
import {
  AnalysisTemplate,
  AnalysisTemplateCreate,
  AnalysisTemplateUpdate,
  ToolTemplate,
  ToolTemplateCreate,
  ToolTemplateUpdate,
  type AnalysisTemplateData,
  type ToolTemplateData,
} from "../../domain/template.js";
import { badRequest, notFound } from "../errors.js";

/** Both generations (gaps B7): the API shape needs system_prompt, user_prompt and schema together. */
function checkAnalysis(body: AnalysisTemplateData, merged: AnalysisTemplateData): void {
  const apiShape = body.system_prompt !== undefined || body.user_prompt !== undefined;
  if (apiShape)
    for (const f of ["system_prompt", "user_prompt", "schema"] as const)
      if (merged[f] === undefined)
        throw badRequest(`body.${f} is required with system_prompt/user_prompt templates`, "missing_field");
}

const NORMALISED: Record<string, string> = { endCall: "end_call", transferCall: "transfer_call" };
const TOOL_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;

/** Per-type tool_config rules (api-v1 §14). Type names are stored in the SDK's snake_case. */
function checkToolConfig(type: string, config: FreeJson, templateName: string): FreeJson {
  if (type === "function") {
    const name = (config.name as string | undefined) ?? templateName;
    if (!TOOL_NAME.test(name))
      throw badRequest(
        "body.tool_config.name must be letters, digits, _ or -, at most 64, starting with a letter or _ (it defaults to the template name)",
      );
    if (typeof config.description !== "string" || !config.description)
      throw badRequest("body.tool_config.description is required for function tools", "missing_field");
    if (typeof config.parameters !== "object" || config.parameters === null || Array.isArray(config.parameters))
      throw badRequest(
        "body.tool_config.parameters is required for function tools (a JSON Schema object)",
        "missing_field",
      );
    if (config.url !== undefined && (typeof config.url !== "string" || !/^https?:\/\/\S+$/.test(config.url)))
      throw badRequest("body.tool_config.url must be an http(s) URL");
    if (config.async !== undefined && typeof config.async !== "boolean")
      throw badRequest("body.tool_config.async must be boolean");
    return { ...config, name };
  }
  if (type === "transfer_call") {
    if (!Array.isArray(config.destinations) || config.destinations.length === 0)
      throw badRequest(
        "body.tool_config.destinations must be a non-empty array for transfer_call tools",
        "missing_field",
      );
    return config;
  }
  return {};
}

export const templateRoutes: ApiRoutes = async (app, { ctx }) => {
  // Analysis templates
  {
    const tags = ["analysis-templates"];
    const Template = AnalysisTemplate;
    const one = { 200: Type.Object({ analysis_template: Template }), ...errorResponses };
    const repo = ctx.store.analysisTemplates;
    app.get(
      "/analysis-templates",
      {
        schema: {
          tags,
          summary: "List analysis templates",
          response: { 200: Type.Object({ analysis_templates: Type.Array(Template) }), ...errorResponses },
        },
      },
      async () => ({ analysis_templates: repo.list() }),
    );
    app.post(
      "/analysis-templates",
      {
        schema: {
          tags,
          summary: "Create an analysis template (guide or API shape)",
          body: AnalysisTemplateCreate,
          response: { 201: Type.Object({ analysis_template: Template }), ...errorResponses },
        },
      },
      async (req, reply) => {
        const { name, ...rest } = req.body;
        checkAnalysis(rest, rest);
        return reply.status(201).send({ analysis_template: repo.create(name, rest) });
      },
    );
    app.get(
      "/analysis-templates/:id",
      { schema: { tags, summary: "Get an analysis template", params: UuidParams, response: one } },
      async (req) => {
        const { id } = req.params;
        const t = repo.get(id);
        if (!t) throw notFound("Analysis template", id);
        return { analysis_template: t };
      },
    );
    app.patch(
      "/analysis-templates/:id",
      {
        schema: {
          tags,
          summary: "Update an analysis template",
          params: UuidParams,
          body: AnalysisTemplateUpdate,
          response: one,
        },
      },
      async (req) => {
        const { id } = req.params;
        const current = repo.get(id);
        if (!current) throw notFound("Analysis template", id);
        const { name, ...rest } = req.body;
        checkAnalysis(rest, { ...current, ...rest });
        return { analysis_template: repo.update(id, name, rest)! };
      },
    );
    app.delete(
      "/analysis-templates/:id",
      {
        schema: {
          tags,
          summary: "Delete an analysis template",
          params: UuidParams,
          response: { 200: Success, ...errorResponses },
        },
      },
      async (req) => {
        const { id } = req.params;
        if (!repo.delete(id)) throw notFound("Analysis template", id);
        return { success: true as const };
      },
    );
  }
  // Tool templates
  {
    const tags = ["tool-templates"];
    const Template = ToolTemplate;
    const one = { 200: Type.Object({ tool_template: Template }), ...errorResponses };
    const repo = ctx.store.toolTemplates;
    app.get(
      "/tool-templates",
      {
        schema: {
          tags,
          summary: "List tool templates",
          response: { 200: Type.Object({ tool_templates: Type.Array(Template) }), ...errorResponses },
        },
      },
      async () => ({ tool_templates: repo.list() }),
    );
    app.post(
      "/tool-templates",
      {
        schema: {
          tags,
          summary: "Create a tool template (copied into assistants, not linked)",
          body: ToolTemplateCreate,
          response: { 201: Type.Object({ tool_template: Template }), ...errorResponses },
        },
      },
      async (req, reply) => {
        const b = req.body;
        const type = NORMALISED[b.tool_type] ?? b.tool_type;
        const config = checkToolConfig(type, b.tool_config, b.name);
        return reply.status(201).send({
          tool_template: repo.create(b.name, {
            description: b.description ?? null,
            tool_type: type,
            tool_config: config,
          }),
        });
      },
    );
    app.get(
      "/tool-templates/:id",
      { schema: { tags, summary: "Get a tool template", params: UuidParams, response: one } },
      async (req) => {
        const { id } = req.params;
        const t = repo.get(id);
        if (!t) throw notFound("Tool template", id);
        return { tool_template: t };
      },
    );
    app.patch(
      "/tool-templates/:id",
      {
        schema: {
          tags,
          summary: "Update a tool template; tool_config replaces the stored one",
          params: UuidParams,
          body: ToolTemplateUpdate,
          response: one,
        },
      },
      async (req) => {
        const { id } = req.params;
        const current = repo.get(id);
        if (!current) throw notFound("Tool template", id);
        const b = req.body;
        const type = b.tool_type ? (NORMALISED[b.tool_type] ?? b.tool_type) : current.tool_type;
        const config = checkToolConfig(type, b.tool_config ?? current.tool_config, b.name ?? current.name);
        const patch: Partial<ToolTemplateData> = { tool_type: type, tool_config: config };
        if (b.description !== undefined) patch.description = b.description;
        return { tool_template: repo.update(id, b.name, patch)! };
      },
    );
    app.delete(
      "/tool-templates/:id",
      {
        schema: {
          tags,
          summary: "Delete a tool template (assistants keep their copies)",
          params: UuidParams,
          response: { 200: Success, ...errorResponses },
        },
      },
      async (req) => {
        const { id } = req.params;
        if (!repo.delete(id)) throw notFound("Tool template", id);
        return { success: true as const };
      },
    );
  }
};
