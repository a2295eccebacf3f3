import { describe, expect, it } from 'vitest';
import type { PluginError } from '../core/errors';
import { parsePyproject } from './pyproject';
import { thrownPluginError } from '../__fixtures__/thrown';

const FILE = 'services/ml/pyproject.toml';
const toml = (...lines: string[]) => `${lines.join('\n')}\n`;
const parse = (...lines: string[]) => parsePyproject(toml(...lines), FILE);

const DEFAULT_CONFIG = {
  enabled: true,
  dockerfile: undefined,
  context: undefined,
  backends: undefined,
  buildArgs: undefined,
  stages: undefined,
  registry: undefined,
  wheelPackage: undefined,
  wheelBuildRequirements: undefined,
  smokeCommand: undefined,
};

const pyprojectError = (...lines: string[]): PluginError => thrownPluginError('pyproject', () => parse(...lines));

describe('parsePyproject [project]', () => {
  it('normalizes the name and lists the optional-dependency names', () => {
    const pyproject = parse(
      '[project]',
      'name = "ML_Service.API"',
      'version = "0.1.0"',
      '[project.optional-dependencies]',
      'cu124 = ["torch==2.5.1"]',
      'cu128 = ["torch==2.7.0"]',
      'dev = []',
    );
    expect(pyproject).toEqual({
      file: FILE,
      name: 'ml-service-api',
      displayName: 'ML_Service.API',
      requiresPython: undefined,
      requirements: ['torch==2.5.1', 'torch==2.7.0'],
      optionalDependencyNames: ['cu124', 'cu128', 'dev'],
      dependencyGroupNames: [],
      readmeFile: undefined,
      uvSources: {},
      uvWorkspace: undefined,
      version: '0.1.0',
      uvIndexes: {},
      uvConflicts: [],
      config: DEFAULT_CONFIG,
      deprecations: [],
    });
  });

  it('reads requires-python, the requirements, the dependency groups and the readme file', () => {
    const pyproject = parse(
      '[project]',
      'name = "svc"',
      'requires-python = ">=3.11"',
      'readme = "docs/README.md"',
      'dependencies = ["fastapi>=0.110", "numpy"]',
      '[project.optional-dependencies]',
      'cu124 = ["torch==2.5.1"]',
      '[dependency-groups]',
      'Lint_Tools = ["ruff"]',
      'test = ["pytest", { include-group = "Lint_Tools" }]',
    );
    expect(pyproject).toMatchObject({
      displayName: 'svc',
      requiresPython: '>=3.11',
      requirements: ['fastapi>=0.110', 'numpy', 'torch==2.5.1'],
      dependencyGroupNames: ['lint-tools', 'test'],
      readmeFile: 'docs/README.md',
    });
  });

  it('names no readme file when readme is a table', () => {
    expect(parse('[project]', 'name = "svc"', 'readme = { text = "hello", content-type = "text/plain" }').readmeFile).toBeUndefined();
  });

  it('rejects dependencies that are not a list of strings', () => {
    expect(pyprojectError('[project]', 'name = "svc"', 'dependencies = "numpy"').message).toMatch(
      /^services\/ml\/pyproject\.toml: project\.dependencies: expected array, received string/,
    );
    expect(pyprojectError('[project]', 'name = "svc"', 'dependencies = [1]').message).toMatch(
      /^services\/ml\/pyproject\.toml: project\.dependencies\[0\]: expected string, received number/,
    );
  });

  it('gives a virtual uv workspace root no name, and its members', () => {
    const root = parse('[tool.uv.workspace]', 'members = ["services/*", "libs/*"]', 'exclude = ["libs/old"]');
    expect(root.name).toBeUndefined();
    expect(root.optionalDependencyNames).toEqual([]);
    expect(root.uvWorkspace).toEqual({ members: ['services/*', 'libs/*'], exclude: ['libs/old'] });
  });

  it('treats a workspace table without members as a root with no members', () => {
    expect(parse('[project]', 'name = "app"', '[tool.uv.workspace]').uvWorkspace).toEqual({ members: [], exclude: [] });
  });

  it('rejects a [project] without a name', () => {
    expect(pyprojectError('[project]', 'version = "1"').message).toMatch(/^services\/ml\/pyproject\.toml: project\.name: /);
  });
});

describe('parsePyproject [tool.uv.sources]', () => {
  it('keys sources by normalized name and tells workspace and path sources from the others', () => {
    const { uvSources } = parse(
      '[project]',
      'name = "ml-service"',
      '[tool.uv.sources]',
      'Shared_Lib = { workspace = true }',
      'vendored = { path = "../vendored", editable = true }',
      'torch = { index = "pytorch-cu124" }',
      'not-workspace = { workspace = false }',
      'kernels = [',
      '  { git = "https://github.com/acme/kernels", marker = "sys_platform == \'linux\'" },',
      '  { path = "../kernels", marker = "sys_platform != \'linux\'" },',
      ']',
    );
    expect(uvSources).toEqual({
      'shared-lib': [{ workspace: true }],
      vendored: [{ path: '../vendored' }],
      torch: [{ other: true, index: 'pytorch-cu124' }],
      'not-workspace': [{ other: true }],
      kernels: [{ other: true }, { path: '../kernels' }],
    });
  });
});

