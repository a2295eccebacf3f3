import { readNxJson, updateNxJson, type Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { FIXTURE_MONOREPO, argDefault, contextReads, dockerfile, loadDirectory, read, stageText } from '../__fixtures__/support';
import { addDockerfile } from './generator';

const DOCKERFILE = 'services/llm/docker/Dockerfile-cu124-uv';

/** An existing standalone uv project: extras per backend, flash-attn pinned, src layout, tests, a build group. */
function existingProject(tree: Tree, extra = ''): void {
  tree.write(
    'services/llm/pyproject.toml',
    [
      '[project]',
      'name = "LLM.Service"',
      'requires-python = ">=3.11,<3.14"',
      'readme = "README.md"',
      '[project.optional-dependencies]',
      'cu126 = ["torch==2.6.0", "flash-attn==2.7.4.post1"]',
      'cu128 = ["torch==2.7.0", "flash-attn==2.7.4.post1"]',
      '[dependency-groups]',
      'dev = ["pytest"]',
      'build = ["ninja", "setuptools", "pip"]',
      extra,
    ].join('\n'),
  );
  tree.write('services/llm/README.md', '# llm\n');
  tree.write('services/llm/src/llm_service/__init__.py', '');
  tree.write('services/llm/tests/test_x.py', '');
}

const changed = (tree: Tree) =>
  tree
    .listChanges()
    .map((change) => change.path)
    .sort();

describe('dockerfile generator', () => {
  let tree: Tree;
  beforeEach(() => {
    tree = createTreeWithEmptyWorkspace();
    existingProject(tree);
    // What the test set up is "the rest"; only what the generator writes counts as a change below.
    tree.listChanges().forEach((change) => tree.write(change.path, change.content!));
  });

  it('adds the Dockerfile and the context .dockerignore, and nothing else', () => {
    const before = new Map(changed(tree).map((path) => [path, read(tree, path)]));
    const result = addDockerfile(tree, { project: 'services/llm' });
    expect(result).toMatchObject({ projectName: 'llm-service', dockerfile: DOCKERFILE, dockerignore: 'services/llm/.dockerignore' });
    for (const [path, text] of before) expect(read(tree, path)).toBe(text);
    expect(changed(tree).filter((path) => !before.has(path))).toEqual(['services/llm/.dockerignore', DOCKERFILE]);
  });

  it('takes its defaults from the project: first CUDA extra, pinned flash-attn, lowest Python', () => {
    addDockerfile(tree, { project: 'services/llm' });
    const model = dockerfile(tree, DOCKERFILE);
    expect(argDefault(model, 'CUDA_VERSION')).toBe('12.6.3');
    expect(argDefault(model, 'TORCH_BACKEND')).toBe('cu126');
    expect(argDefault(model, 'FLASH_ATTN_VERSION')).toBe('2.7.4.post1');
    expect(argDefault(model, 'PYTHON_VERSION')).toBe('3.11');
    expect(stageText(model, 'dev')).toContain('CMD ["python", "-m", "llm_service"]');
  });

  it('prefers .python-version and explicit options', () => {
    tree.write('services/llm/.python-version', '3.13.1\n');
    addDockerfile(tree, { project: 'services/llm', defaultBackend: 'cu128', flashAttnVersion: '2.8.3' });
    const model = dockerfile(tree, DOCKERFILE);
    expect(argDefault(model, 'PYTHON_VERSION')).toBe('3.13');
    expect(argDefault(model, 'CUDA_VERSION')).toBe('12.8.0');
    expect(argDefault(model, 'FLASH_ATTN_VERSION')).toBe('2.8.3');
  });

  it('installs with the main lock when there is no production manifest: --no-dev --no-editable', () => {
    addDockerfile(tree, { project: 'services/llm' });
    const model = dockerfile(tree, DOCKERFILE);
    expect(stageText(model, 'deps-prod')).toContain(
      'uv sync --locked --no-install-project --no-dev --no-editable --extra ${TORCH_BACKEND} --no-install-package flash-attn',
    );
    expect(stageText(model, 'prod')).toContain('uv sync --locked --no-dev --no-editable --extra ${TORCH_BACKEND}');
    // `${LOCK_FILE}` is uv.lock by default (or the backend's own uv-<backend>.lock).
    expect(new Set(contextReads(model, 'prod'))).toEqual(new Set(['${LOCK_FILE}', 'pyproject.toml', 'README.md', 'src']));
    expect(stageText(model, 'wheel-prod')).toContain('--group build');
  });

  it('installs the build tools itself when the project has no build group', () => {
    existingProject(tree);
    tree.write('services/llm/pyproject.toml', read(tree, 'services/llm/pyproject.toml').replace(/build = .*\n/, ''));
    const result = addDockerfile(tree, { project: 'services/llm' });
    expect(stageText(dockerfile(tree, DOCKERFILE), 'wheel-dev')).toContain('uv pip install pip setuptools wheel ninja packaging psutil');
    expect(result.notes.join('\n')).toMatch(/no `build` dependency group/);
  });

  it('finds the project by normalized name or by the name its project.json gives it', () => {
    expect(addDockerfile(tree, { project: 'llm_service' }).dockerfile).toBe(DOCKERFILE);
    tree.write('services/llm/project.json', JSON.stringify({ name: 'llm' }));
    expect(addDockerfile(tree, { project: 'llm', overwrite: true }).projectName).toBe('llm');
  });

  it('names the projects it knows when it finds none', () => {
    expect(() => addDockerfile(tree, { project: 'nope' })).toThrow(
      /project: no Python project named or located "nope"; the workspace has: llm-service \(services\/llm\)/,
    );
  });

  it('leaves an existing Dockerfile alone unless asked to overwrite it', () => {
    tree.write(DOCKERFILE, 'FROM scratch\n');
    expect(() => addDockerfile(tree, { project: 'services/llm' })).toThrow(/already exists; pass --overwrite/);
    addDockerfile(tree, { project: 'services/llm', overwrite: true });
    expect(read(tree, DOCKERFILE)).toContain('FROM scratch AS wheels');
  });

  it('keeps an existing .dockerignore', () => {
    tree.write('services/llm/.dockerignore', 'secret\n');
    const result = addDockerfile(tree, { project: 'services/llm' });
    expect(read(tree, 'services/llm/.dockerignore')).toBe('secret\n');
    expect(result.dockerignore).toBeUndefined();
    expect(result.notes.join('\n')).toMatch(/kept the existing services\/llm\/\.dockerignore/);
  });

  it('says when the project now has several Dockerfiles, whose targets carry their names', () => {
    tree.write('services/llm/docker/Dockerfile', 'FROM scratch\n');
    const result = addDockerfile(tree, { project: 'services/llm' });
    expect(result.notes).toContain(
      `llm-service now has 2 Dockerfiles (services/llm/docker/Dockerfile, ${DOCKERFILE}): their targets carry the Dockerfile's name`,
    );
  });

  it("says when the project's dockerfile globs leave the template out", () => {
    existingProject(tree, '[tool.nx-uv-cuda]\ndockerfile = "Dockerfile"');
    tree.write('services/llm/Dockerfile', 'FROM scratch\n');
    const result = addDockerfile(tree, { project: 'services/llm' });
    expect(result.notes.join('\n')).toMatch(
      /nx-uv-cuda does not build services\/llm\/docker\/Dockerfile-cu124-uv for llm-service \(its dockerfile globs match services\/llm\/Dockerfile\): set `dockerfile = "docker\/Dockerfile-cu124-uv"`/,
    );
  });

  it('adds no note when the template is the only Dockerfile', () => {
    const result = addDockerfile(tree, { project: 'services/llm' });
    expect(result.notes.filter((note) => /Dockerfile/.test(note) && /build|targets carry/.test(note))).toEqual([]);
  });

  it('copies the whole project when it has no src/ folder', () => {
    tree.delete('services/llm/src');
    addDockerfile(tree, { project: 'services/llm' });
    const model = dockerfile(tree, DOCKERFILE);
    expect(stageText(model, 'dev')).toContain('COPY . .\n');
    expect(stageText(model, 'prod')).toContain('--mount=type=bind,source=.,target=/app,rw');
    expect(stageText(model, 'dev')).toContain('CMD ["python", "-m", "llm_service"]');
  });

  it('writes FLASH_ATTN_VERSION=none for a project without flash-attn, and keeps it when asked', () => {
    tree.write('svc/pyproject.toml', '[project]\nname = "svc"\ndependencies = ["torch"]\n');
    addDockerfile(tree, { project: 'svc' });
    const model = dockerfile(tree, 'svc/docker/Dockerfile-cu124-uv');
    expect(argDefault(model, 'FLASH_ATTN_VERSION')).toBe('none');
    expect(stageText(model, 'deps-dev')).toMatch(/uv sync --locked --no-install-project$/m);
    addDockerfile(tree, { project: 'svc', flashAttn: true, overwrite: true });
    expect(argDefault(dockerfile(tree, 'svc/docker/Dockerfile-cu124-uv'), 'FLASH_ATTN_VERSION')).toBe('2.8.3');
  });

  it('rejects a default backend the project does not have', () => {
    expect(() => addDockerfile(tree, { project: 'services/llm', defaultBackend: 'cu118' })).toThrow(
      /defaultBackend: cu118 is not an extra of services\/llm\/pyproject.toml \(its backends: cu126, cu128\)/,
    );
  });

  it('refuses a context other than the lock folder, which the template paths assume', () => {
    updateNxJson(tree, { ...readNxJson(tree)!, plugins: [{ plugin: 'nx-uv-cuda', options: { context: '..' } }] });
    expect(() => addDockerfile(tree, { project: 'services/llm' })).toThrow(/context option makes it services/);
  });

  describe('a member of the e2e fixture\'s uv workspace', () => {
    beforeEach(() => {
      loadDirectory(tree, FIXTURE_MONOREPO);
    });

    it('builds from the workspace root, copying the workspace library it uses', () => {
      const result = addDockerfile(tree, { project: 'ml-service', overwrite: true });
      expect(result.layout).toMatchObject({ lockDir: '.', uvWorkspaceRoot: '.', pathInContext: 'services/ml-service/' });
      const model = dockerfile(tree, 'services/ml-service/docker/Dockerfile-cu124-uv');
      expect(stageText(model, 'dev')).toContain('COPY libs/shared libs/shared\n');
      expect(stageText(model, 'prod')).toContain('uv pip install --no-deps /src /deps/0-shared');
      expect(new Set(contextReads(model, 'prod'))).toEqual(
        new Set([
          'services/ml-service/prod/uv.lock',
          'services/ml-service/prod/pyproject.toml',
          'libs/shared',
          'services/ml-service/pyproject.toml',
          'services/ml-service/src',
        ]),
      );
      // The fixture keeps its per-Dockerfile ignore file.
      expect(result.dockerignore).toBeUndefined();
    });

    it('writes a per-Dockerfile ignore file for a member that has none', () => {
      const result = addDockerfile(tree, { project: 'shared' });
      expect(result.dockerignore).toBe('libs/shared/docker/Dockerfile-cu124-uv.dockerignore');
      expect(argDefault(dockerfile(tree, 'libs/shared/docker/Dockerfile-cu124-uv'), 'FLASH_ATTN_VERSION')).toBe('none');
    });
  });
});
