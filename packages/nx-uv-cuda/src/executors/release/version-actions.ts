import { posix } from 'node:path';
import type { Tree } from '@nx/devkit';
import { VersionActions } from 'nx/release';
import { PluginError } from '../../core/errors';
import { escapeRegExp } from '../../core/regexp';
import { parsePyproject } from '../../python/pyproject';
import { PackageLookup, parseUvLock, sourceKind, type LockPackage } from '../../python/uv-lock';

/**
 * nx release's version step for a uv project (`release.version` of every inferred project): the version lives in
 * `[project].version` of pyproject.toml (and of `prod/pyproject.toml`, the service's minimal production manifest,
 * where it has one: both are manifest roots), and every uv.lock the project's images install from records it for
 * the project itself, so all change together (`uv sync --locked` refuses a lock whose project version is stale).
 * Images take it as `{versionActionsVersion}` in a release version scheme. Versions are nx's semver.
 */
export default class PyprojectVersionActions extends VersionActions {
  validManifestFilenames = ['pyproject.toml'];
  // Nx formats manifests with prettier, which knows no TOML.
  override excludeManifestsFromFormatting = true;

  async readCurrentVersionFromSourceManifest(tree: Tree): Promise<{ currentVersion: string; manifestPath: string } | null> {
    const manifestPath = this.manifestPaths()[0];
    const text = tree.read(manifestPath, 'utf-8');
    if (text === null) return null;
    const version = parsePyproject(text, manifestPath).version;
    return version === undefined ? null : { currentVersion: version, manifestPath };
  }

  /** Python packages are not versioned through a registry nx can ask: git tags or the manifest are. */
  async readCurrentVersionFromRegistry(): Promise<null> {
    throw new PluginError(
      'options',
      `${this.projectGraphNode.name}: currentVersionResolver "registry" is not supported for uv projects; use "git-tag" or "disk"`,
    );
  }

  async readCurrentVersionOfDependency(): Promise<{ currentVersion: string | null; dependencyCollection: string | null }> {
    return { currentVersion: null, dependencyCollection: null };
  }

  async updateProjectVersion(tree: Tree, newVersion: string): Promise<string[]> {
    const logs: string[] = [];
    const manifests: Array<{ dir: string; name: string }> = [];
    for (const [index, manifestPath] of this.manifestPaths().entries()) {
      const text = tree.read(manifestPath, 'utf-8');
      if (text === null) throw new PluginError('missing-input', `${manifestPath} is missing`, { file: manifestPath });
      const pyproject = parsePyproject(text, manifestPath);
      // The project's own manifest must have a version; a production manifest beside it may have none.
      if (index > 0 && pyproject.version === undefined) continue;
      tree.write(manifestPath, withProjectVersion(text, newVersion, manifestPath));
      logs.push(`✍️  New version ${newVersion} written to ${manifestPath}`);
      if (pyproject.name) manifests.push({ dir: posix.dirname(manifestPath), name: pyproject.name });
    }
    for (const lockFile of this.lockFiles()) {
      const lockText = tree.read(lockFile, 'utf-8');
      if (lockText === null) continue;
      let updated = lockText;
      let found = false;
      for (const { dir, name } of manifests) {
        const edit = withLockedProjectVersion(updated, lockFile, name, posix.relative(posix.dirname(lockFile), dir) || '.', newVersion);
        updated = edit.text;
        found ||= edit.found;
      }
      if (!found) {
        logs.push(`⚠️  ${lockFile} has no entry of ${manifests.map(({ name }) => name).join(', ')} with a version: run uv lock there, or uv sync --locked will refuse it`);
      } else if (updated !== lockText) {
        tree.write(lockFile, updated);
        logs.push(`✍️  New version ${newVersion} written to ${lockFile}`);
      }
    }
    return logs;
  }

  async updateProjectDependencies(): Promise<string[]> {
    return [];
  }

  /** The manifests nx resolved from the manifest roots (the project root by default). */
  private manifestPaths(): string[] {
    const resolved = this.manifestsToUpdate.map((manifest) => manifest.manifestPath.split('\\').join('/'));
    return resolved.length > 0 ? resolved : [posix.join(this.projectGraphNode.data.root, 'pyproject.toml')];
  }

  private lockFiles(): string[] {
    const locks = this.finalConfigForProject.versionActionsOptions?.lockFiles;
    return Array.isArray(locks) ? locks.filter((lock): lock is string => typeof lock === 'string') : [];
  }
}

/** One line `version = "..."` (or `'...'`) of the `[project]` table replaced; checked by reading the file again. */
export function withProjectVersion(text: string, version: string, file: string): string {
  const lines = text.split('\n');
  let inProject = false;
  for (let index = 0; index < lines.length; index += 1) {
    const header = /^\s*\[\s*([A-Za-z0-9_.\-"' ]+?)\s*\]\s*(#.*)?\r?$/.exec(lines[index]);
    if (header) inProject = header[1] === 'project';
    else if (inProject && /^\s*version\s*=/.test(lines[index])) {
      const replaced = lines[index].replace(/^(\s*version\s*=\s*)("[^"\\\n]*"|'[^'\n]*')(?=\s*(#.*)?\r?$)/, `$1"${version}"`);
      const edited = [...lines.slice(0, index), replaced, ...lines.slice(index + 1)].join('\n');
      if (replaced !== lines[index] && parsePyproject(edited, file).version === version) return edited;
      throw new PluginError('pyproject', `${file}:${index + 1}: [project].version is not a one-line string that nx release can rewrite`, { file });
    }
  }
  throw new PluginError('pyproject', `${file}: [project] has no version = "..." to update (a dynamic version is set by its build backend)`, { file });
}

/**
 * The version of the project's own entry in uv.lock (`name = "<name>"`, `source = { editable|virtual = "<dir>" }`,
 * found by the lock's parser) replaced in the text, checked by parsing the result. `found`: the lock has that
 * entry with a version (a lock without it is returned as it is).
 */
export function withLockedProjectVersion(lock: string, file: string, name: string, dirFromLock: string, version: string): { text: string; found: boolean } {
  const isOwn = (entry: LockPackage) => ['editable', 'virtual'].includes(sourceKind(entry.source)) && (entry.source.editable ?? entry.source.virtual) === dirFromLock;
  const own = (text: string) => new PackageLookup(parseUvLock(text, file)).named(name).find(isOwn);
  if (own(lock)?.version === undefined) return { text: lock, found: false };
  const source = new RegExp(`^source = \\{ (editable|virtual) = "${escapeRegExp(dirFromLock)}" \\}[ \\t]*\\r?$`, 'm');
  const named = new RegExp(`^name = "${escapeRegExp(name)}"[ \\t]*\\r?$`, 'm');
  const text = lock
    .split(/(?=^\[\[package\]\][ \t]*\r?$)/m)
    .map((block) => (named.test(block) && source.test(block) ? block.replace(/^version = "[^"\n]*"/m, `version = "${version}"`) : block))
    .join('');
  if (own(text)?.version !== version) {
    throw new PluginError('uv-lock', `${file}: the version of ${name} (source ${dirFromLock}) is not written as nx release can rewrite it: run uv lock there`, { file });
  }
  return { text, found: true };
}
