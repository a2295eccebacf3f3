// Generates uv.lock files in uv's format (version 1, revision 3) for the graph benchmark: a service with
// backend extras cu124/cu128 (torch per extra, flash-attn compiled against it), a few hundred registry
// packages with sdists and wheels, an optional path dependency on a shared library. Deterministic: the
// same seed gives the same bytes. Only the shape matters for the benchmark (inference hashes the lock,
// it does not parse it), but run.mjs checks that the plugin's own uv.lock reader slices the result.

const PYPI = 'https://pypi.org/simple';
const TORCH_INDEX = (backend) => `https://download.pytorch.org/whl/${backend}`;
export const TORCH_PINS = { cu124: '2.5.1', cu128: '2.7.0' };
export const FLASH_ATTN = '2.7.4.post1';

/** A small deterministic PRNG (mulberry32). */
export function prng(seed) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (list) => list[Math.floor(next() * list.length)],
    hex: (length) => {
      let out = '';
      while (out.length < length) out += Math.floor(next() * 0x100000000).toString(16).padStart(8, '0');
      return out.slice(0, length);
    },
    /** `count` distinct items of `list`, in list order. */
    sample: (list, count) => {
      const indexes = list.map((_, index) => index);
      for (let i = indexes.length - 1; i > 0; i -= 1) {
        const j = Math.floor(next() * (i + 1));
        [indexes[i], indexes[j]] = [indexes[j], indexes[i]];
      }
      return indexes
        .slice(0, Math.min(count, list.length))
        .sort((a, b) => a - b)
        .map((index) => list[index]);
    },
  };
}

// Names that every ML service's lock holds (a service depends on some of them directly).
const COMMON = [
  'aiohttp', 'anyio', 'attrs', 'certifi', 'charset-normalizer', 'click', 'einops', 'fastapi', 'filelock',
  'fsspec', 'h11', 'httpcore', 'httpx', 'huggingface-hub', 'idna', 'jinja2', 'markupsafe', 'mpmath',
  'networkx', 'ninja', 'numpy', 'nvidia-cublas-cu12', 'nvidia-cuda-runtime-cu12', 'nvidia-cudnn-cu12',
  'nvidia-nccl-cu12', 'packaging', 'pandas', 'pillow', 'protobuf', 'psutil', 'pydantic', 'pydantic-core',
  'pytest', 'python-dateutil', 'pyyaml', 'regex', 'requests', 'safetensors', 'scipy', 'setuptools', 'six',
  'sniffio', 'starlette', 'sympy', 'tokenizers', 'tqdm', 'transformers', 'triton', 'typing-extensions',
  'urllib3', 'uvicorn',
];
const PREFIXES = ['py', 'fast', 'async', 'data', 'ml', 'deep', 'auto', 'open', 'micro', 'tiny', 'hyper', 'multi'];
const STEMS = [
  'json', 'yaml', 'http', 'grpc', 'proto', 'arrow', 'tensor', 'vision', 'audio', 'text', 'token', 'cache',
  'config', 'log', 'metric', 'trace', 'sched', 'queue', 'store', 'io', 'graph', 'kernel', 'shard', 'batch',
];
const SUFFIXES = ['', '-core', '-utils', '-client', '-ext', '-tools'];
/** The universe the per-service package sets are drawn from (~1,800 names). */
export const PACKAGE_POOL = [
  ...new Set([...COMMON, ...PREFIXES.flatMap((p) => STEMS.flatMap((s) => SUFFIXES.map((x) => `${p}${s}${x}`)))]),
].sort();
/** Packages that the dev environment has but the prod manifest never installs. */
const DEV_ONLY = new Set(['pytest', 'ninja', 'setuptools', 'psutil']);
const TORCH_DEPS = ['filelock', 'fsspec', 'jinja2', 'networkx', 'sympy', 'typing-extensions', 'triton'];
const WHEEL_TAGS = [
  'cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64',
  'cp311-cp311-macosx_11_0_arm64',
  'cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64',
  'cp312-cp312-macosx_11_0_arm64',
  'cp312-cp312-win_amd64',
  'cp313-cp313-manylinux_2_17_x86_64.manylinux2014_x86_64',
];

