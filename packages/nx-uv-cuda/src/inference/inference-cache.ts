import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProjectConfiguration } from '@nx/devkit';

/** What createDependencies needs about a project, kept with the inferred node so it is cached with it. */
export interface DependencyHints {
  pythonName: string;
  pyprojectFile: string;
  /** The governing uv.lock: workspace sources name members under the same one. */
  lockFile: string;
  /** Normalized names of `{ workspace = true }` sources. */
  workspaceSources: string[];
  /** Workspace-relative folders of `{ path = ... }` sources. */
  pathSources: string[];
  /** Each Dockerfile, with the workspace-relative paths it reads from its build context. */
  dockerfiles: Array<{ file: string; contextPaths: string[] }>;
}

/** The inference of one pyproject.toml; empty when the file is not a project of ours. */
export interface CachedProject {
  node?: ProjectConfiguration;
  hints?: DependencyHints;
}

interface Entry extends CachedProject {
  /** The hash of every file inference read for this pyproject.toml. */
  hash: string;
}

export interface InferenceCacheSettings {
  /** Folder for the cache file (Nx's workspace data folder). */
  dir: string;
  /** Hash of the plugin version and its options: a new version or new options never read old entries. */
  key: string;
  /** `NX_CACHE_PROJECT_GRAPH=false`: infer every time, read and write nothing on disk. */
  enabled: boolean;
  /** Told once when the cache file cannot be written; inference goes on without it. */
  onWriteError(error: Error): void;
}

/**
 * Inference results keyed by pyproject.toml path and the hash of the files inference read, kept in memory
 * for the daemon and on disk for the next process, as Nx's own plugins do. An entry whose files changed is not
 * served but kept, so that a project broken by an edit keeps its targets (`previous`).
 */
export class InferenceCache {
  private readonly file: string;
  private entries: Record<string, Entry>;
  private dirty = false;
  private writeFailed = false;

  constructor(private readonly settings: InferenceCacheSettings) {
    this.file = join(settings.dir, `nx-uv-cuda-${settings.key}.json`);
    this.entries = settings.enabled ? readEntries(this.file) : {};
  }

  get(file: string, hash: string): CachedProject | undefined {
    const entry = this.entries[file];
    return this.settings.enabled && entry?.hash === hash ? entry : undefined;
  }

  /** The last good inference of `file`, whatever changed since. */
  previous(file: string): CachedProject | undefined {
    return this.entries[file];
  }

  set(file: string, hash: string, project: CachedProject): void {
    this.entries[file] = { hash, ...project };
    this.dirty = true;
  }

  /** Forgets pyproject.toml files that no longer exist. */
  retainOnly(files: Iterable<string>): void {
    const kept = new Set(files);
    for (const file of Object.keys(this.entries)) {
      if (!kept.has(file)) {
        delete this.entries[file];
        this.dirty = true;
      }
    }
  }

  projects(): CachedProject[] {
    return Object.values(this.entries);
  }

  /** Writes through a temporary file so a concurrent reader never sees half a cache; never throws. */
  save(): void {
    if (!this.dirty || !this.settings.enabled || this.writeFailed) return;
    const temporary = `${this.file}.${process.pid}.tmp`;
    try {
      mkdirSync(this.settings.dir, { recursive: true });
      writeFileSync(temporary, JSON.stringify(this.entries));
      renameSync(temporary, this.file);
      this.dirty = false;
    } catch (error) {
      removeQuietly(temporary);
      this.writeFailed = true;
      this.settings.onWriteError(error as Error);
    }
  }
}

function removeQuietly(path: string): void {
  try {
    rmSync(path, { force: true });
  } catch {
    // The folder itself is what failed; there is nothing to remove.
  }
}

function readEntries(file: string): Record<string, Entry> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return {};
  }
  if (!isRecord(parsed)) return {};
  return Object.fromEntries(Object.entries(parsed).filter((entry): entry is [string, Entry] => isEntry(entry[1])));
}

/**
 * What is read back is checked, entry by entry: one from another version or a hand-edited file is inferred
 * again. By hand rather than with zod, which costs ~50 ms to load on the warm path that must stay cheap.
 */
function isEntry(value: unknown): value is Entry {
  if (!isRecord(value) || typeof value.hash !== 'string') return false;
  const { node, hints } = value;
  const nodeOk = node === undefined || (isRecord(node) && typeof node.root === 'string' && isRecord(node.targets));
  const hintsOk =
    hints === undefined ||
    (isRecord(hints) &&
      typeof hints.pythonName === 'string' &&
      typeof hints.pyprojectFile === 'string' &&
      typeof hints.lockFile === 'string' &&
      isStringArray(hints.workspaceSources) &&
      isStringArray(hints.pathSources) &&
      Array.isArray(hints.dockerfiles) &&
      hints.dockerfiles.every((dockerfile) => isRecord(dockerfile) && typeof dockerfile.file === 'string' && isStringArray(dockerfile.contextPaths)));
  return nodeOk && hintsOk;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}