describe('parsePyproject [[tool.uv.index]] and [tool.uv].conflicts', () => {
  it('keeps the extra and group of an index source, normalized, and the index URLs by name', () => {
    const pyproject = parse(
      '[project]',
      'name = "svc"',
      '[tool.uv.sources]',
      'torch = [',
      '  { index = "pytorch-cu128", extra = "CU128" },',
      '  { index = "pytorch-cpu", group = "Cpu_Only" },',
      ']',
      '[[tool.uv.index]]',
      'name = "pytorch-cu128"',
      'url = "https://download.pytorch.org/whl/cu128"',
      'explicit = true',
      '[[tool.uv.index]]',
      'url = "https://example.com/simple"',
    );
    expect(pyproject.uvSources.torch).toEqual([
      { other: true, index: 'pytorch-cu128', extra: 'cu128' },
      { other: true, index: 'pytorch-cpu', group: 'cpu-only' },
    ]);
    expect(pyproject.uvIndexes).toEqual({ 'pytorch-cu128': 'https://download.pytorch.org/whl/cu128' });
  });

  it('reads each conflict set as normalized extras and groups', () => {
    const pyproject = parse(
      '[project]',
      'name = "svc"',
      '[tool.uv]',
      'conflicts = [[{ extra = "CU124" }, { extra = "cu128" }], [{ group = "Dev_Tools" }, { extra = "cpu" }]]',
    );
    expect(pyproject.uvConflicts).toEqual([
      [{ extra: 'cu124' }, { extra: 'cu128' }],
      [{ group: 'dev-tools' }, { extra: 'cpu' }],
    ]);
  });
});

describe('parsePyproject [tool.nx-uv-cuda]', () => {
  it('maps the kebab-case keys to the camelCase config', () => {
    const { config } = parse(
      '[project]',
      'name = "ml-service"',
      '[tool.nx-uv-cuda]',
      'enabled = false',
      'dockerfile = ["docker/Dockerfile.gpu", "Dockerfile"]',
      'context = ".."',
      'backends = ["cu124", "cu128"]',
      'build-args = { CUDA_VARIANT = "cudnn", MAX_JOBS = 4, DEBUG = false }',
      'stages = { prod = "runtime", wheel-build = "flash-build", wheel-export = "flash-out" }',
      'registry = "127.0.0.1:5000/ml"',
      'wheel-package = "xformers"',
      'wheel-build-requirements = ["setuptools", "cmake"]',
      'smoke-command = ["python", "-c", "import xformers"]',
    );
    expect(config).toEqual({
      enabled: false,
      dockerfile: ['docker/Dockerfile.gpu', 'Dockerfile'],
      context: '..',
      backends: ['cu124', 'cu128'],
      buildArgs: { CUDA_VARIANT: 'cudnn', MAX_JOBS: '4', DEBUG: 'false' },
      stages: { dev: undefined, prod: 'runtime', wheelBuild: 'flash-build', wheelExport: 'flash-out' },
      registry: '127.0.0.1:5000/ml',
      wheelPackage: 'xformers',
      wheelBuildRequirements: ['setuptools', 'cmake'],
      smokeCommand: ['python', '-c', 'import xformers'],
    });
  });

  it('maps the table form of backends with per-backend build args', () => {
    const { config } = parse(
      '[project]',
      'name = "ml-service"',
      '[tool.nx-uv-cuda]',
      'build-args = { CUDA_VARIANT = "cudnn" }',
      '[tool.nx-uv-cuda.backends.cu124]',
      '[tool.nx-uv-cuda.backends.cu128]',
      'build-args = { CUDA_VERSION = "12.8.1" }',
    );
    expect(config.buildArgs).toEqual({ CUDA_VARIANT: 'cudnn' });
    expect(config.backends).toEqual({ cu124: { buildArgs: undefined }, cu128: { buildArgs: { CUDA_VERSION: '12.8.1' } } });
  });

  it('enables a project with no [tool.nx-uv-cuda] table', () => {
    expect(parse('[project]', 'name = "lib"').config).toEqual(DEFAULT_CONFIG);
  });

  // `backends = "cu124"` fails a union: only its key is asserted, zod words a union failure generically.
  it.each([
    [['enabled = "yes"'], 'tool.nx-uv-cuda.enabled: expected boolean, received string'],
    [['buildArgs = { A = "1" }'], 'tool.nx-uv-cuda: Unrecognized key: "buildArgs"'],
    [['smoke-command = []'], 'tool.nx-uv-cuda.smoke-command: Too small: expected array to have >=1 items'],
    [['backends = ["CUDA"]'], 'tool.nx-uv-cuda.backends[0]: expected a backend name like cu124, cu128, cpu or rocm6.2'],
    [['backends = "cu124"'], 'tool.nx-uv-cuda.backends: '],
    [['stages = { test = "t" }'], 'tool.nx-uv-cuda.stages: Unrecognized key: "test"'],
    [
      ['[tool.nx-uv-cuda.backends.cu128]', 'build-arg = { CUDA_VERSION = "12.8.1" }'],
      'tool.nx-uv-cuda.backends.cu128: Unrecognized key: "build-arg"',
    ],
  ])('names the file and the key of the invalid value %j', (lines, expected) => {
    const error = pyprojectError('[project]', 'name = "svc"', '[tool.nx-uv-cuda]', ...lines);
    expect(error.name).toBe('PluginError');
    expect(error.message.startsWith(`${FILE}: ${expected}`)).toBe(true);
    expect(error.where).toEqual({ file: FILE });
  });

  it('ignores other tools and unknown [project] keys', () => {
    const pyproject = parse('[project]', 'name = "svc"', 'readme = "README.md"', '[tool.ruff]', 'line-length = 120');
    expect(pyproject.name).toBe('svc');
    expect(pyproject.config).toEqual(DEFAULT_CONFIG);
  });
});

