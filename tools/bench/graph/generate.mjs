// Lays out the Python services of the graph benchmark in the seed layout: every service is its own uv
// project with its own uv.lock (a few hundred packages) and a production manifest with its own lock
// (prod/pyproject.toml + prod/uv.lock), a Dockerfile per service derived from the e2e fixture's, and a few
// shared libraries under libs/ that services use through path sources.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lowerBound, resolvePackages, TORCH_PINS, uvLockText } from './uv-lock.mjs';

const FIXTURE_SERVICE = join('e2e', 'fixtures', 'ml-monorepo', 'services', 'ml-service');
const FIXTURE_DOCKERFILE = join(FIXTURE_SERVICE, 'docker', 'Dockerfile-cu124-uv');

export const serviceName = (index) => `svc-${String(index).padStart(4, '0')}`;
export const libName = (index) => `lib-${String(index).padStart(2, '0')}`;
const pythonPackage = (name) => name.replace(/-/g, '_');

/**
 * Writes the Python part of a workspace (services/ and libs/) under `root`.
 * @param {object} options
 * @param {string} options.repoRoot this repository (the fixture Dockerfile is read from it)
 * @param {string} options.root the workspace root
 * @param {number} options.services
 * @param {number} options.libs
 * @param {number} options.lockPackages registry packages per service lock
 * @returns {{ bytes: number, files: number }}
 */
export function writeServices({ repoRoot, root, services, libs, lockPackages }) {
  const fixture = {
    dockerfile: readFileSync(join(repoRoot, FIXTURE_DOCKERFILE), 'utf8'),
    dockerignore: readFileSync(join(repoRoot, `${FIXTURE_DOCKERFILE}.dockerignore`), 'utf8'),
  };
  let bytes = 0;
  let files = 0;
  const write = (path, text) => {
    const file = join(root, path);
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, text);
    bytes += Buffer.byteLength(text);
    files += 1;
  };

  for (let index = 1; index <= libs; index += 1) {
    const name = libName(index);
    const dir = `libs/${name}`;
    write(`${dir}/pyproject.toml`, libPyproject(name));
    write(`${dir}/README.md`, `# ${name}\n\nHelpers shared by the benchmark's services (a path source of theirs).\n`);
    write(`${dir}/src/${pythonPackage(name)}/__init__.py`, `"""${name}: shared helpers."""\n\n__version__ = "0.3.0"\n`);
  }

  for (let index = 1; index <= services; index += 1) {
    const name = serviceName(index);
    const dir = `services/${name}`;
    const pkg = pythonPackage(name);
    // Two services in three use a shared library (round robin over libs/).
    const lib = libs > 0 && index % 3 !== 0 ? libName(1 + (index % libs)) : undefined;
    const libPath = lib ? `../../libs/${lib}` : undefined;
    const resolution = resolvePackages(index, lockPackages);
    const direct = resolution.direct.map((dep) => `${dep}${lowerBound(resolution.byName.get(dep).version)}`);

    write(`${dir}/pyproject.toml`, servicePyproject({ name, direct, lib, libPath }));
    write(`${dir}/uv.lock`, uvLockText({ project: name, version: '0.1.0', resolution, kind: 'dev', lib, libPath }));
    write(`${dir}/prod/pyproject.toml`, prodPyproject({ name, direct }));
    write(`${dir}/prod/uv.lock`, uvLockText({ project: name, version: '0.1.0', resolution, kind: 'prod' }));
    write(`${dir}/docker/Dockerfile-cu124-uv`, serviceDockerfile(fixture.dockerfile, name));
    write(`${dir}/docker/Dockerfile-cu124-uv.dockerignore`, fixture.dockerignore.replace(/workspace root/g, 'service folder'));
    write(`${dir}/README.md`, serviceReadme(name, lib));
    write(`${dir}/src/${pkg}/__init__.py`, `"""${name}: a service of the nx-uv-cuda graph benchmark."""\n\n__version__ = "0.1.0"\n`);
    write(`${dir}/src/${pkg}/main.py`, serviceMain(name));
    write(`${dir}/tests/test_main.py`, `from ${pkg} import main\n\n\ndef test_service_name():\n    assert main.SERVICE == "${name}"\n`);
    write(`${dir}/dev-tools/dev_only.py`, `"""Only the dev image copies dev-tools/."""\n\nDEV_TOOLS_REVISION = 1\n`);
  }
  return { bytes, files };
}

function servicePyproject({ name, direct, lib, libPath }) {
  const deps = [...(lib ? [lib] : []), ...direct];
  const lines = [
    '[project]',
    `name = "${name}"`,
    'version = "0.1.0"',
    `description = "Benchmark service ${name}: torch + flash-attn per CUDA backend"`,
    'readme = "README.md"',
    'requires-python = ">=3.11"',
    'dependencies = [',
    ...deps.map((dep) => `    "${dep}",`),
    ']',
    '',
    '# One extra per PyTorch CUDA backend; flash-attn is compiled against that backend\'s torch.',
    '[project.optional-dependencies]',
    ...backendExtras(),
    '',
    '[dependency-groups]',
    'dev = ["pytest>=8"]',
    'build = [',
    '    "ninja>=1.11",',
    '    "packaging>=24",',
    '    "psutil>=6",',
    '    "setuptools>=75",',
    ']',
    '',
    '[build-system]',
    'requires = ["setuptools>=61"]',
    'build-backend = "setuptools.build_meta"',
    '',
    '[tool.setuptools.packages.find]',
    'where = ["src"]',
    '',
    '[tool.uv]',
    'conflicts = [',
    '    [',
    ...Object.keys(TORCH_PINS).map((backend) => `        { extra = "${backend}" },`),
    '    ],',
    ']',
    'no-build-isolation-package = ["flash-attn"]',
    '',
    '[[tool.uv.dependency-metadata]]',
    'name = "flash-attn"',
    'version = "2.7.4.post1"',
    'requires-dist = ["torch", "einops"]',
    '',
    '[tool.uv.sources]',
    ...(lib ? [`${lib} = { path = "${libPath}", editable = true }`] : []),
    'torch = [',
    ...Object.keys(TORCH_PINS).map((backend) => `    { index = "pytorch-${backend}", extra = "${backend}" },`),
    ']',
    ...Object.keys(TORCH_PINS).flatMap((backend) => [
      '',
      '[[tool.uv.index]]',
      `name = "pytorch-${backend}"`,
      `url = "https://download.pytorch.org/whl/${backend}"`,
      'explicit = true',
    ]),
  ];
  return `${lines.join('\n')}\n`;
}

