import { compareCodeUnits } from '../core/compare';
import { PluginError } from '../core/errors';
import { conflictItemName, markerMayHold, type MarkerContext } from './markers';
import { normalizeName } from './names';
import {
  formatSource,
  PackageLookup,
  sourceKind,
  type LockDependency,
  type LockPackage,
  type SourceKind,
  type UvLock,
} from './uv-lock';

export interface LockSliceRequest {
  /** The project's package name (normalized or not). */
  readonly project: string;
  /** The backend extra, e.g. `cu124`; undefined for a project without backends. */
  readonly backend: string | undefined;
  readonly devGroups: 'all' | 'none' | readonly string[];
  readonly extras?: readonly string[];
  /** Recorded in the slice as given: pass a workspace-relative path to keep the slice machine-independent. */
  readonly lockFile?: string;
}

export interface SlicedPackage {
  readonly name: string;
  readonly version?: string;
  /** Canonical one-line source, e.g. `registry+https://download.pytorch.org/whl/cu124` or `editable+libs/shared`. */
  readonly source: string;
  /** sha256 hashes of the sdist and the wheels, sorted. */
  readonly hashes: readonly string[];
}

/** The part of a lock one project installs for one backend: what its image build depends on. */
export interface LockSlice {
  readonly lockFile?: string;
  readonly project: string;
  readonly backend: string | undefined;
  readonly kind: 'dev' | 'prod';
  readonly requiresPython?: string;
  /** Sorted by name, then version, then source. */
  readonly packages: readonly SlicedPackage[];
}

/** Why a slice cannot be cut (the `detail` of its `lock-slice` PluginError); `uv lock` usually fixes it. */
export type LockSliceProblem = 'project-not-in-lock' | 'extra-not-in-lock' | 'group-not-in-lock';

function sliceError(problem: LockSliceProblem, file: string, message: string): PluginError {
  return new PluginError('lock-slice', message, { file }, problem);
}

const LOCAL_PROJECT_KINDS: readonly SourceKind[] = ['editable', 'virtual', 'directory'];

export function sliceLock(lock: UvLock, request: LockSliceRequest): LockSlice {
  const project = findProject(lock, request.project);
  const rootExtras = [...(request.backend === undefined ? [] : [request.backend]), ...(request.extras ?? [])];
  rootExtras.forEach((extra) => requireExtra(lock, project, extra));
  const groups = selectGroups(lock, project, request.devGroups);
  const reached = reachableToFixpoint(new PackageLookup(lock), { project, extras: rootExtras, groups });
  return {
    lockFile: request.lockFile,
    project: normalizeName(project.name),
    backend: request.backend,
    kind: groups.length > 0 || request.devGroups === 'all' ? 'dev' : 'prod',
    requiresPython: lock.requiresPython,
    packages: reached.map(toSlicedPackage).sort(compareSlicedPackages),
  };
}