/** uv's name for an extra in markers: `extra-<len>-<package>-<extra>`. */
const extraMarker = (project, extra) => `extra-${project.length}-${project}-${extra}`;
const fileName = (name) => name.replace(/-/g, '_');
const timestamp = (rng) =>
  `20${rng.int(22, 25)}-${String(rng.int(1, 12)).padStart(2, '0')}-${String(rng.int(1, 28)).padStart(2, '0')}T${String(rng.int(0, 23)).padStart(2, '0')}:${String(rng.int(0, 59)).padStart(2, '0')}:${String(rng.int(0, 59)).padStart(2, '0')}.${rng.int(10, 999)}Z`;

function fileUrl(rng, file) {
  const hash = rng.hex(64);
  return `https://files.pythonhosted.org/packages/${hash.slice(0, 2)}/${hash.slice(2, 4)}/${hash.slice(4)}/${file}`;
}

/**
 * The registry packages of a service: names with versions and dependency edges, decided once per service
 * so that the dev lock and the prod lock agree.
 * @param {number} seed
 * @param {number} count registry packages besides torch and flash-attn (a few hundred)
 */
export function resolvePackages(seed, count) {
  const rng = prng(seed);
  const others = PACKAGE_POOL.filter((name) => !COMMON.includes(name));
  const names = [...new Set([...COMMON, ...rng.sample(others, Math.max(0, count - COMMON.length))])].sort();
  const packages = names.map((name) => ({
    name,
    version: `${rng.int(0, 12)}.${rng.int(0, 40)}.${rng.int(0, 20)}`,
    wheels: name === 'einops' || rng.next() < 0.35 ? 1 : rng.int(2, 4),
    pureWheel: rng.next() < 0.5,
    dependencies: [],
  }));
  const byName = new Map(packages.map((pkg) => [pkg.name, pkg]));
  for (const pkg of packages) {
    const fanOut = rng.next() < 0.4 ? 0 : rng.int(1, 5);
    pkg.dependencies = rng.sample(names, fanOut).filter((dep) => dep !== pkg.name && !DEV_ONLY.has(dep));
  }
  for (const name of TORCH_DEPS) if (!byName.has(name)) throw new Error(`pool lacks ${name}`);
  // Direct dependencies of the service (besides torch/flash-attn and the lib): a dozen or so.
  const direct = [
    'numpy',
    'requests',
    ...rng.sample(names.filter((name) => !DEV_ONLY.has(name) && !name.startsWith('nvidia-')), rng.int(6, 14)),
  ];
  return { rng, packages, byName, direct: [...new Set(direct)].sort() };
}

/**
 * The text of a uv.lock.
 * @param {object} options
 * @param {string} options.project normalized project name
 * @param {string} options.version
 * @param {ReturnType<typeof resolvePackages>} options.resolution
 * @param {'dev' | 'prod'} options.kind dev: the service's own lock (editable project, dev groups, lib);
 *   prod: the `prod/uv.lock` of the production manifest (virtual project, only what prod installs)
 * @param {string} [options.lib] normalized name of the path-dependency library (dev lock only)
 * @param {string} [options.libPath] its path relative to the lock's folder
 * @param {number} [options.prodShare] share of the registry packages that the prod lock keeps
 */
