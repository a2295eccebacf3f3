import fc from 'fast-check';
import { stringify } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { mutated, valueOrPluginError } from '../__fixtures__/fuzz';
import { isPluginError } from '../core/errors';
import { parsePyproject } from './pyproject';

const FILE = 'services/ml/pyproject.toml';
const NUM_RUNS = 300;

const expectValueOrPyprojectError = (read: () => unknown) => valueOrPluginError('pyproject', FILE, read);

/** Values of every TOML type, the right one for a key or not. */
const anyValue = fc.oneof(
  fc.constantFrom('cu124', 'cpu', 'ML_Service', '', 'Dockerfile', 'docker/*.Dockerfile', '127.0.0.1:5000/ml', 'x@y', 'tcp://gpu:2376', '__proto__', 'prod'),
  fc.integer(),
  fc.double({ noNaN: false }),
  fc.boolean(),
  fc.constant(new Date(0)),
  fc.array(fc.constantFrom('cu124', 'cpu', 'a', ''), { maxLength: 3 }),
  fc.constant({}),
);
const maybe = <T>(value: fc.Arbitrary<T>) => fc.oneof({ arbitrary: value, weight: 3 }, anyValue);
const names = fc.array(fc.constantFrom('cu124', 'CU_128', 'cpu', 'rocm6.2', 'Dev', 'lint'), { maxLength: 3 });

const nxUvCuda = fc.record(
  {
    enabled: maybe(fc.boolean()),
    dockerfile: maybe(fc.constantFrom('Dockerfile', 'docker/*.Dockerfile')),
    context: maybe(fc.constantFrom('.', '../..')),
    backends: maybe(fc.oneof(names, fc.dictionary(fc.constantFrom('cu124', 'cpu', 'CU'), fc.record({ 'build-args': fc.dictionary(fc.constantFrom('CUDA_VERSION', '1X', 'A'), anyValue) }, { requiredKeys: [] })))),
    'build-args': maybe(fc.dictionary(fc.constantFrom('CUDA_VERSION', 'bad-name', '__proto__'), anyValue)),
    stages: maybe(fc.dictionary(fc.constantFrom('dev', 'prod', 'wheel', 'wheels', 'wheel-build', 'wheel-export', 'other'), anyValue)),
    registry: maybe(fc.constantFrom('127.0.0.1:5000/ml', 'Registry.example.com/ML', 'https://x', 'u:p@host')),
    'wheel-package': anyValue,
    'smoke-command': maybe(fc.array(fc.constantFrom('python', '-c', 'import torch'))),
    builders: maybe(fc.record({ wheel: anyValue, image: anyValue, backends: fc.dictionary(fc.constantFrom('cu124', 'CU'), fc.record({ wheel: anyValue })) }, { requiredKeys: [] })),
  },
  { requiredKeys: [] },
);

const nearPyproject = fc
  .record(
    {
      project: fc.record(
        {
          name: maybe(fc.constantFrom('ml-service', 'ML_Service.API', '')),
          'requires-python': maybe(fc.constant('>=3.11')),
          dependencies: maybe(fc.array(fc.constantFrom('torch', 'numpy>=2', 'shared-lib'))),
          'optional-dependencies': maybe(fc.dictionary(fc.constantFrom('cu124', 'cpu', 'Dev'), fc.array(fc.constantFrom('torch==2.5.1')))),
          readme: maybe(fc.oneof(fc.constant('README.md'), fc.record({ file: fc.constant('README.md') }))),
        },
        { requiredKeys: [] },
      ),
      'dependency-groups': maybe(fc.dictionary(fc.constantFrom('dev', 'Lint_Tools'), fc.array(fc.oneof(fc.constant('pytest'), fc.record({ 'include-group': fc.constant('dev') }))))),
      tool: fc.record(
        {
          uv: fc.record(
            {
              sources: maybe(fc.dictionary(fc.constantFrom('torch', 'Shared_Lib'), fc.oneof(fc.record({ workspace: anyValue, path: anyValue, index: anyValue, extra: anyValue }, { requiredKeys: [] }), fc.array(fc.record({ index: fc.constant('cu124'), extra: fc.constant('CU124') }))))),
              workspace: maybe(fc.record({ members: maybe(fc.array(fc.constant('libs/*'))), exclude: anyValue }, { requiredKeys: [] })),
              index: maybe(fc.array(fc.record({ name: anyValue, url: anyValue }, { requiredKeys: [] }))),
              conflicts: maybe(fc.array(fc.array(fc.record({ extra: anyValue, group: anyValue }, { requiredKeys: [] })))),
            },
            { requiredKeys: [] },
          ),
          'nx-uv-cuda': maybe(nxUvCuda),
        },
        { requiredKeys: [] },
      ),
    },
    { requiredKeys: [] },
  )
  .map((table) => stringify(table));

const TOML_SNIPPETS = ['"', "'", '"""', '[', ']]', '{', '=', ',', '#', '\\', '\0', '\uFEFF', 'é', '99999999999999999999999', '1e99999', 'inf', '[tool.nx-uv-cuda]', 'a.b.c = 1', '\r'];


describe('parsePyproject fuzzing', () => {
  it('reads any text, or throws a pyproject PluginError naming the file', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        expectValueOrPyprojectError(() => parsePyproject(text, FILE));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('reads near-valid pyproject files, mutated, or throws a pyproject PluginError naming the file', () => {
    fc.assert(
      fc.property(mutated(nearPyproject, TOML_SNIPPETS), (text) => {
        expectValueOrPyprojectError(() => parsePyproject(text, FILE));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('reads deeply nested keys, [tool.nx-uv-cuda] ones included, or throws a pyproject PluginError naming the file', () => {
    const prefixes = fc.constantFrom('', 'tool.uv.', 'project.', 'tool.nx-uv-cuda.', 'tool.nx-uv-cuda.stages.');
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30000 }), prefixes, (depth, prefix) => {
        expectValueOrPyprojectError(() => parsePyproject(`${prefix}${Array(depth).fill('a').join('.')} = 1\n`, FILE));
      }),
      { numRuns: 30 },
    );
  });

  it('reports bytes that are not UTF-8 with the line that holds them', () => {
    fc.assert(
      fc.property(nearPyproject, fc.nat(), (text, at) => {
        const position = at % (text.length + 1);
        const error = expectValueOrPyprojectError(() => parsePyproject(`${text.slice(0, position)}\uFFFD${text.slice(position)}`, FILE));
        const line = text.slice(0, position).split('\n').length;
        expect(isPluginError(error) && error.message).toMatch(new RegExp(`^${FILE}:${line}: the file is not UTF-8`));
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
