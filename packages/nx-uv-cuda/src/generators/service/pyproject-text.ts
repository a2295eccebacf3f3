import {
  FLASH_ATTN_BUILD_REQUIREMENTS,
  pytorchIndexName,
  pytorchIndexUrl,
  torchRequirement,
} from '../shared/defaults';

export interface PyprojectSpec {
  name: string;
  pythonVersion: string;
  backends: string[];
  /** The pinned flash-attn release; undefined: no flash-attn. */
  flashAttnVersion?: string;
  flashAttnBuild: 'match-runtime' | 'no-build-isolation';
  uvBuildRequirement: string;
  /**
   * Whether the service is a member of a uv workspace: then uv reads build settings (extra-build-dependencies,
   * no-build-isolation-package, dependency-metadata) from the workspace root only, so the member does not carry them.
   */
  workspaceMember: boolean;
}

/** TOML basic strings accept JSON's escapes. */
const str = (value: string) => JSON.stringify(value);
const list = (values: string[]) => `[${values.map(str).join(', ')}]`;

/** The service's pyproject.toml: the project, its backend extras, dev and build groups, and uv's routing of torch. */
export function servicePyproject(spec: PyprojectSpec): string {
  const backendsText = spec.backends.join(', ');
  return [
    `# ${spec.name}: an ML service on PyTorch (${backendsText}) whose CUDA images nx-uv-cuda builds.`,
    '# Managed with uv: `uv lock` writes one universal uv.lock for every backend; `uv sync --extra <backend>`',
    '# installs one of them. nx-uv-cuda infers the targets of each backend from the extras below.',
    '[project]',
    `name = ${str(spec.name)}`,
    'version = "0.1.0"',
    `description = ${str(`ML service ${spec.name} (PyTorch ${backendsText})`)}`,
    `requires-python = ${str(`>=${spec.pythonVersion}`)}`,
    'dependencies = []',
    '',
    ...extrasSection(spec),
    '[dependency-groups]',
    'dev = ["pytest>=8"]',
    ...buildGroup(spec),
    '',
    '[build-system]',
    `requires = [${str(spec.uvBuildRequirement)}]`,
    'build-backend = "uv_build"',
    '',
    ...uvSections(spec, { package: undefined, buildSettings: !spec.workspaceMember }),
  ].join('\n');
}

/**
 * `prod/pyproject.toml` of the seed layout: what the prod image installs from an index, locked on its own in
 * `prod/uv.lock`. A virtual project (not the service itself, which the prod stage installs from its sources).
 */
export function prodPyproject(spec: PyprojectSpec): string {
  return [
    `# Production manifest of ${spec.name}: only what its prod image installs from an index. No dev`,
    '# dependencies and not the service itself (the prod stage installs that from src/, without dependencies):',
    "# keep `dependencies` and the extras in step with ../pyproject.toml's. Locked on its own:",
    '# `uv lock` in this folder writes prod/uv.lock, which the prod image and its lock slice read.',
    '[project]',
    `name = ${str(spec.name)}`,
    'version = "0.1.0"',
    `requires-python = ${str(`>=${spec.pythonVersion}`)}`,
    'dependencies = []',
    '',
    ...extrasSection(spec),
    ...(spec.flashAttnVersion ? ['[dependency-groups]', ...buildGroup(spec), ''] : []),
    ...uvSections(spec, { package: false, buildSettings: true }),
  ].join('\n');
}

function extrasSection(spec: PyprojectSpec): string[] {
  const lines = [
    '# One extra per PyTorch backend. They conflict (see [tool.uv] conflicts): one uv.lock holds them all.',
    '[project.optional-dependencies]',
  ];
  for (const backend of spec.backends) {
    const requirements = [torchRequirement(backend), ...(spec.flashAttnVersion ? [`flash-attn==${spec.flashAttnVersion}`] : [])];
    lines.push(`${backend} = [`, ...requirements.map((requirement) => `    ${str(requirement)},`), ']');
  }
  lines.push('');
  return lines;
}

