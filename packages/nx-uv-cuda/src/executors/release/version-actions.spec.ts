import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { describe, expect, it } from 'vitest';
import { thrownPluginError } from '../../__fixtures__/thrown';
import PyprojectVersionActions, { withLockedProjectVersion, withProjectVersion } from './version-actions';

const PYPROJECT = ['[project]', 'name = "ml_service"', "version = '0.1.0'  # bumped by nx release", '', '[tool.other]', 'version = "9"', ''].join('\n');

const LOCK = [
  'version = 1',
  '',
  '[[package]]',
  'name = "ml-service"',
  'version = "0.1.0"',
  'source = { editable = "services/ml" }',
  '',
  '[[package]]',
  'name = "ml-service"',
  'version = "0.1.0"',
  'source = { registry = "https://pypi.org/simple" }',
  '',
  '[[package]]',
  'name = "tools"',
  'version = "0.1.0"',
  'source = { virtual = "tools" }',
  '',
].join('\n');

describe('withProjectVersion', () => {
  it("replaces [project].version only, keeping the line's comment", () => {
    expect(withProjectVersion(PYPROJECT, '0.2.0', 'p.toml').split('\n')).toEqual([
      '[project]',
      'name = "ml_service"',
      'version = "0.2.0"  # bumped by nx release',
      '',
      '[tool.other]',
      'version = "9"',
      '',
    ]);
  });

  it('refuses what it cannot rewrite on one line, naming file and line, and reads past array lines', () => {
    expect(thrownPluginError('pyproject', () => withProjectVersion('[project]\nname = "x"\nversion = """1.0"""\n', '2.0.0', 'p.toml')).message).toBe(
      'p.toml:3: [project].version is not a one-line string that nx release can rewrite',
    );
    const withArray = ['[project]', 'name = "x"', 'authors = [', '  {name = "a"},', ']', 'version = "1.0.0"', ''].join('\n');
    expect(withProjectVersion(withArray, '1.1.0', 'p.toml')).toContain('version = "1.1.0"');
    expect(withProjectVersion('[project]\r\nname = "x"\r\nversion = "1"\r\n', '2.0.0', 'p.toml')).toBe('[project]\r\nname = "x"\r\nversion = "2.0.0"\r\n');
  });

  it('names the file when [project] has no version to write', () => {
    expect(thrownPluginError('pyproject', () => withProjectVersion('[project]\nname = "x"\ndynamic = ["version"]\n', '1.0.0', 'svc/pyproject.toml')).message).toBe(
      'svc/pyproject.toml: [project] has no version = "..." to update (a dynamic version is set by its build backend)',
    );
  });
});

describe('withLockedProjectVersion', () => {
  it("replaces the version of the project's own entry, not a registry package of that name", () => {
    const { text: updated, found } = withLockedProjectVersion(LOCK, 'uv.lock', 'ml-service', 'services/ml', '0.2.0');
    expect(found).toBe(true);
    expect(updated.split('\n').filter((line) => line.startsWith('version = '))).toEqual(['version = 1', 'version = "0.2.0"', 'version = "0.1.0"', 'version = "0.1.0"']);
    expect(updated.length).toBe(LOCK.length);
    expect(withLockedProjectVersion(LOCK, 'uv.lock', 'tools', 'tools', '3.0.0').text).toContain('name = "tools"\nversion = "3.0.0"\nsource = { virtual = "tools" }');
  });

  it('leaves a lock without the entry as it is', () => {
    expect(withLockedProjectVersion(LOCK, 'uv.lock', 'ml-service', '.', '0.2.0')).toEqual({ text: LOCK, found: false });
  });
});

describe('PyprojectVersionActions', () => {
  const actions = (versionActionsOptions: Record<string, unknown> = { lockFiles: ['uv.lock', 'services/ml/prod/uv.lock'] }, manifests: string[] = []) => {
    const made = new PyprojectVersionActions(
      { name: 'images' } as never,
      { name: 'ml-service', type: 'app', data: { root: 'services/ml' } } as never,
      { versionActionsOptions } as never,
    );
    made.manifestsToUpdate = manifests.map((manifestPath) => ({ manifestPath, preserveLocalDependencyProtocols: false }));
    return made;
  };

  it('reads the version from pyproject.toml and writes it there and into the governing uv.lock', async () => {
    const tree = createTreeWithEmptyWorkspace();
    tree.write('services/ml/pyproject.toml', PYPROJECT);
    tree.write('uv.lock', LOCK);
    expect(await actions().readCurrentVersionFromSourceManifest(tree)).toEqual({ currentVersion: '0.1.0', manifestPath: 'services/ml/pyproject.toml' });
    tree.write('services/ml/prod/pyproject.toml', '[project]\nname = "ml-service"\nversion = "0.1.0"\n');
    tree.write('services/ml/prod/uv.lock', 'version = 1\n\n[[package]]\nname = "ml-service"\nversion = "0.1.0"\nsource = { virtual = "." }\n');
    const logs = await actions(undefined, ['services/ml/pyproject.toml', 'services/ml/prod/pyproject.toml']).updateProjectVersion(tree, '0.2.0');
    expect(logs).toEqual([
      '✍️  New version 0.2.0 written to services/ml/pyproject.toml',
      '✍️  New version 0.2.0 written to services/ml/prod/pyproject.toml',
      '✍️  New version 0.2.0 written to uv.lock',
      '✍️  New version 0.2.0 written to services/ml/prod/uv.lock',
    ]);
    expect(tree.read('services/ml/pyproject.toml', 'utf-8')).toContain('version = "0.2.0"');
    expect(tree.read('uv.lock', 'utf-8')).toContain('name = "ml-service"\nversion = "0.2.0"\nsource = { editable = "services/ml" }');
    expect(tree.read('services/ml/prod/uv.lock', 'utf-8')).toContain('version = "0.2.0"\nsource = { virtual = "." }');
  });

  it('warns about a lock without the project, and leaves a production manifest without a version as it is', async () => {
    const tree = createTreeWithEmptyWorkspace();
    tree.write('services/ml/pyproject.toml', PYPROJECT);
    tree.write('services/ml/prod/pyproject.toml', '[project]\nname = "ml-service"\ndynamic = ["version"]\n');
    tree.write('uv.lock', 'version = 1\n');
    const logs = await actions({ lockFiles: ['uv.lock'] }, ['services/ml/pyproject.toml', 'services/ml/prod/pyproject.toml']).updateProjectVersion(tree, '0.2.0');
    expect(logs).toEqual([
      '✍️  New version 0.2.0 written to services/ml/pyproject.toml',
      '⚠️  uv.lock has no entry of ml-service with a version: run uv lock there, or uv sync --locked will refuse it',
    ]);
    expect(tree.read('services/ml/prod/pyproject.toml', 'utf-8')).toContain('dynamic');
  });

  it('has no version to read for a dynamic version, and refuses the registry resolver', async () => {
    const tree = createTreeWithEmptyWorkspace();
    tree.write('services/ml/pyproject.toml', '[project]\nname = "ml-service"\ndynamic = ["version"]\n');
    expect(await actions().readCurrentVersionFromSourceManifest(tree)).toBeNull();
    await expect(actions().readCurrentVersionFromRegistry()).rejects.toThrow(/currentVersionResolver "registry" is not supported/);
  });
});