describe('parsePyproject renamed [tool.nx-uv-cuda] stage keys', () => {
  const WHERE = `${FILE} [tool.nx-uv-cuda]`;

  it('moves stages.wheel and stages.wheels to wheel-build and wheel-export, with a warning each', () => {
    const pyproject = parse('[project]', 'name = "svc"', '[tool.nx-uv-cuda]', 'stages = { wheel = "build", wheels = "out" }');
    expect(pyproject.config.stages).toEqual({ dev: undefined, prod: undefined, wheelBuild: 'build', wheelExport: 'out' });
    expect(pyproject.deprecations).toEqual([
      `${WHERE}: stages.wheel is deprecated: write stages.wheel-build instead`,
      `${WHERE}: stages.wheels is deprecated: write stages.wheel-export instead`,
    ]);
  });

  it('keeps the new key when both are set, with a warning that the old one is ignored', () => {
    const pyproject = parse(
      '[project]',
      'name = "svc"',
      '[tool.nx-uv-cuda]',
      'stages = { wheel = "old", wheel-build = "new" }',
    );
    expect(pyproject.config.stages?.wheelBuild).toBe('new');
    expect(pyproject.deprecations).toEqual([
      `${WHERE}: stages.wheel is deprecated and ignored here, since stages.wheel-build is set too: remove stages.wheel`,
    ]);
  });

  it('reports no deprecation for the new keys', () => {
    expect(parse('[project]', 'name = "svc"', '[tool.nx-uv-cuda]', 'stages = { wheel-build = "b" }').deprecations).toEqual([]);
  });
});

describe('parsePyproject TOML errors', () => {
  it('reports the file, line and column of a syntax error', () => {
    const error = pyprojectError('[project]', 'name = "svc"', 'version = ');
    expect(error.message.startsWith(`${FILE}:3:11: invalid TOML: `)).toBe(true);
    expect(error.message.split('\n')).toHaveLength(1);
    expect(error.where).toEqual({ file: FILE, line: 3 });
  });

  it('reports bytes that are not UTF-8 with their line', () => {
    const bytes = Buffer.concat([Buffer.from('[project]\nname = "caf'), Buffer.from([0xe9]), Buffer.from('"\n')]);
    const error = thrownPluginError('pyproject', () => parsePyproject(bytes.toString('utf8'), FILE));
    expect(error.message).toBe(
      `${FILE}:2: the file is not UTF-8: this line holds bytes that are not UTF-8 text (read as U+FFFD); save it as UTF-8`,
    );
    expect(error.where).toEqual({ file: FILE, line: 2 });
  });

  it('reports a duplicate key as invalid TOML', () => {
    expect(pyprojectError('[project]', 'name = "a"', 'name = "b"').message).toMatch(
      /^services\/ml\/pyproject\.toml:3:\d+: invalid TOML: /,
    );
  });
});

describe('parsePyproject [project].name', () => {
  it.each(['../../../evil', 'inj$(touch /tmp/x)', 'a b', '-lead', 'trail.'])('refuses %j, naming the key', (name) => {
    expect(pyprojectError('[project]', `name = ${JSON.stringify(name)}`).message).toContain(
      'project.name: expected a Python project name: letters and digits, with . _ - inside (PEP 508)',
    );
  });

  it.each(['a', 'ml-service', 'Flash_Attn', 'zope.interface', '2fa'])('takes %j', (name) => {
    expect(parse('[project]', `name = "${name}"`).displayName).toBe(name);
  });
});