/** One extra per backend: its torch pin and flash-attn. */
function backendExtras() {
  return Object.entries(TORCH_PINS).flatMap(([backend, pin]) => [
    `${backend} = [`,
    `    "torch==${pin}",`,
    '    "flash-attn>=2.7.4",',
    ']',
  ]);
}

function prodPyproject({ name, direct }) {
  const lines = [
    `# Production manifest of ${name}: only what the prod image installs from an index (locked in ./uv.lock).`,
    '[project]',
    `name = "${name}"`,
    'version = "0.1.0"',
    'requires-python = ">=3.11"',
    'dependencies = [',
    ...direct.map((dep) => `    "${dep}",`),
    ']',
    '',
    '[project.optional-dependencies]',
    ...backendExtras(),
    '',
    '[tool.uv]',
    'package = false',
    'conflicts = [',
    '    [',
    ...Object.keys(TORCH_PINS).map((backend) => `        { extra = "${backend}" },`),
    '    ],',
    ']',
    'no-build-isolation-package = ["flash-attn"]',
    '',
    '[[tool.uv.dependency-metadata]]',
    'name = "flash-attn"',
    'version = "2.7.4.post1"',
    'requires-dist = ["torch", "einops"]',
    '',
    '[tool.uv.sources]',
    'torch = [',
    ...Object.keys(TORCH_PINS).map((backend) => `    { index = "pytorch-${backend}", extra = "${backend}" },`),
    ']',
    ...Object.keys(TORCH_PINS).flatMap((backend) => [
      '',
      '[[tool.uv.index]]',
      `name = "pytorch-${backend}"`,
      `url = "https://download.pytorch.org/whl/${backend}"`,
      'explicit = true',
    ]),
  ];
  return `${lines.join('\n')}\n`;
}

function libPyproject(name) {
  return [
    '[project]',
    `name = "${name}"`,
    'version = "0.3.0"',
    `description = "Helpers shared by the benchmark's services"`,
    'requires-python = ">=3.11"',
    'dependencies = []',
    '',
    '[build-system]',
    'requires = ["setuptools>=61"]',
    'build-backend = "setuptools.build_meta"',
    '',
    '[tool.setuptools.packages.find]',
    'where = ["src"]',
    '',
  ].join('\n');
}

/**
 * The e2e fixture's Dockerfile for this service. The fixture builds from a uv workspace root; here the build
 * context is the service folder (the folder of its own uv.lock), so the COPY sources under the service path
 * lose that prefix and the COPYs of the workspace library (outside this context) go. Everything else
 * (stages, ARGs, RUNs, destinations in the image) stays as in the fixture.
 */
export function serviceDockerfile(fixtureText, name) {
  const pkg = pythonPackage(name);
  const out = [];
  const lines = fixtureText.split('\n');
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i];
    // `RUN ... \` + `pip install ... -e libs/shared`: the library is not in this context.
    if (/^RUN /.test(line) && /-e libs\/shared\s*$/.test(lines[i + 1] ?? '')) {
      i += 1;
      continue;
    }
    if (/^COPY libs\/shared\b/.test(line)) continue;
    if (/^COPY /.test(line)) {
      const words = line.split(/\s+/);
      const dest = words.pop();
      const sources = words.slice(1).map((source) => source.replace(/^services\/ml-service\//, '') || '.');
      out.push(['COPY', ...sources, dest].join(' '));
      continue;
    }
    out.push(line);
  }
  return out
    .join('\n')
    .replace(/Build context: the uv workspace root \(the folder holding uv\.lock\)/, 'Build context: the service folder (the folder holding its uv.lock)')
    .replace(/:\/workspace\/libs\/shared\/src/g, '')
    .replace(/ \(and libs\/shared\/src\)/g, '')
    .replace(/ml-service/g, name)
    .replace(/ml_service/g, pkg);
}

function serviceReadme(name, lib) {
  return [
    `# ${name}`,
    '',
    `A service of the nx-uv-cuda graph benchmark: torch and flash-attn per CUDA backend extra (cu124, cu128)${lib ? `, and the shared library \`${lib}\`` : ''}.`,
    '',
    '- `uv.lock`: this service\'s own lock (a few hundred packages).',
    '- `prod/pyproject.toml` + `prod/uv.lock`: the production manifest and its lock.',
    '- `docker/Dockerfile-cu124-uv`: the image recipe; the build context is this folder.',
    '',
  ].join('\n');
}

function serviceMain(name) {
  return [
    '"""Entry point: prints what the image runs with."""',
    '',
    'import json',
    '',
    `SERVICE = "${name}"`,
    '',
    '',
    'def main() -> int:',
    '    import torch',
    '',
    '    print(json.dumps({"service": SERVICE, "torch": torch.__version__}))',
    '    return 0',
    '',
  ].join('\n');
}
