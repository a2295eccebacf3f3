import { z } from 'zod';
import { fileError, isPluginError, PluginError } from '../core/errors';
import { escapeRegExp } from '../core/regexp';
import { formatKeyPath, formatZodIssues } from '../core/zod-message';
import { parseMarker } from './markers';
import { normalizeName } from './names';
import { parseTomlFile } from './toml';

export const SOURCE_KINDS = ['registry', 'git', 'url', 'path', 'directory', 'editable', 'virtual'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

/** The raw source table, e.g. `{ registry: 'https://pypi.org/simple' }` or `{ editable: 'libs/shared' }`. */
export type LockSource = Readonly<Record<string, string>>;

export interface LockDependency {
  readonly name: string;
  /** Present only when the lock holds several packages of this name. */
  readonly version?: string;
  readonly source?: LockSource;
  readonly marker?: string;
  /** Extras of the target package that this edge activates. */
  readonly extra?: readonly string[];
  /** The dependency group the entry belongs to (dev dependencies only). */
  readonly group?: string;
}

export interface LockDistribution {
  readonly url?: string;
  readonly path?: string;
  readonly filename?: string;
  readonly hash?: string;
  readonly size?: number;
}

export interface LockPackage {
  readonly name: string;
  readonly version?: string;
  readonly source: LockSource;
  readonly dependencies: readonly LockDependency[];
  readonly optionalDependencies: Readonly<Record<string, readonly LockDependency[]>>;
  readonly devDependencies: Readonly<Record<string, readonly LockDependency[]>>;
  readonly sdist?: LockDistribution;
  readonly wheels: readonly LockDistribution[];
}

export interface UvLock {
  /** The path the lock was read from, as given to the parser; used in messages. */
  readonly file: string;
  readonly version: 1;
  readonly revision: number;
  readonly requiresPython?: string;
  readonly packages: readonly LockPackage[];
}

const sourceSchema = z
  .record(z.string(), z.string())
  .refine((table) => SOURCE_KINDS.filter((kind) => kind in table).length === 1, {
    message: `expected exactly one of ${SOURCE_KINDS.join(', ')}`,
  });

const dependencySchema = z.object({
  name: z.string().min(1),
  version: z.string().optional(),
  source: sourceSchema.optional(),
  marker: z.string().optional(),
  extra: z.array(z.string()).optional(),
});

const distributionSchema = z.object({
  url: z.string().optional(),
  path: z.string().optional(),
  filename: z.string().optional(),
  hash: z.string().optional(),
  size: z.number().int().nonnegative().optional(),
});

const dependencyTableSchema = z.record(z.string(), z.array(dependencySchema));

const packageSchema = z.object({
  name: z.string().min(1),
  version: z.string().optional(),
  source: sourceSchema,
  dependencies: z.array(dependencySchema).optional(),
  'optional-dependencies': dependencyTableSchema.optional(),
  'dev-dependencies': dependencyTableSchema.optional(),
  sdist: distributionSchema.optional(),
  wheels: z.array(distributionSchema).optional(),
}).refine((lockPackage) => !('registry' in lockPackage.source) || lockPackage.version !== undefined, {
  path: ['version'],
  message: 'a package from a registry needs its version (uv writes one for each): run `uv lock`',
});

// Revisions are backwards-compatible additions (uv's own rule), so any revision of version 1 is read.
const lockSchema = z.object({
  version: z.literal(1, { error: 'expected 1, the only uv.lock version this plugin reads' }),
  revision: z.number().int().nonnegative().optional(),
  'requires-python': z.string().optional(),
  package: z.array(packageSchema).optional(),
  // uv before 0.3 wrote `[[distribution]]` tables where it now writes `[[package]]`.
  distribution: z.array(packageSchema).optional(),
});

type RawLock = z.infer<typeof lockSchema>;
type RawPackage = z.infer<typeof packageSchema>;
type RawDependency = z.infer<typeof dependencySchema>;

/** Reads uv.lock text; throws an `uv-lock` PluginError naming the file and the offending line or key path. */
export function parseUvLock(text: string, file: string): UvLock {
  const result = lockSchema.safeParse(parseTomlFile(text, file, 'uv-lock'));
  if (!result.success) throw lockError(file, formatZodIssues(result.error.issues, file));
  const lock = toModel(result.data, file);
  checkNoDuplicates(lock, text);
  checkDependencyTargets(lock);
  return lock;
}

/** The kind of a source table: the one key of {@link SOURCE_KINDS} it holds. */
export function sourceKind(source: LockSource): SourceKind {
  const kind = SOURCE_KINDS.find((candidate) => candidate in source);
  if (kind === undefined) throw new Error(`not a uv.lock source: ${JSON.stringify(source)}`);
  return kind;
}

/** One-line canonical form: `registry+https://pypi.org/simple`, `editable+libs/shared`, other keys appended sorted. */
export function formatSource(source: LockSource): string {
  const kind = sourceKind(source);
  const qualifiers = Object.keys(source)
    .filter((key) => key !== kind)
    .sort()
    .map((key) => ` ${key}=${source[key]}`);
  return `${kind}+${source[kind]}${qualifiers.join('')}`;
}

/** Finds the exact package a dependency entry points at. */
export class PackageLookup {
  private readonly byName = new Map<string, LockPackage[]>();

  constructor(private readonly lock: UvLock) {
    for (const lockPackage of lock.packages) {
      const name = normalizeName(lockPackage.name);
      const sameName = this.byName.get(name);
      if (sameName === undefined) this.byName.set(name, [lockPackage]);
      else sameName.push(lockPackage);
    }
  }

  named(name: string): readonly LockPackage[] {
    return this.byName.get(normalizeName(name)) ?? [];
  }

  /** Packages matching the entry's name and, when given, its version and source: one in a consistent lock. */
  candidates(dependency: LockDependency): LockPackage[] {
    const source = dependency.source && formatSource(dependency.source);
    return this.named(dependency.name).filter(
      (candidate) =>
        (dependency.version === undefined || candidate.version === dependency.version) &&
        (source === undefined || formatSource(candidate.source) === source),
    );
  }

  resolve(dependency: LockDependency): LockPackage {
    const candidates = this.candidates(dependency);
    if (candidates.length !== 1) {
      throw lockError(this.lock.file, `${this.lock.file}: ${describeMismatch(dependency, candidates.length)}`);
    }
    return candidates[0];
  }
}

function toModel(raw: RawLock, file: string): UvLock {
  return {
    file,
    version: raw.version,
    revision: raw.revision ?? 0,
    requiresPython: raw['requires-python'],
    packages: (raw.package ?? raw.distribution ?? []).map(toPackage),
  };
}

function toPackage(raw: RawPackage): LockPackage {
  return {
    name: raw.name,
    version: raw.version,
    source: raw.source,
    dependencies: (raw.dependencies ?? []).map((entry) => toDependency(entry)),
    optionalDependencies: mapValues(raw['optional-dependencies'] ?? {}, (entries) =>
      entries.map((entry) => toDependency(entry)),
    ),
    devDependencies: mapValues(raw['dev-dependencies'] ?? {}, (entries, group) =>
      entries.map((entry) => toDependency(entry, group)),
    ),
    sdist: raw.sdist,
    wheels: raw.wheels ?? [],
  };
}

function toDependency(raw: RawDependency, group?: string): LockDependency {
  return group === undefined ? raw : { ...raw, group };
}

function mapValues<T, U>(record: Record<string, T>, map: (value: T, key: string) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, map(value, key)]));
}

