import { describe, expect, it } from 'vitest';
import { parsePyproject, PyprojectError } from './pyproject';

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
  smokeCommand: undefined,
};

function pyprojectError(...lines: string[]): PyprojectError {
  try {
    parse(...lines);
  } catch (error) {
    if (error instanceof PyprojectError) return error;
    throw error;
  }
  throw new Error('expected a PyprojectError');
}

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
      optionalDependencyNames: ['cu124', 'cu128', 'dev'],
      uvSources: {},
      workspaceMembers: undefined,
      config: DEFAULT_CONFIG,
    });
  });

  it('gives a virtual uv workspace root no name, and its members', () => {
    const root = parse('[tool.uv.workspace]', 'members = ["services/*", "libs/*"]', 'exclude = ["libs/old"]');
    expect(root.name).toBeUndefined();
    expect(root.optionalDependencyNames).toEqual([]);
    expect(root.workspaceMembers).toEqual(['services/*', 'libs/*']);
  });

  it('treats a workspace table without members as a root with no members', () => {
    expect(parse('[project]', 'name = "app"', '[tool.uv.workspace]').workspaceMembers).toEqual([]);
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
      torch: [{ other: true }],
      'not-workspace': [{ other: true }],
      kernels: [{ other: true }, { path: '../kernels' }],
    });
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
      'stages = { prod = "runtime", wheel = "wheel-build" }',
      'registry = "127.0.0.1:5000/ml"',
      'wheel-package = "xformers"',
      'smoke-command = ["python", "-c", "import xformers"]',
    );
    expect(config).toEqual({
      enabled: false,
      dockerfile: ['docker/Dockerfile.gpu', 'Dockerfile'],
      context: '..',
      backends: ['cu124', 'cu128'],
      buildArgs: { CUDA_VARIANT: 'cudnn', MAX_JOBS: '4', DEBUG: 'false' },
      stages: { prod: 'runtime', wheel: 'wheel-build' },
      registry: '127.0.0.1:5000/ml',
      wheelPackage: 'xformers',
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
    expect(error.name).toBe('PyprojectError');
    expect(error.message.startsWith(`${FILE}: ${expected}`)).toBe(true);
  });

  it('ignores other tools and unknown [project] keys', () => {
    const pyproject = parse('[project]', 'name = "svc"', 'readme = "README.md"', '[tool.ruff]', 'line-length = 120');
    expect(pyproject.name).toBe('svc');
    expect(pyproject.config).toEqual(DEFAULT_CONFIG);
  });
});

describe('parsePyproject TOML errors', () => {
  it('reports the file, line and column of a syntax error', () => {
    const error = pyprojectError('[project]', 'name = "svc"', 'version = ');
    expect(error.message.startsWith(`${FILE}:3:11: invalid TOML: `)).toBe(true);
    expect(error.message.split('\n')).toHaveLength(1);
  });

  it('reports a duplicate key as invalid TOML', () => {
    expect(pyprojectError('[project]', 'name = "a"', 'name = "b"').message).toMatch(
      /^services\/ml\/pyproject\.toml:3:\d+: invalid TOML: /,
    );
  });
});
