import { z } from 'zod';
import { PluginError } from '../core/errors';
import { formatZodIssues } from '../core/zod-message';
import { PROJECT_CONFIG_RENAMES, projectConfigSchema, type ProjectConfig } from '../config/project-config';
import { applyRenames, type Renamed } from '../config/renamed-options';
import { normalizeName } from './names';
import { parseTomlFile } from './toml';

/** What the plugin reads from a pyproject.toml; everything else in the file is ignored. */
export interface PyProject {
  file: string;
  /** `[project].name` normalized (PEP 503); undefined for a virtual uv workspace root. */
  name?: string;
  /** `[project].name` as written. */
  displayName?: string;
  /** `[project].version`, when written there (not `dynamic`). */
  version?: string;
  requiresPython?: string;
  /** `[project].dependencies` and every `[project.optional-dependencies]` list, as written. */
  requirements: string[];
  optionalDependencyNames: string[];
  /** `[dependency-groups]` keys, normalized. */
  dependencyGroupNames: string[];
  /** The file `[project].readme` names, when it is a path. */
  readmeFile?: string;
  /** `[tool.uv.sources]`, keyed by normalized package name. */
  uvSources: Record<string, UvSource[]>;
  /** `[tool.uv.workspace]`, when this file is a uv workspace root. */
  uvWorkspace?: { members: string[]; exclude: string[] };
  /** `[[tool.uv.index]]`: URL by index name. */
  uvIndexes: Record<string, string>;
  /** `[tool.uv].conflicts`: the extras and groups each set names (normalized). */
  uvConflicts: Array<Array<{ extra?: string; group?: string }>>;
  config: ProjectConfig;
  /** Renamed `[tool.nx-uv-cuda]` keys in use, one line each. */
  deprecations: string[];
}

export type UvSource =
  | { workspace: true }
  | { path: string }
  /** A package index, git, URL... source, maybe only for one extra or group (uv's `extra = `/`group = `). */
  | { other: true; index?: string; extra?: string; group?: string };

const uvSourceSchema = z
  .object({
    workspace: z.boolean().optional(),
    path: z.string().optional(),
    index: z.string().optional(),
    extra: z.string().optional(),
    group: z.string().optional(),
  })
  .loose()
  .transform((source): UvSource => {
    if (source.workspace === true) return { workspace: true };
    if (source.path !== undefined) return { path: source.path };
    return {
      other: true,
      ...(source.index !== undefined && { index: source.index }),
      ...(source.extra !== undefined && { extra: normalizeName(source.extra) }),
      ...(source.group !== undefined && { group: normalizeName(source.group) }),
    };
  });

const conflictItemSchema = z.object({ extra: z.string().optional(), group: z.string().optional() }).loose();

const pyprojectSchema = z
  .object({
    project: z
      .object({
        // PEP 508: what pip and uv accept; the name also goes into Nx project names, image tags and paths.
        name: z.string().regex(/^([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9])$/, 'expected a Python project name: letters and digits, with . _ - inside (PEP 508)'),
        'requires-python': z.string().optional(),
        dependencies: z.array(z.string()).optional(),
        'optional-dependencies': z.record(z.string(), z.array(z.string())).optional(),
        // A path, or a table (`{ file = ... }` / `{ text = ... }`) that names no file of ours.
        readme: z.unknown().optional(),
      })
      .loose()
      .optional(),
    tool: z
      .object({
        uv: z
          .object({
            sources: z.record(z.string(), z.union([uvSourceSchema, z.array(uvSourceSchema)])).optional(),
            workspace: z
              .object({ members: z.array(z.string()).optional(), exclude: z.array(z.string()).optional() })
              .loose()
              .optional(),
            index: z.array(z.object({ name: z.string().optional(), url: z.string().optional() }).loose()).optional(),
            conflicts: z.array(z.array(conflictItemSchema)).optional(),
          })
          .loose()
          .optional(),
        'nx-uv-cuda': projectConfigSchema.optional(),
      })
      .loose()
      .optional(),
    'dependency-groups': z.record(z.string(), z.array(z.unknown())).optional(),
  })
  .loose();

export function parsePyproject(text: string, file: string): PyProject {
  const data = renameConfigKeys(parseTomlFile(text, file, 'pyproject'), file);
  const result = pyprojectSchema.safeParse(data.value);
  if (!result.success) throw new PluginError('pyproject', formatZodIssues(result.error.issues, file), { file });
  const { project, tool } = result.data;
  const optional = project?.['optional-dependencies'] ?? {};
  const workspace = tool?.uv?.workspace;
  return {
    file,
    name: project ? normalizeName(project.name) : undefined,
    displayName: project?.name,
    version: typeof project?.version === 'string' ? project.version : undefined,
    requiresPython: project?.['requires-python'],
    requirements: [...(project?.dependencies ?? []), ...Object.values(optional).flat()],
    optionalDependencyNames: Object.keys(optional),
    dependencyGroupNames: Object.keys(result.data['dependency-groups'] ?? {}).map(normalizeName),
    readmeFile: typeof project?.readme === 'string' ? project.readme : undefined,
    uvSources: normalizeSources(tool?.uv?.sources ?? {}),
    uvWorkspace: workspace && { members: workspace.members ?? [], exclude: workspace.exclude ?? [] },
    uvIndexes: Object.fromEntries(
      (tool?.uv?.index ?? []).flatMap((index) => (index.name && index.url ? [[index.name, index.url]] : [])),
    ),
    uvConflicts: (tool?.uv?.conflicts ?? []).map((set) =>
      set.map((item) => ({
        ...(item.extra !== undefined && { extra: normalizeName(item.extra) }),
        ...(item.group !== undefined && { group: normalizeName(item.group) }),
      })),
    ),
    config: tool?.['nx-uv-cuda'] ?? projectConfigSchema.parse({}),
    deprecations: data.warnings,
  };
}

/** Renamed `[tool.nx-uv-cuda]` keys move to their new names before validation. */
function renameConfigKeys(data: unknown, file: string): Renamed<unknown> {
  const tool = (data as { tool?: Record<string, unknown> } | undefined)?.tool;
  if (!tool || typeof tool !== 'object' || tool['nx-uv-cuda'] === undefined) return { value: data, warnings: [] };
  const renamed = applyRenames(tool['nx-uv-cuda'], PROJECT_CONFIG_RENAMES, `${file} [tool.nx-uv-cuda]`);
  return { value: { ...(data as object), tool: { ...tool, 'nx-uv-cuda': renamed.value } }, warnings: renamed.warnings };
}

function normalizeSources(sources: Record<string, UvSource | UvSource[]>): Record<string, UvSource[]> {
  return Object.fromEntries(
    Object.entries(sources).map(([name, source]) => [normalizeName(name), [source].flat()]),
  );
}