/**
 * uv identifies a package by its name, version and source: the same three twice is a bad merge or hand edit,
 * which would otherwise be reported as an ambiguous entry. One name and source with two versions is fine: uv
 * keeps both when the resolution forks (e.g. by Python version).
 */
function checkNoDuplicates(lock: UvLock, text: string): void {
  const lines = packageHeaderLines(text, lock.packages.length);
  const firstByKey = new Map<string, number>();
  lock.packages.forEach((lockPackage, index) => {
    const source = formatSource(lockPackage.source);
    const key = JSON.stringify([normalizeName(lockPackage.name), lockPackage.version ?? null, source]);
    const first = firstByKey.get(key);
    if (first === undefined) {
      firstByKey.set(key, index);
      return;
    }
    const what = [lockPackage.name, lockPackage.version, `(${source})`].filter((part) => part !== undefined).join(' ');
    const where = lines ? `lines ${lines[first]} and ${lines[index]}` : `package[${first}] and package[${index}]`;
    const reason = `duplicate package: ${what} is listed twice (${where}); remove one, or run \`uv lock\``;
    throw fileError('uv-lock', lock.file, lines?.[index], reason);
  });
}

/** The line of each `[[package]]` header, when every package has one (uv's own layout). */
function packageHeaderLines(text: string, count: number): number[] | undefined {
  const lines: number[] = [];
  text.split('\n').forEach((line, index) => {
    if (/^[ \t]*\[\[[ \t]*(?:package|distribution)[ \t]*\]\][ \t]*(?:#.*)?\r?$/.test(line)) lines.push(index + 1);
  });
  return lines.length === count ? lines : undefined;
}

/**
 * Every dependency entry must point at exactly one package, so that slicing is exact, and its marker must parse,
 * so that slicing never fails on it later with no word of the lock.
 */
function checkDependencyTargets(lock: UvLock): void {
  const lookup = new PackageLookup(lock);
  const validMarkers = new Set<string>();
  lock.packages.forEach((lockPackage, index) => {
    for (const [path, dependency] of dependencyEntries(lockPackage, index)) {
      const matches = lookup.candidates(dependency).length;
      if (matches !== 1) {
        const problem = describeMismatch(dependency, matches);
        throw lockError(lock.file, `${lock.file}: ${formatKeyPath(path)}: ${problem}`);
      }
      const { marker } = dependency;
      if (marker === undefined || validMarkers.has(marker)) continue;
      try {
        parseMarker(marker);
      } catch (error) {
        if (!isPluginError(error, 'marker')) throw error;
        throw lockError(lock.file, `${lock.file}: ${formatKeyPath([...path, 'marker'])}: ${error.message}`);
      }
      validMarkers.add(marker);
    }
  });
}

function* dependencyEntries(lockPackage: LockPackage, index: number): Generator<[PropertyKey[], LockDependency]> {
  for (const [position, dependency] of lockPackage.dependencies.entries()) {
    yield [['package', index, 'dependencies', position], dependency];
  }
  for (const [table, groups] of [
    ['optional-dependencies', lockPackage.optionalDependencies],
    ['dev-dependencies', lockPackage.devDependencies],
  ] as const) {
    for (const [group, dependencies] of Object.entries(groups)) {
      for (const [position, dependency] of dependencies.entries()) {
        yield [['package', index, table, group, position], dependency];
      }
    }
  }
}

function describeMismatch(dependency: LockDependency, matches: number): string {
  const wanted = [dependency.name, dependency.version, dependency.source && formatSource(dependency.source)]
    .filter((part) => part !== undefined)
    .join(' ');
  return matches === 0
    ? `no package ${wanted} in the lock`
    : `${matches} packages match ${wanted}; the entry needs a version and source to pick one`;
}

function lockError(file: string, message: string): PluginError {
  return new PluginError('uv-lock', message, { file });
}

/**
 * The local version labels (`+cu128`) the lock holds for one package, read from the text without parsing it
 * all (inference reads this from locks of several megabytes): `[[package]]`, then `name`, then `version`.
 */
export function lockedLocalVersions(text: string, packageName: string): string[] {
  const labels = new Set<string>();
  const name = escapeRegExp(packageName);
  const entry = new RegExp(`\\[\\[(?:package|distribution)\\]\\]\\r?\\nname = "${name}"\\r?\\nversion = "[^"+]*\\+([^"]+)"`, 'g');
  for (const match of text.matchAll(entry)) labels.add(match[1]);
  return [...labels];
}