export function uvLockText({ project, version, resolution, kind, lib, libPath, prodShare = 0.5 }) {
  const { rng, packages, direct } = resolution;
  const backends = Object.keys(TORCH_PINS);
  const [a, b] = backends.map((backend) => extraMarker(project, backend));
  const only = { cu124: `extra == '${a}' and extra != '${b}'`, cu128: `extra != '${a}' and extra == '${b}'` };
  const neither = `extra != '${a}' and extra != '${b}'`;

  // The prod lock holds the direct dependencies, the torch dependencies and a share of the rest.
  const keep =
    kind === 'dev'
      ? packages
      : packages.filter(
          (pkg) =>
            !DEV_ONLY.has(pkg.name) &&
            (direct.includes(pkg.name) || TORCH_DEPS.includes(pkg.name) || pkg.name === 'einops' || rng.next() < prodShare),
        );
  const kept = new Set(keep.map((pkg) => pkg.name));

  const out = [];
  out.push('version = 1', 'revision = 3', 'requires-python = ">=3.11"', 'resolution-markers = [');
  out.push(`    "${only.cu124}",`, `    "${only.cu128}",`, `    "${neither}",`, ']');
  out.push('conflicts = [[');
  for (const backend of backends) out.push(`    { package = "${project}", extra = "${backend}" },`);
  out.push(']]', '', '[manifest]', '', '[[manifest.dependency-metadata]]');
  out.push('name = "flash-attn"', `version = "${FLASH_ATTN}"`, 'requires-dist = ["torch", "einops"]', '');

  const entries = [];
  for (const pkg of keep) entries.push({ name: pkg.name, order: 0, text: registryPackage(rng, pkg, kept) });
  entries.push({ name: 'flash-attn', order: 0, text: flashAttnPackage(rng, project, backends) });
  backends.forEach((backend, order) =>
    entries.push({ name: 'torch', order, text: torchPackage(rng, backend, only[backend], kept) }),
  );
  const specifiers = direct.map((name) => [name, lowerBound(resolution.byName.get(name).version)]);
  entries.push({ name: project, order: 0, text: projectPackage({ project, version, specifiers, kind, lib, libPath, backends }) });
  if (kind === 'dev' && lib) entries.push({ name: lib, order: 0, text: libPackage(lib, libPath) });
  entries.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : x.order - y.order));
  for (const entry of entries) out.push(entry.text);
  return `${out.join('\n')}`;
}

function registryPackage(rng, pkg, kept) {
  const lines = ['[[package]]', `name = "${pkg.name}"`, `version = "${pkg.version}"`, `source = { registry = "${PYPI}" }`];
  const deps = pkg.dependencies.filter((dep) => kept.has(dep));
  if (deps.length > 0) {
    lines.push('dependencies = [');
    for (const dep of deps) lines.push(`    { name = "${dep}" },`);
    lines.push(']');
  }
  const base = `${fileName(pkg.name)}-${pkg.version}`;
  const uploaded = timestamp(rng);
  lines.push(
    `sdist = { url = "${fileUrl(rng, `${base}.tar.gz`)}", hash = "sha256:${rng.hex(64)}", size = ${rng.int(8_000, 9_000_000)}, upload-time = "${uploaded}" }`,
  );
  lines.push('wheels = [');
  const tags = pkg.pureWheel ? ['py3-none-any'] : WHEEL_TAGS.slice(0, pkg.wheels);
  for (const tag of tags) {
    lines.push(
      `    { url = "${fileUrl(rng, `${base}-${tag}.whl`)}", hash = "sha256:${rng.hex(64)}", size = ${rng.int(8_000, 9_000_000)}, upload-time = "${uploaded}" },`,
    );
  }
  lines.push(']', '');
  return lines.join('\n');
}

function torchPackage(rng, backend, marker, kept) {
  const version = `${TORCH_PINS[backend]}+${backend}`;
  const lines = ['[[package]]', 'name = "torch"', `version = "${version}"`, `source = { registry = "${TORCH_INDEX(backend)}" }`];
  lines.push('resolution-markers = [', `    "${marker}",`, ']', 'dependencies = [');
  for (const dep of TORCH_DEPS.filter((name) => kept.has(name))) lines.push(`    { name = "${dep}" },`);
  lines.push(']', 'wheels = [');
  for (const py of ['cp311-cp311', 'cp312-cp312', 'cp313-cp313']) {
    lines.push(
      `    { url = "${TORCH_INDEX(backend)}/torch-${TORCH_PINS[backend]}%2B${backend}-${py}-manylinux_2_28_x86_64.whl", hash = "sha256:${rng.hex(64)}" },`,
    );
  }
  lines.push(']', '');
  return lines.join('\n');
}