function buildGroup(spec: PyprojectSpec): string[] {
  if (!spec.flashAttnVersion) return [];
  return [
    '# What compiling flash-attn reads besides torch: the image\'s wheel stages install this group and run',
    '# `pip wheel --no-build-isolation` against the torch of the backend they build.',
    `build = ${list([...FLASH_ATTN_BUILD_REQUIREMENTS, 'pip>=24'])}`,
  ];
}

function uvSections(spec: PyprojectSpec, options: { package?: boolean; buildSettings: boolean }): string[] {
  const lines: string[] = [];
  const tool: string[] = [];
  if (options.package !== undefined) tool.push(`package = ${options.package}`);
  if (spec.backends.length > 1) {
    tool.push('conflicts = [', '    [', ...spec.backends.map((backend) => `        { extra = ${str(backend)} },`), '    ],', ']');
  }
  const flash = spec.flashAttnVersion && options.buildSettings;
  if (flash && spec.flashAttnBuild === 'no-build-isolation') {
    tool.push(
      '# flash-attn builds in the project environment, against its torch: `uv sync --extra <backend> --group build`',
      '# installs torch and the build tools first, then flash-attn.',
      'no-build-isolation-package = ["flash-attn"]',
    );
  }
  if (tool.length > 0) lines.push('[tool.uv]', ...tool, '');

  lines.push(
    '# torch comes from the PyTorch index of the extra being installed; every other package from PyPI.',
    '[tool.uv.sources]',
    'torch = [',
    ...spec.backends.map((backend) => `    { index = ${str(pytorchIndexName(backend))}, extra = ${str(backend)} },`),
    ']',
    '',
  );
  for (const backend of spec.backends) {
    lines.push('[[tool.uv.index]]', `name = ${str(pytorchIndexName(backend))}`, `url = ${str(pytorchIndexUrl(backend))}`, 'explicit = true', '');
  }
  if (flash) {
    if (spec.flashAttnBuild === 'match-runtime') {
      lines.push(
        '# flash-attn compiles against the torch it will run with: uv builds it in isolation, with the torch',
        '# version this environment installs (match-runtime) and the build tools its setup.py imports.',
        '[tool.uv.extra-build-dependencies]',
        `flash-attn = [{ requirement = "torch", match-runtime = true }, ${list(FLASH_ATTN_BUILD_REQUIREMENTS.map(bareName))
          .slice(1, -1)}]`,
        '',
      );
    }
    lines.push(
      '# flash-attn\'s metadata, so that `uv lock` resolves it without compiling it.',
      '[[tool.uv.dependency-metadata]]',
      'name = "flash-attn"',
      `version = ${str(spec.flashAttnVersion!)}`,
      'requires-dist = ["torch", "einops"]',
      '',
    );
  }
  return lines;
}

function bareName(requirement: string): string {
  return /^[A-Za-z0-9._-]+/.exec(requirement)![0];
}

/** The workspace-level settings a uv workspace member cannot carry, for the user to add to the workspace root. */
export function workspaceRootSnippet(spec: PyprojectSpec): string | undefined {
  if (!spec.flashAttnVersion) return undefined;
  const lines =
    spec.flashAttnBuild === 'match-runtime'
      ? [
          '[tool.uv.extra-build-dependencies]',
          `flash-attn = [{ requirement = "torch", match-runtime = true }, ${list(FLASH_ATTN_BUILD_REQUIREMENTS.map(bareName)).slice(1, -1)}]`,
        ]
      : ['[tool.uv]', 'no-build-isolation-package = ["flash-attn"]'];
  return [
    ...lines,
    '',
    '[[tool.uv.dependency-metadata]]',
    'name = "flash-attn"',
    `version = ${str(spec.flashAttnVersion)}`,
    'requires-dist = ["torch", "einops"]',
  ].join('\n');
}
