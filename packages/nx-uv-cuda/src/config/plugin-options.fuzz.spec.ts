import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { valueOrPluginError } from '../__fixtures__/fuzz';
import { normalizePluginOptions, pluginOptionsSchema } from './plugin-options';
import { projectConfigSchema } from './project-config';
import { buildersSchema, engineEndpointSchema, placementSchema, registrySchema } from './shared-schemas';

const NUM_RUNS = 300;

const expectValueOrOptionsError = (run: () => unknown) => valueOrPluginError('options', undefined, run);

/** What nx.json can hold: any JSON, or JSON parsed back from text (which keeps a `__proto__` key as data). */
const json = fc.oneof(fc.jsonValue(), fc.jsonValue().map((value) => JSON.parse(JSON.stringify(value).replace(/"a"/g, '"__proto__"'))));
const maybe = <T>(value: fc.Arbitrary<T>) => fc.oneof({ arbitrary: value, weight: 3 }, json);
const backend = fc.constantFrom('cu124', 'cpu', 'rocm6.2', 'CU124', '', '__proto__');
const placement = fc.oneof(
  fc.constantFrom('gpu-box', '', '-x'),
  fc.record({ builder: maybe(fc.constantFrom('b1')), context: maybe(fc.constantFrom('ctx')), host: maybe(fc.constantFrom('tcp://h:2376', 'ssh://u:p@h', 'http://x')) }, { requiredKeys: [] }),
);
const builders = fc.record(
  { wheel: maybe(placement), image: maybe(placement), backends: maybe(fc.dictionary(backend, fc.record({ wheel: placement }, { requiredKeys: [] }))) },
  { requiredKeys: [] },
);

/** Plugin options close to valid: the right keys, often with the right kinds of values. */
const nearOptions = fc.record(
  {
    dockerfile: maybe(fc.oneof(fc.constant('Dockerfile'), fc.array(fc.constantFrom('docker/*', '')))),
    context: maybe(fc.constant('.')),
    backends: maybe(fc.oneof(fc.array(backend), fc.dictionary(backend, fc.record({ buildArgs: maybe(fc.dictionary(fc.constantFrom('CUDA_VERSION', '1X'), json)) }, { requiredKeys: [] })))),
    buildArgs: maybe(fc.dictionary(fc.constantFrom('CUDA_VERSION', 'bad-name', '__proto__'), json)),
    stages: maybe(fc.dictionary(fc.constantFrom('dev', 'prod', 'wheel', 'wheels', 'wheelBuild', 'wheelExport', 'x'), json)),
    targetNames: maybe(fc.dictionary(fc.constantFrom('image', 'lock', 'run', 'nope'), json)),
    registry: maybe(fc.constantFrom('127.0.0.1:5000/ml', 'host/ML', 'u:p@host', 'https://x', '')),
    wheelPackage: maybe(fc.constant('flash-attn')),
    wheelBuildRequirements: maybe(fc.array(fc.constantFrom('ninja', ''))),
    builders: maybe(builders),
    unknownKey: json,
  },
  { requiredKeys: [] },
);

describe('plugin option schemas fuzzing', () => {
  it('normalizes any nx.json options, or throws an options PluginError', () => {
    fc.assert(
      fc.property(fc.oneof(json, nearOptions), (raw) => {
        expectValueOrOptionsError(() => normalizePluginOptions(raw));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('gives the same normalized options twice', () => {
    fc.assert(
      fc.property(nearOptions, (raw) => {
        const first = expectValueOrOptionsError(() => normalizePluginOptions(raw));
        if (first instanceof Error) return;
        expect(normalizePluginOptions(raw)).toEqual(first);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('lets every boundary schema answer any value with success or issues, never a throw', () => {
    const schemas = [pluginOptionsSchema, projectConfigSchema, buildersSchema, engineEndpointSchema, placementSchema, registrySchema];
    fc.assert(
      fc.property(fc.constantFrom(...schemas), fc.oneof(json, nearOptions, builders, placement), (schema, value) => {
        expect(typeof schema.safeParse(value).success).toBe('boolean');
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
