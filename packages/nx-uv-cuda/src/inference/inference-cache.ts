import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProjectConfiguration } from '@nx/devkit';
import { workspaceDataDirectory } from 'nx/src/devkit-internals';
import type { DependencyHints } from './read-project';

/** The inference of one pyproject.toml; empty when the file is not a project of ours. */
export interface CachedProject {
  node?: ProjectConfiguration;
  hints?: DependencyHints;
}

interface Entry extends CachedProject {
  hash: string;
}

/**
 * Inference results keyed by pyproject.toml path and the hash of the files inference read, kept in memory
 * for the daemon and on disk (in Nx's workspace data folder) for the next process, as Nx's own plugins do.
 */
export class InferenceCache {
  private readonly file: string;
  private entries: Record<string, Entry>;
  private dirty = false;

  constructor(workspaceRoot: string, optionsHash: string) {
    const dir = workspaceDataDirectory ?? join(workspaceRoot, '.nx', 'workspace-data');
    this.file = join(dir, `nx-uv-cuda-${optionsHash}.json`);
    this.entries = readEntries(this.file);
  }

  get(file: string, hash: string): CachedProject | undefined {
    const entry = this.entries[file];
    return entry?.hash === hash ? entry : undefined;
  }

  set(file: string, hash: string, project: CachedProject): CachedProject {
    this.entries[file] = { hash, ...project };
    this.dirty = true;
    return project;
  }

  delete(file: string): void {
    if (file in this.entries) {
      delete this.entries[file];
      this.dirty = true;
    }
  }

  /** Forgets pyproject.toml files that no longer exist. */
  retainOnly(files: Iterable<string>): void {
    const kept = new Set(files);
    for (const file of Object.keys(this.entries)) if (!kept.has(file)) this.delete(file);
  }

  projects(): CachedProject[] {
    return Object.values(this.entries);
  }

  /** Writes through a temporary file so a concurrent reader never sees half a cache. */
  save(): void {
    if (!this.dirty) return;
    mkdirSync(join(this.file, '..'), { recursive: true });
    const temporary = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(this.entries));
    renameSync(temporary, this.file);
    this.dirty = false;
  }
}

function readEntries(file: string): Record<string, Entry> {
  if (!existsSync(file)) return {};
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return {};
  }
}
