import { logger, readNxJson, updateNxJson, type Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { summarizeWorkspace } from '../shared/workspace-setup';
import { initGenerator, initialize } from './generator';

const plugins = (tree: Tree) => readNxJson(tree)?.plugins ?? [];
const snapshot = (tree: Tree) =>
  Object.fromEntries(tree.listChanges().map((change) => [change.path, change.content?.toString() ?? null]));

describe('init generator', () => {
  let tree: Tree;
  beforeEach(() => {
    tree = createTreeWithEmptyWorkspace();
  });
  afterEach(() => vi.restoreAllMocks());

  it('registers the plugin in nx.json', () => {
    expect(initialize(tree).registered).toBe(true);
    expect(plugins(tree)).toEqual(['nx-uv-cuda']);
  });

  it('registers it once: a second run changes nothing at all', () => {
    initialize(tree);
    const first = snapshot(tree);
    expect(initialize(tree)).toEqual({ registered: false, gitignoreAdded: [] });
    expect(snapshot(tree)).toEqual(first);
    expect(plugins(tree)).toEqual(['nx-uv-cuda']);
  });

  it.each([
    ['a string', 'nx-uv-cuda'],
    ['an object', { plugin: 'nx-uv-cuda', options: { registry: '127.0.0.1:5000/ml' } }],
    ['its ./plugin entry point', { plugin: 'nx-uv-cuda/plugin' }],
  ])('leaves a registration as %s alone', (_, entry) => {
    const nxJson = readNxJson(tree)!;
    updateNxJson(tree, { ...nxJson, plugins: ['@nx/js/typescript', entry] });
    expect(initialize(tree).registered).toBe(false);
    expect(plugins(tree)).toEqual(['@nx/js/typescript', entry]);
  });

  it('keeps the other plugins and adds itself after them', () => {
    updateNxJson(tree, { ...readNxJson(tree)!, plugins: ['@nx/js/typescript'] });
    initialize(tree);
    expect(plugins(tree)).toEqual(['@nx/js/typescript', 'nx-uv-cuda']);
  });

  it('writes the registry as the plugin option when it registers the plugin', () => {
    initialize(tree, { registry: 'registry.example.com/ml' });
    expect(plugins(tree)).toEqual([{ plugin: 'nx-uv-cuda', options: { registry: 'registry.example.com/ml' } }]);
  });

  it('creates nx.json when the workspace has none', () => {
    tree.delete('nx.json');
    initialize(tree);
    expect(plugins(tree)).toEqual(['nx-uv-cuda']);
  });

  describe('.gitignore', () => {
    it('ignores dist and the Nx cache folders', () => {
      tree.delete('.gitignore');
      expect(initialize(tree).gitignoreAdded).toEqual(['dist', '.nx/cache', '.nx/workspace-data']);
      expect(tree.read('.gitignore', 'utf-8')).toMatch(/^# Nx: .*\ndist\n\.nx\/cache\n\.nx\/workspace-data\n$/);
    });

    it('appends only what is missing, after the existing lines', () => {
      tree.write('.gitignore', 'node_modules\n/dist/');
      expect(initialize(tree).gitignoreAdded).toEqual(['.nx/cache', '.nx/workspace-data']);
      expect(tree.read('.gitignore', 'utf-8')).toMatch(/^node_modules\n\/dist\/\n\n# Nx: .*\n\.nx\/cache\n\.nx\/workspace-data\n$/);
    });

    it.each([['.nx\ndist\n'], ['/.nx/\n/dist\n'], ['dist/**\n.nx/cache/\n.nx/workspace-data\n']])(
      'recognizes the entries however they are written: %j',
      (text) => {
        tree.write('.gitignore', text);
        expect(initialize(tree).gitignoreAdded).toEqual([]);
        expect(tree.read('.gitignore', 'utf-8')).toBe(text);
      },
    );

    it('does not count a commented or negated line', () => {
      tree.write('.gitignore', '# dist\n!dist\n.nx\n');
      expect(initialize(tree).gitignoreAdded).toEqual(['dist']);
    });

    it('is left alone with skipGitignore', () => {
      tree.write('.gitignore', 'node_modules\n');
      initialize(tree, { skipGitignore: true });
      expect(tree.read('.gitignore', 'utf-8')).toBe('node_modules\n');
    });
  });

  it('rejects unknown options with a message naming them', () => {
    expect(() => initialize(tree, { registy: 'x' } as never)).toThrow(/nx-uv-cuda:init options: .*registy/);
  });

  describe('what it reports', () => {
    it('lists each Python project with its backends, Dockerfiles and images', () => {
      tree.write(
        'services/llm/pyproject.toml',
        '[project]\nname = "LLM_Service"\n[project.optional-dependencies]\ncu124 = ["torch"]\ncu128 = ["torch"]\n',
      );
      tree.write(
        'services/llm/docker/Dockerfile-cu124-uv',
        'FROM scratch AS base\nCOPY services/llm/pyproject.toml /app/\nFROM base AS wheel-prod\nARG FLASH_ATTN_VERSION=2.8.3\n' +
          'FROM base AS dev\nFROM base AS prod\n',
      );
      tree.write('services/llm/prod/pyproject.toml', '[project]\nname = "llm-service"\n');
      tree.write('libs/shared/pyproject.toml', '[project]\nname = "shared"\n');
      tree.write('pyproject.toml', '[tool.uv.workspace]\nmembers = ["services/*", "libs/*"]\n');
      tree.write('uv.lock', 'version = 1\n');
      tree.write('tools/off/pyproject.toml', '[project]\nname = "off"\n[tool.nx-uv-cuda]\nenabled = false\n');

      expect(summarizeWorkspace(tree).map((project) => project.line)).toEqual([
        'shared (libs/shared): backend default; no Dockerfile builds it: lock, lock-check',
        'llm-service (services/llm): backends cu124, cu128; services/llm/docker/Dockerfile-cu124-uv: images dev, prod and the flash-attn wheel',
      ]);
    });

    it('leaves the wheel out when FLASH_ATTN_VERSION defaults to none, and names other product stages', () => {
      tree.write('svc/pyproject.toml', '[project]\nname = "svc"\n');
      tree.write('svc/uv.lock', 'version = 1\n');
      tree.write(
        'svc/Dockerfile',
        'FROM scratch AS wheel-prod\nARG FLASH_ATTN_VERSION=none\nCOPY pyproject.toml ./\nFROM wheel-prod AS server\nFROM wheel-prod AS worker\n',
      );
      expect(summarizeWorkspace(tree)[0].line).toBe('svc (svc): backend default; svc/Dockerfile: images server, worker');
    });

    it('honours renamed lock targets and the wheel package', () => {
      updateNxJson(tree, {
        ...readNxJson(tree)!,
        plugins: [{ plugin: 'nx-uv-cuda', options: { targetNames: { lock: 'uv-lock' }, wheelPackage: 'xformers' } }],
      });
      tree.write('lib/pyproject.toml', '[project]\nname = "lib"\n');
      tree.write('svc/pyproject.toml', '[project]\nname = "svc"\n');
      tree.write('svc/uv.lock', 'version = 1\n');
      tree.write('svc/Dockerfile', 'FROM scratch AS base\nCOPY . .\nFROM base AS wheel-prod\nFROM base AS dev\nFROM base AS prod\n');
      expect(summarizeWorkspace(tree).map((project) => project.line)).toEqual([
        'lib (lib): backend default; no Dockerfile builds it: uv-lock, lock-check',
        'svc (svc): backend default; svc/Dockerfile: images dev, prod and the xformers wheel',
      ]);
    });

    it("names the single backend of a project without backend extras after the Dockerfile's CUDA_VERSION", () => {
      tree.write('svc/pyproject.toml', '[project]\nname = "svc"\n');
      tree.write('svc/uv.lock', 'version = 1\n');
      tree.write('svc/Dockerfile', 'ARG CUDA_VERSION=12.8.0\nFROM scratch AS app\nCOPY pyproject.toml ./\n');
      expect(summarizeWorkspace(tree)[0].line).toBe('svc (svc): backend cu128; svc/Dockerfile: image app');
    });

    it('reports a project it cannot read instead of failing', () => {
      tree.write('bad/pyproject.toml', '[project]\nname = "bad"\n');
      tree.write('bad/uv.lock', 'version = 1\n');
      tree.write('bad/Dockerfile', 'RUN echo no FROM\n');
      expect(summarizeWorkspace(tree)[0].line).toMatch(/^bad \(bad\): cannot be read: bad\/Dockerfile/);
    });

    it('prints it, with what to run next', async () => {
      const info = vi.spyOn(logger, 'info').mockImplementation(() => undefined);
      tree.write('svc/pyproject.toml', '[project]\nname = "svc"\n');
      await initGenerator(tree, {});
      const printed = info.mock.calls.map((call) => String(call[0]));
      expect(printed).toContain('nx-uv-cuda: registered the plugin in nx.json');
      expect(printed).toContain('nx-uv-cuda: infers 1 Python project:');
      expect(printed).toContain('  svc (svc): backend default; no Dockerfile builds it: lock, lock-check');
      expect(printed.at(-1)).toMatch(/nx show project svc/);
    });
  });
});