/** Pretty JSON with a fixed key order and a trailing newline: identical slices give identical bytes. */
export function serializeLockSlice(slice: LockSlice): string {
  const ordered = {
    lockFile: slice.lockFile,
    project: slice.project,
    backend: slice.backend,
    kind: slice.kind,
    requiresPython: slice.requiresPython,
    packages: slice.packages.map(({ name, version, source, hashes }) => ({ name, version, source, hashes })),
  };
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

function findProject(lock: UvLock, name: string): LockPackage {
  const wanted = normalizeName(name);
  const project = lock.packages.find(
    (candidate) =>
      normalizeName(candidate.name) === wanted && LOCAL_PROJECT_KINDS.includes(sourceKind(candidate.source)),
  );
  if (project === undefined) {
    throw sliceError('project-not-in-lock', lock.file, `${wanted} is not in ${lock.file}; run \`uv lock\``);
  }
  return project;
}

function requireExtra(lock: UvLock, project: LockPackage, extra: string): void {
  if (project.optionalDependencies[normalizeName(extra)] !== undefined) return;
  throw sliceError('extra-not-in-lock', lock.file,
    `${project.name} has no extra "${extra}" in ${lock.file}; ` +
      'declare it in [project.optional-dependencies] and run `uv lock`',
  );
}

function selectGroups(lock: UvLock, project: LockPackage, devGroups: LockSliceRequest['devGroups']): string[] {
  if (devGroups === 'none') return [];
  if (devGroups === 'all') return Object.keys(project.devDependencies);
  const groups = devGroups.map(normalizeName);
  const missing = groups.find((group) => project.devDependencies[group] === undefined);
  if (missing !== undefined) {
    throw sliceError('group-not-in-lock', lock.file,
      `${project.name} has no dependency group "${missing}" in ${lock.file}; ` +
        'declare it in [dependency-groups] and run `uv lock`',
    );
  }
  return groups;
}

interface Root {
  readonly project: LockPackage;
  readonly extras: readonly string[];
  readonly groups: readonly string[];
}

interface Walk {
  readonly packages: LockPackage[];
  /** Marker names of every extra the walk activated on its way. */
  readonly activatedExtras: ReadonlySet<string>;
}

/**
 * Which edges hold depends on which extras are active, and following edges can activate
 * more extras (`shared-lib[cuda]`); walk again until the active set stops growing.
 */
function reachableToFixpoint(lookup: PackageLookup, root: Root): LockPackage[] {
  let extras = new Set(root.extras.flatMap((extra) => extraMarkerNames(root.project.name, extra)));
  root.groups.forEach((group) => extras.add(conflictItemName('group', root.project.name, group)));
  const groups = new Set(root.groups);
  for (;;) {
    const walk = walkFrom(lookup, root, { extras, groups });
    const grown = new Set([...extras, ...walk.activatedExtras]);
    if (grown.size === extras.size) return walk.packages;
    extras = grown;
  }
}

function walkFrom(lookup: PackageLookup, root: Root, context: MarkerContext): Walk {
  const expandedExtras = new Map<LockPackage, Set<string>>();
  const activatedExtras = new Set<string>();
  const mayHold = memoizedMarkerCheck(context);
  const pending: LockDependency[] = root.groups.flatMap((group) => root.project.devDependencies[group] ?? []);
  pending.push(...newEdges(root.project, root.extras, expandedExtras));
  for (let edge = pending.pop(); edge !== undefined; edge = pending.pop()) {
    if (!mayHold(edge.marker)) continue;
    const target = lookup.resolve(edge);
    const extras = edge.extra ?? [];
    extras.forEach((extra) => extraMarkerNames(target.name, extra).forEach((name) => activatedExtras.add(name)));
    pending.push(...newEdges(target, extras, expandedExtras));
  }
  return { packages: [...expandedExtras.keys()], activatedExtras };
}

/** The package's edges not followed yet: its base dependencies on first visit, and those of newly requested extras. */
function newEdges(
  target: LockPackage,
  extras: readonly string[],
  expandedExtras: Map<LockPackage, Set<string>>,
): LockDependency[] {
  let expanded = expandedExtras.get(target);
  const edges: LockDependency[] = [];
  if (expanded === undefined) {
    expanded = new Set();
    expandedExtras.set(target, expanded);
    edges.push(...target.dependencies);
  }
  for (const extra of extras.map(normalizeName)) {
    if (expanded.has(extra)) continue;
    expanded.add(extra);
    edges.push(...(target.optionalDependencies[extra] ?? []));
  }
  return edges;
}

/** An active extra is named both plainly and in uv's conflict encoding. */
function extraMarkerNames(packageName: string, extra: string): string[] {
  return [normalizeName(extra), conflictItemName('extra', packageName, extra)];
}

function memoizedMarkerCheck(context: MarkerContext): (marker: string | undefined) => boolean {
  const results = new Map<string, boolean>();
  return (marker) => {
    if (marker === undefined) return true;
    let result = results.get(marker);
    if (result === undefined) {
      result = markerMayHold(marker, context);
      results.set(marker, result);
    }
    return result;
  };
}

function toSlicedPackage(lockPackage: LockPackage): SlicedPackage {
  const hashes = [lockPackage.sdist, ...lockPackage.wheels].flatMap((distribution) =>
    distribution?.hash === undefined ? [] : [distribution.hash],
  );
  return {
    name: lockPackage.name,
    version: lockPackage.version,
    source: formatSource(lockPackage.source),
    hashes: [...new Set(hashes)].sort(),
  };
}

function compareSlicedPackages(a: SlicedPackage, b: SlicedPackage): number {
  return (
    compareCodeUnits(a.name, b.name) || compareCodeUnits(a.version ?? '', b.version ?? '') || compareCodeUnits(a.source, b.source)
  );
}
