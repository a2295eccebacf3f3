import { readNxJson, type Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { acceleratorRoutes, resolveBackends } from '../../model/backends';
import { parsePyproject } from '../../python/pyproject';
import { argDefault, contextReads, dockerfile, read, stageGraph, stageText, toml } from '../__fixtures__/support';
import { TEMPLATE_STAGES } from '../shared/defaults';
import { writeService } from './generator';

const ROOT = 'services/ml-service';
const files = (tree: Tree) =>
  tree
    .listChanges()
    .map((change) => change.path)
    .filter((path) => path.startsWith('services/'))
    .sort();

describe('service generator', () => {
  let tree: Tree;
  beforeEach(() => {
    tree = createTreeWithEmptyWorkspace();
  });

  it('lays out a uv project with a production manifest, a package, tests and the template', () => {
    writeService(tree, { name: 'ml-service' });
    expect(files(tree)).toEqual([
      `${ROOT}/.dockerignore`,
      `${ROOT}/.python-version`,
      `${ROOT}/README.md`,
      `${ROOT}/docker/Dockerfile-cu124-uv`,
      `${ROOT}/prod/pyproject.toml`,
      `${ROOT}/pyproject.toml`,
      `${ROOT}/src/ml_service/__init__.py`,
      `${ROOT}/src/ml_service/__main__.py`,
      `${ROOT}/src/ml_service/main.py`,
      `${ROOT}/tests/test_main.py`,
    ]);
    expect(read(tree, `${ROOT}/.python-version`)).toBe('3.12\n');
    expect(read(tree, `${ROOT}/src/ml_service/__main__.py`)).toContain('from ml_service.main import main');
    expect(read(tree, `${ROOT}/tests/test_main.py`)).toContain('== "ml-service"');
  });

  it('registers the plugin and ignores the build outputs, as init does', () => {
    writeService(tree, { name: 'ml-service' });
    expect(readNxJson(tree)?.plugins).toEqual(['nx-uv-cuda']);
    expect(read(tree, '.gitignore')).toContain('.nx/workspace-data');
  });

  describe('pyproject.toml', () => {
    it('has one extra per backend, declared conflicting, with torch from that backend\'s explicit index', () => {
      writeService(tree, { name: 'ml-service', backends: ['cu124', 'cu128'] });
      const pyproject = toml(tree, `${ROOT}/pyproject.toml`);
      expect(pyproject.project).toMatchObject({ name: 'ml-service', 'requires-python': '>=3.12', dependencies: [] });
      expect(pyproject.project['optional-dependencies']).toEqual({
        cu124: ['torch>=2.4,<2.7', 'flash-attn==2.8.3'],
        cu128: ['torch>=2.7', 'flash-attn==2.8.3'],
      });
      expect(pyproject.tool.uv.conflicts).toEqual([[{ extra: 'cu124' }, { extra: 'cu128' }]]);
      expect(pyproject.tool.uv.sources).toEqual({
        torch: [
          { index: 'pytorch-cu124', extra: 'cu124' },
          { index: 'pytorch-cu128', extra: 'cu128' },
        ],
      });
      expect(pyproject.tool.uv.index).toEqual([
        { name: 'pytorch-cu124', url: 'https://download.pytorch.org/whl/cu124', explicit: true },
        { name: 'pytorch-cu128', url: 'https://download.pytorch.org/whl/cu128', explicit: true },
      ]);
      expect(pyproject['build-system']).toEqual({ requires: ['uv_build>=0.10.12,<0.11'], 'build-backend': 'uv_build' });
      expect(pyproject['dependency-groups'].dev).toEqual(['pytest>=8']);
      expect(pyproject['dependency-groups'].build).toEqual(
        expect.arrayContaining(['ninja>=1.11', 'packaging>=24', 'setuptools>=75', 'wheel>=0.44', 'pip>=24']),
      );
    });

    it('builds flash-attn against the runtime torch with extra-build-dependencies and match-runtime by default', () => {
      writeService(tree, { name: 'ml-service' });
      const uv = toml(tree, `${ROOT}/pyproject.toml`).tool.uv;
      expect(uv['extra-build-dependencies']['flash-attn'][0]).toEqual({ requirement: 'torch', 'match-runtime': true });
      expect(uv['extra-build-dependencies']['flash-attn'].slice(1)).toEqual(expect.arrayContaining(['ninja', 'packaging']));
      expect(uv['dependency-metadata']).toEqual([{ name: 'flash-attn', version: '2.8.3', 'requires-dist': ['torch', 'einops'] }]);
      expect(uv['no-build-isolation-package']).toBeUndefined();
    });

    it('or with no-build-isolation-package for flash-attn only (never the global UV_NO_BUILD_ISOLATION)', () => {
      writeService(tree, { name: 'ml-service', flashAttnBuild: 'no-build-isolation' });
      const text = read(tree, `${ROOT}/pyproject.toml`);
      const uv = toml(tree, `${ROOT}/pyproject.toml`).tool.uv;
      expect(uv['no-build-isolation-package']).toEqual(['flash-attn']);
      expect(uv['extra-build-dependencies']).toBeUndefined();
      expect(text + read(tree, `${ROOT}/docker/Dockerfile-cu124-uv`)).not.toContain('UV_NO_BUILD_ISOLATION');
    });

    it('declares no conflict set for a single backend (uv wants at least two entries)', () => {
      writeService(tree, { name: 'ml-service', backends: ['cu126'] });
      const pyproject = toml(tree, `${ROOT}/pyproject.toml`);
      expect(pyproject.tool.uv.conflicts).toBeUndefined();
      expect(Object.keys(pyproject.project['optional-dependencies'])).toEqual(['cu126']);
      expect(argDefault(dockerfile(tree, `${ROOT}/docker/Dockerfile-cu124-uv`), 'CUDA_VERSION')).toBe('12.6.3');
    });

    it('is read by the plugin as a project with one backend per extra', () => {
      writeService(tree, { name: 'ML_Service', directory: 'apps/ml', backends: 'cu124,cu130' as never });
      const pyproject = parsePyproject(read(tree, 'apps/ml/pyproject.toml'), 'apps/ml/pyproject.toml');
      expect(pyproject.name).toBe('ml-service');
      const backends = resolveBackends({
        pyprojectFile: pyproject.file,
        extras: pyproject.optionalDependencyNames,
        groups: pyproject.dependencyGroupNames,
        routes: acceleratorRoutes(pyproject),
      });
      expect(backends.map(({ name, via, derivedBuildArgs }) => [name, via, derivedBuildArgs.CUDA_VERSION, derivedBuildArgs.TORCH_BACKEND])).toEqual([
        ['cu124', 'extra', '12.4.1', 'cu124'],
        ['cu130', 'extra', '13.0.0', 'cu130'],
      ]);
    });
  });

  describe('prod/pyproject.toml', () => {
    it('is a virtual project of the same name with the same extras, locked on its own', () => {
      writeService(tree, { name: 'ml-service' });
      const prod = toml(tree, `${ROOT}/prod/pyproject.toml`);
      const main = toml(tree, `${ROOT}/pyproject.toml`);
      expect(prod.project.name).toBe('ml-service');
      expect(prod.tool.uv.package).toBe(false);
      expect(prod.project['optional-dependencies']).toEqual(main.project['optional-dependencies']);
      expect(prod.tool.uv.conflicts).toEqual(main.tool.uv.conflicts);
      expect(prod.tool.uv.sources).toEqual(main.tool.uv.sources);
      expect(prod['dependency-groups']).toEqual({ build: main['dependency-groups'].build });
      expect(prod['build-system']).toBeUndefined();
    });
  });

  describe('the Dockerfile', () => {
    it('parses into the template stage graph', () => {
      writeService(tree, { name: 'ml-service' });
      const model = dockerfile(tree, `${ROOT}/docker/Dockerfile-cu124-uv`);
      expect(stageGraph(model).map((stage) => stage.name)).toEqual([...TEMPLATE_STAGES]);
      expect(argDefault(model, 'CUDA_VERSION')).toBe('12.4.1');
      expect(argDefault(model, 'TORCH_BACKEND')).toBe('cu124');
      expect(argDefault(model, 'FLASH_ATTN_VERSION')).toBe('2.8.3');
      expect(argDefault(model, 'PYTHON_VERSION')).toBe('3.12');
    });

    it('reads from the context only what each image needs: the prod image neither tests nor the dev lock', () => {
      writeService(tree, { name: 'ml-service' });
      const model = dockerfile(tree, `${ROOT}/docker/Dockerfile-cu124-uv`);
      expect(new Set(contextReads(model, 'prod'))).toEqual(
        new Set(['prod/uv.lock', 'prod/pyproject.toml', 'pyproject.toml', 'src']),
      );
      expect(new Set(contextReads(model, 'dev'))).toEqual(
        new Set(['${LOCK_FILE}', 'pyproject.toml', 'prod/uv.lock', 'prod/pyproject.toml', 'src', 'tests']),
      );
    });

    it('syncs the backend extra from the locks before copying sources, and installs the project last', () => {
      writeService(tree, { name: 'ml-service' });
      const model = dockerfile(tree, `${ROOT}/docker/Dockerfile-cu124-uv`);
      expect(stageText(model, 'deps-dev')).toContain(
        'uv sync --locked --no-install-project --extra ${TORCH_BACKEND} --no-install-package flash-attn',
      );
      expect(stageText(model, 'deps-prod')).toContain('--no-dev --no-editable --extra ${TORCH_BACKEND}');
      expect(stageText(model, 'dev')).toMatch(/COPY \$\{LOCK_FILE\} uv\.lock\nCOPY pyproject\.toml \.\/\nCOPY src src\nCOPY tests tests\n/);
      expect(stageText(model, 'prod')).toContain('uv pip install --no-deps /src');
    });

    it('has FLASH_ATTN_VERSION=none and a smoke command without flash_attn when flash-attn is off', () => {
      writeService(tree, { name: 'ml-service', flashAttn: false });
      const model = dockerfile(tree, `${ROOT}/docker/Dockerfile-cu124-uv`);
      const pyproject = toml(tree, `${ROOT}/pyproject.toml`);
      expect(argDefault(model, 'FLASH_ATTN_VERSION')).toBe('none');
      expect(model.stages.map((stage) => stage.text).join('')).not.toContain('--no-install-package flash-attn');
      expect(JSON.stringify(pyproject)).not.toContain('flash-attn');
      expect(pyproject.tool['nx-uv-cuda']['smoke-command'].join(' ')).not.toContain('flash_attn');
      expect(parsePyproject(read(tree, `${ROOT}/pyproject.toml`), 'x').config.smokeCommand?.[0]).toBe('python');
      expect(toml(tree, `${ROOT}/prod/pyproject.toml`)['dependency-groups']).toBeUndefined();
    });

    it('pins the uv image it copies uv from', () => {
      writeService(tree, { name: 'ml-service', uvVersion: '0.11.2' });
      expect(read(tree, `${ROOT}/docker/Dockerfile-cu124-uv`)).toContain('COPY --from=ghcr.io/astral-sh/uv:0.11.2 /uv /uvx /bin/');
      // prod, on the runtime image, mounts the same uv release for its install steps.
      expect(read(tree, `${ROOT}/docker/Dockerfile-cu124-uv`)).toContain('--mount=type=bind,from=ghcr.io/astral-sh/uv:0.11.2,source=/uv,target=/bin/uv');
      expect(toml(tree, `${ROOT}/pyproject.toml`)['build-system'].requires).toEqual(['uv_build>=0.11.2,<0.12']);
    });
  });

  describe('in a uv workspace', () => {
    beforeEach(() => {
      tree.write('pyproject.toml', '[tool.uv.workspace]\nmembers = ["services/*", "libs/*"]\nexclude = ["services/*/prod"]\n');
    });

    it('joins it: paths relative to the workspace root, sync from the root lock for this member', () => {
      const result = writeService(tree, { name: 'ml-service' });
      expect(result.layout).toMatchObject({ lockDir: '.', uvWorkspaceRoot: '.', pathInContext: `${ROOT}/` });
      const model = dockerfile(tree, `${ROOT}/docker/Dockerfile-cu124-uv`);
      expect(new Set(contextReads(model, 'prod'))).toEqual(
        new Set([`${ROOT}/prod/uv.lock`, `${ROOT}/prod/pyproject.toml`, `${ROOT}/pyproject.toml`, `${ROOT}/src`]),
      );
      expect(stageText(model, 'deps-dev')).toContain(
        'uv sync --frozen --package ml-service --no-install-workspace --extra ${TORCH_BACKEND}',
      );
      expect(stageText(model, 'dev')).toContain(`COPY \${LOCK_FILE} uv.lock\nCOPY pyproject.toml ./\nCOPY ${ROOT}/pyproject.toml ${ROOT}/\n`);
    });

    it('puts its ignore file beside the Dockerfile, since the shared context has its own', () => {
      writeService(tree, { name: 'ml-service' });
      expect(tree.exists(`${ROOT}/.dockerignore`)).toBe(false);
      expect(read(tree, `${ROOT}/docker/Dockerfile-cu124-uv.dockerignore`)).toContain("Docker's per-Dockerfile ignore file");
    });

    it('leaves the workspace-level build settings to the root and says what to add there', () => {
      const result = writeService(tree, { name: 'ml-service' });
      expect(toml(tree, `${ROOT}/pyproject.toml`).tool.uv['extra-build-dependencies']).toBeUndefined();
      expect(toml(tree, `${ROOT}/prod/pyproject.toml`).tool.uv['extra-build-dependencies']).toBeDefined();
      expect(result.workspaceRootSnippet).toContain('flash-attn = [{ requirement = "torch", match-runtime = true }');
      expect(read(tree, 'pyproject.toml')).not.toContain('flash-attn');
    });

    it('warns when the prod manifest would become a member', () => {
      tree.write('pyproject.toml', '[tool.uv.workspace]\nmembers = ["services/**"]\n');
      const result = writeService(tree, { name: 'ml-service' });
      expect(result.layout.notes.join('\n')).toMatch(/services\/ml-service\/prod matches the members .*\[tool\.uv\.workspace\]\.exclude/);
    });

    it('stays standalone outside the members, and says so', () => {
      const result = writeService(tree, { name: 'tool', directory: 'tools/tool' });
      expect(result.layout.uvWorkspaceRoot).toBeUndefined();
      expect(result.layout.pathInContext).toBe('');
      expect(result.layout.notes.join('\n')).toMatch(/not one of its members/);
    });
  });

  it('says when a uv.lock above the service would govern it until it has its own', () => {
    tree.write('uv.lock', 'version = 1\n');
    const result = writeService(tree, { name: 'ml-service' });
    expect(result.layout.pathInContext).toBe('');
    expect(result.layout.notes.join('\n')).toMatch(/until services\/ml-service\/uv.lock exists, nx-uv-cuda takes uv.lock/);
  });

  describe('options', () => {
    it.each([
      [{ name: '1st' }, /name: expected a Python project name/],
      [{ name: 'ml', backends: ['cuda12'] }, /backends\[0\]: expected a PyTorch CUDA backend like cu124/],
      [{ name: 'ml', backends: [] }, /backends: expected at least one backend/],
      [{ name: 'ml', backends: ['cu124', 'cu124'] }, /backends: a backend is listed twice/],
      [{ name: 'ml', pythonVersion: '3' }, /pythonVersion: expected a Python minor version like 3.12/],
      [{ name: 'ml', flashAttnBuild: 'global' }, /flashAttnBuild: expected one of "match-runtime"\|"no-build-isolation"/],
      [{ name: 'ml', directory: '../outside' }, /directory: expected a folder inside the workspace/],
      [{ name: 'ml', colour: 'blue' }, /colour/],
    ])('rejects %j', (options, message) => {
      expect(() => writeService(tree, options as never)).toThrow(message);
      expect(() => writeService(tree, options as never)).toThrow(/^nx-uv-cuda:service options: /);
    });

    it('refuses to overwrite an existing project and points to the dockerfile generator', () => {
      tree.write(`${ROOT}/pyproject.toml`, '[project]\nname = "ml-service"\n');
      expect(() => writeService(tree, { name: 'ml-service' })).toThrow(/nx g nx-uv-cuda:dockerfile services\/ml-service/);
    });

    it('accepts the flag forms Nx passes', () => {
      writeService(tree, { name: 'ml', flashAttn: 'false' as never, backends: 'cu128' as never });
      expect(argDefault(dockerfile(tree, 'services/ml/docker/Dockerfile-cu124-uv'), 'FLASH_ATTN_VERSION')).toBe('none');
      expect(argDefault(dockerfile(tree, 'services/ml/docker/Dockerfile-cu124-uv'), 'TORCH_BACKEND')).toBe('cu128');
    });
  });
});
