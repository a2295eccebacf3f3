import fc from 'fast-check';
import { stringify } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { isPluginError } from '../core/errors';
import { serializeLockSlice, sliceLock, type LockSliceRequest } from './lock-slice';
import { parseUvLock } from './uv-lock';

const FILE = 'services/ml/uv.lock';
const NUM_RUNS = 300;

type Source = Record<string, string>;
interface Entry {
  name: string;
  version?: string;
  source?: Source;
  marker?: string;
  extra?: string[];
}

const NAMES = ['torch', 'numpy', 'requests', 'shared-lib', 'Flash_Attn', 'urllib3'];
const SOURCES: Source[] = [
  { registry: 'https://pypi.org/simple' },
  { registry: 'https://download.pytorch.org/whl/cu124' },
  { editable: 'libs/shared' },
  { git: 'https://github.com/org/repo?rev=v1#0123abc' },
];
const MARKERS = [
  "extra == 'cu124'",
  "extra == 'extra-3-app-cu124'",
  "extra != 'extra-3-app-cu124'",
  "extra == 'extra-3-app-cpu' and extra != 'extra-3-app-cu124'",
  "extra == 'group-3-app-dev'",
  "group == 'dev'",
  "sys_platform == 'linux'",
  "(extra == 'cuda') or (python_version < '3.12')",
  "extra == 'extra-10-shared-lib-cuda'",
];

interface LockPlan {
  packages: Array<{ name: string; version?: string; source: Source; hashes: string[] }>;
  /** Per package (the project is the last one): edges as indexes of their targets. */
  edges: Array<Array<{ target: number; marker?: string; extra?: string[] }>>;
  rootSource: Source;
  optional: Record<string, Array<{ target: number; marker?: string; extra?: string[] }>>;
  dev: Record<string, Array<{ target: number; marker?: string; extra?: string[] }>>;
}

const edge = fc.record(
  {
    target: fc.nat(),
    // Now and then a marker uv would never write.
    marker: fc.oneof({ arbitrary: fc.constantFrom(...MARKERS), weight: 150 }, fc.constantFrom("extra == 'cu124", 'extra ==')),
    extra: fc.subarray(['cuda', 'cu124', 'Fast_Path']),
  },
  { requiredKeys: ['target'] },
);
const edges = fc.array(edge, { maxLength: 4 });

const lockPlan: fc.Arbitrary<LockPlan> = fc
  .uniqueArray(
    fc.record(
      {
        name: fc.constantFrom(...NAMES),
        version: fc.option(fc.constantFrom('1.0', '2.5.1', '2.5.1+cu124'), { freq: 8, nil: undefined }),
        source: fc.constantFrom(...SOURCES),
        hashes: fc.array(fc.constantFrom('sha256:aa', 'sha256:bb', 'sha256:cc'), { maxLength: 3 }),
      },
    ),
    { selector: ({ name, version, source }) => JSON.stringify([name.toLowerCase(), version, source]), minLength: 1, maxLength: 8 },
  )
  .chain((packages) =>
    fc.record({
      packages: fc.constant(packages),
      edges: fc.array(edges, { minLength: packages.length, maxLength: packages.length }),
      rootSource: fc.constantFrom<Source>({ editable: '.' }, { virtual: '.' }),
      optional: fc.record({ cu124: edges, cpu: edges, rocm: edges }, { requiredKeys: ['cu124', 'cpu'] }),
      dev: fc.record({ dev: edges, lint: edges }, { requiredKeys: ['dev'] }),
    }),
  );

