import { posix } from 'node:path';
import type { Tree } from '@nx/devkit';
import { VersionActions } from 'nx/release';
import { PluginError } from '../../core/errors';
import { escapeRegExp } from '../../core/regexp';
import { parsePyproject } from '../../python/pyproject';

/**
 * nx release's version step for a uv project (`release.version.versionActions` of every inferred project): the
 * version lives in `[project].version` of pyproject.toml, and the governing uv.lock records it for the project
 * itself, so both change together (`uv sync --locked` refuses a lock whose project version is stale). Images take
 * it as `{versionActionsVersion}` in a release version scheme.
 */
export default class PyprojectVersionActions extends VersionActions {
  validManifestFilenames = ['pyproject.toml'];
  // Nx formats manifests with prettier, which knows no TOML.
  override excludeManifestsFromFormatting = true;

  async readCurrentVersionFromSourceManifest(tree: Tree): Promise<{ currentVersion: string; manifestPath: string } | null> {
    const manifestPath = this.pyprojectPath();
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
    const manifestPath = this.pyprojectPath();
    const text = tree.read(manifestPath, 'utf-8');
    if (text === null) throw new PluginError('missing-input', `${manifestPath} is missing`);
    tree.write(manifestPath, withProjectVersion(text, newVersion, manifestPath));
    const logs = [`✍️  New version ${newVersion} written to ${manifestPath}`];
    const lockFile = this.lockFile();
    const lockText = lockFile === undefined ? null : tree.read(lockFile, 'utf-8');
    const name = parsePyproject(text, manifestPath).name;
    if (lockFile && lockText !== null && name) {
      const updated = withLockedProjectVersion(lockText, name, posix.relative(posix.dirname(lockFile), this.projectGraphNode.data.root) || '.', newVersion);
      if (updated !== lockText) {
        tree.write(lockFile, updated);
        logs.push(`✍️  New version ${newVersion} written to ${lockFile}`);
      }
    }
    return logs;
  }

  async updateProjectDependencies(): Promise<string[]> {
    return [];
  }

  private pyprojectPath(): string {
    return posix.join(this.projectGraphNode.data.root, 'pyproject.toml');
  }

  private lockFile(): string | undefined {
    const lock = this.finalConfigForProject.versionActionsOptions?.lockFile;
    return typeof lock === 'string' ? lock : undefined;
  }
}

/** `version = "..."` of the `[project]` table replaced, the rest of the file as it was. */
export function withProjectVersion(text: string, version: string, file: string): string {
  const lines = text.split('\n');
  let inProject = false;
  for (let index = 0; index < lines.length; index += 1) {
    const header = /^\s*\[([^\]]*)\]/.exec(lines[index]);
    if (header) inProject = header[1].trim() === 'project';
    else if (inProject && /^\s*version\s*=/.test(lines[index])) {
      lines[index] = lines[index].replace(/=\s*(["']).*?\1/, `= "${version}"`);
      return lines.join('\n');
    }
  }
  throw new PluginError('pyproject', `${file}: [project] has no version = "..." to update (a dynamic version is set by its build backend)`, { file });
}

/**
 * The version of the project's own entry in uv.lock (`name = "<name>"`, `source = { editable|virtual = "<dir>" }`)
 * replaced; a lock without that entry, or without a version in it, is returned as it is.
 */
export function withLockedProjectVersion(lock: string, name: string, dirFromLock: string, version: string): string {
  const blocks = lock.split(/(?=^\[\[package\]\]\s*$)/m);
  const source = new RegExp(`^source = \\{ (editable|virtual) = "${escapeRegExp(dirFromLock)}" \\}\\s*$`, 'm');
  const named = new RegExp(`^name = "${escapeRegExp(name)}"\\s*$`, 'm');
  return blocks
    .map((block) =>
      block.startsWith('[[package]]') && named.test(block) && source.test(block)
        ? block.replace(/^version = ".*"[ \t]*$/m, `version = "${version}"`)
        : block,
    )
    .join('');
}
