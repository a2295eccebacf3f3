import { parse as parseToml, TomlError } from 'smol-toml';
import { z } from 'zod';
import { formatZodIssues } from '../config/zod-message';
import { projectConfigSchema, type ProjectConfig } from '../config/project-config';
import { normalizeName } from './names';

/** What the plugin reads from a pyproject.toml; everything else in the file is ignored. */
export interface PyProject {
  file: string;
  /** `[project].name` normalized (PEP 503); undefined for a virtual uv workspace root. */
  name?: string;
  optionalDependencyNames: string[];
  /** `[tool.uv.sources]`, keyed by normalized package name. */
  uvSources: Record<string, UvSource[]>;
  /** `[tool.uv.workspace]` member globs, when this file is a uv workspace root. */
  workspaceMembers?: string[];
  config: ProjectConfig;
}

export type UvSource = { workspace: true } | { path: string } | { other: true };

export class PyprojectError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PyprojectError';
  }
}

const uvSourceSchema = z
  .object({ workspace: z.boolean().optional(), path: z.string().optional() })
  .loose()
  .transform((source): UvSource => {
    if (source.workspace === true) return { workspace: true };
    if (source.path !== undefined) return { path: source.path };
    return { other: true };
  });

const pyprojectSchema = z
  .object({
    project: z
      .object({
        name: z.string().min(1),
        'optional-dependencies': z.record(z.string(), z.array(z.string())).optional(),
      })
      .loose()
      .optional(),
    tool: z
      .object({
        uv: z
          .object({
            sources: z.record(z.string(), z.union([uvSourceSchema, z.array(uvSourceSchema)])).optional(),
            workspace: z
              .object({ members: z.array(z.string()).optional() })
              .loose()
              .optional(),
          })
          .loose()
          .optional(),
        'nx-uv-cuda': projectConfigSchema.optional(),
      })
      .loose()
      .optional(),
  })
  .loose();

export function parsePyproject(text: string, file: string): PyProject {
  const data = parsePyprojectToml(text, file);
  const result = pyprojectSchema.safeParse(data);
  if (!result.success) throw new PyprojectError(formatZodIssues(result.error.issues, file));
  const { project, tool } = result.data;
  return {
    file,
    name: project ? normalizeName(project.name) : undefined,
    optionalDependencyNames: Object.keys(project?.['optional-dependencies'] ?? {}),
    uvSources: normalizeSources(tool?.uv?.sources ?? {}),
    workspaceMembers: tool?.uv?.workspace?.members ?? (tool?.uv?.workspace ? [] : undefined),
    config: tool?.['nx-uv-cuda'] ?? projectConfigSchema.parse({}),
  };
}

function parsePyprojectToml(text: string, file: string): unknown {
  try {
    return parseToml(text);
  } catch (error) {
    if (error instanceof TomlError) {
      throw new PyprojectError(`${file}:${error.line}:${error.column}: invalid TOML: ${firstLine(error.message)}`);
    }
    throw error;
  }
}

function normalizeSources(sources: Record<string, UvSource | UvSource[]>): Record<string, UvSource[]> {
  return Object.fromEntries(
    Object.entries(sources).map(([name, source]) => [normalizeName(name), [source].flat()]),
  );
}

function firstLine(message: string): string {
  return message.split('\n')[0];
}