/** The plan written as uv writes a lock: entries carry a version and source where the name alone is ambiguous. */
function lockText(plan: LockPlan): string {
  const all = [...plan.packages, { name: 'app', version: '0.1.0', source: plan.rootSource, hashes: [] }];
  const entry = ({ target, marker, extra }: LockPlan['edges'][number][number]): Entry => {
    const to = all[target % all.length];
    const ambiguous = all.filter((other) => other.name.toLowerCase() === to.name.toLowerCase()).length > 1;
    return {
      name: to.name,
      ...(ambiguous && { version: to.version, source: to.source }),
      ...(marker !== undefined && { marker }),
      ...(extra !== undefined && extra.length > 0 && { extra }),
    };
  };
  const table = (groups: Record<string, LockPlan['edges'][number]>) =>
    Object.fromEntries(Object.entries(groups).map(([group, list]) => [group, list.map(entry)]));
  const edgesOf = [...plan.edges, []];
  return stringify({
    version: 1,
    revision: 3,
    'requires-python': '>=3.11',
    package: all.map((lockPackage, index) => ({
      name: lockPackage.name,
      ...(lockPackage.version !== undefined && { version: lockPackage.version }),
      source: lockPackage.source,
      dependencies: edgesOf[index].map(entry),
      ...(index === all.length - 1 && { 'optional-dependencies': table(plan.optional), 'dev-dependencies': table(plan.dev) }),
      ...(lockPackage.hashes.length > 0 && { wheels: lockPackage.hashes.map((hash) => ({ url: `https://x/${hash}.whl`, hash })) }),
    })),
  });
}

const request: fc.Arbitrary<LockSliceRequest> = fc.record({
  project: fc.oneof({ arbitrary: fc.constantFrom('app', 'App'), weight: 8 }, fc.constantFrom('torch', 'missing')),
  backend: fc.constantFrom('cu124', 'cpu', 'CU124', 'rocm', undefined),
  devGroups: fc.oneof(
    { arbitrary: fc.constantFrom<LockSliceRequest['devGroups']>('all', 'none', ['dev']), weight: 8 },
    fc.constantFrom<LockSliceRequest['devGroups']>(['lint', 'DEV'], ['missing']),
  ),
  extras: fc.subarray(['cpu', 'cu124']),
  lockFile: fc.constant(FILE),
});

/** What `run` returns, or the PluginError it throws (which must name the lock); anything else fails the property. */
function outcome<T>(run: () => T): T | { error: string } {
  try {
    return run();
  } catch (error) {
    if (!isPluginError(error)) throw error;
    expect(['uv-lock', 'lock-slice']).toContain(error.kind);
    expect(error.where.file).toBe(FILE);
    return { error: error.message };
  }
}

const serializedSlice = (text: string, wanted: LockSliceRequest) =>
  outcome(() => serializeLockSlice(sliceLock(parseUvLock(text, FILE), wanted)));

/** The same lock with its `[[package]]` tables in the order `order` gives. */
function reordered(text: string, order: number[]): string {
  const [header, ...tables] = text.split(/\n(?=\[\[package\]\]\n)/);
  return [header, ...order.map((index) => `${tables[index].trimEnd()}\n`)].join('\n');
}

describe('sliceLock fuzzing', () => {
  it('slices any generated lock, or throws a PluginError naming the lock', () => {
    fc.assert(
      fc.property(lockPlan, request, (plan, wanted) => {
        serializedSlice(lockText(plan), wanted);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('gives byte-identical slices for the same lock and request, whatever the order of its package tables', () => {
    const planAndOrder = lockPlan.chain((plan) =>
      fc.tuple(fc.constant(plan), fc.shuffledSubarray([...plan.packages.keys(), plan.packages.length], { minLength: plan.packages.length + 1 })),
    );
    fc.assert(
      fc.property(planAndOrder, request, ([plan, order], wanted) => {
        const text = lockText(plan);
        const slice = serializedSlice(text, wanted);
        expect(serializedSlice(text, wanted)).toEqual(slice);
        const reorderedSlice = serializedSlice(reordered(text, order), wanted);
        // Messages name entries by their position in the lock: only the refusal itself must not depend on the order.
        if (typeof slice === 'string') expect(reorderedSlice).toBe(slice);
        else expect(reorderedSlice).toHaveProperty('error');
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('slices a parsed lock the same twice', () => {
    fc.assert(
      fc.property(lockPlan, request, (plan, wanted) => {
        const lock = outcome(() => parseUvLock(lockText(plan), FILE));
        if ('error' in lock) return;
        expect(outcome(() => sliceLock(lock, wanted))).toEqual(outcome(() => sliceLock(lock, wanted)));
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