function flashAttnPackage(rng, project, backends) {
  const lines = ['[[package]]', 'name = "flash-attn"', `version = "${FLASH_ATTN}"`, `source = { registry = "${PYPI}" }`];
  lines.push('dependencies = [', '    { name = "einops" },');
  for (const backend of backends) {
    lines.push(
      `    { name = "torch", version = "${TORCH_PINS[backend]}+${backend}", source = { registry = "${TORCH_INDEX(backend)}" }, marker = "extra == '${extraMarker(project, backend)}'" },`,
    );
  }
  lines.push(']');
  lines.push(
    `sdist = { url = "${fileUrl(rng, `flash_attn-${FLASH_ATTN}.tar.gz`)}", hash = "sha256:${rng.hex(64)}", size = 6018209, upload-time = "2025-01-30T05:46:35.217Z" }`,
    '',
  );
  return lines.join('\n');
}

/** `>=X.Y` for a resolved `X.Y.Z`: what a pyproject.toml would ask for. */
export function lowerBound(version) {
  return `>=${version.split('.').slice(0, 2).join('.')}`;
}

function projectPackage({ project, version, specifiers, kind, lib, libPath, backends }) {
  const direct = specifiers.map(([name]) => name);
  const lines = ['[[package]]', `name = "${project}"`, `version = "${version}"`];
  lines.push(kind === 'dev' ? 'source = { editable = "." }' : 'source = { virtual = "." }');
  const deps = [...direct, ...(kind === 'dev' && lib ? [lib] : [])].sort();
  lines.push('dependencies = [', ...deps.map((dep) => `    { name = "${dep}" },`), ']', '', '[package.optional-dependencies]');
  for (const backend of backends) {
    lines.push(`${backend} = [`, '    { name = "flash-attn" },');
    lines.push(
      `    { name = "torch", version = "${TORCH_PINS[backend]}+${backend}", source = { registry = "${TORCH_INDEX(backend)}" } },`,
      ']',
    );
  }
  if (kind === 'dev') {
    lines.push('', '[package.dev-dependencies]', 'build = [');
    for (const dep of ['ninja', 'packaging', 'psutil', 'setuptools']) lines.push(`    { name = "${dep}" },`);
    lines.push(']', 'dev = [', '    { name = "pytest" },', ']');
  }
  lines.push('', '[package.metadata]', 'requires-dist = [');
  const requires = [];
  for (const backend of backends) {
    requires.push(`{ name = "flash-attn", marker = "extra == '${backend}'", specifier = ">=2.7.4" }`);
  }
  for (const [dep, specifier] of specifiers) requires.push(`{ name = "${dep}", specifier = "${specifier}" }`);
  if (kind === 'dev' && lib) requires.push(`{ name = "${lib}", editable = "${libPath}" }`);
  for (const backend of backends) {
    requires.push(
      `{ name = "torch", marker = "extra == '${backend}'", specifier = "==${TORCH_PINS[backend]}", index = "${TORCH_INDEX(backend)}", conflict = { package = "${project}", extra = "${backend}" } }`,
    );
  }
  requires.sort();
  lines.push(...requires.map((line) => `    ${line},`), ']', `provides-extras = [${backends.map((x) => `"${x}"`).join(', ')}]`);
  if (kind === 'dev') {
    lines.push('', '[package.metadata.requires-dev]', 'build = [');
    lines.push(
      '    { name = "ninja", specifier = ">=1.11" },',
      '    { name = "packaging", specifier = ">=24" },',
      '    { name = "psutil", specifier = ">=6" },',
      '    { name = "setuptools", specifier = ">=75" },',
      ']',
      'dev = [{ name = "pytest", specifier = ">=8" }]',
    );
  }
  lines.push('');
  return lines.join('\n');
}

function libPackage(lib, libPath) {
  return ['[[package]]', `name = "${lib}"`, 'version = "0.3.0"', `source = { editable = "${libPath}" }`, ''].join('\n');
}
