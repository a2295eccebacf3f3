import { describe, expect, it } from 'vitest';
import type { PluginError } from '../core/errors';
import type { FileSource } from '../core/file-source';
import { buildArgsFileSchema, imageMetadataSchema, lockSliceFileSchema, readTaskFile } from './task-files';
import { thrownPluginError } from '../__fixtures__/thrown';

const SLICE = 'dist/services/ml/locks/cu124-prod.json';
const PRODUCER = '`nx run ml-service:lock-cu124`';

function filesOf(files: Record<string, string>): FileSource {
  return {
    read: (path) => files[path],
    kind: (path) => (path in files ? 'file' : undefined),
    list: () => [],
  };
}

const errorOf = (run: () => unknown): PluginError => thrownPluginError('missing-input', run);

const sliceText = `${JSON.stringify(
  {
    lockFile: 'services/ml/uv.lock',
    project: 'ml-service',
    backend: 'cu124',
    kind: 'prod',
    requiresPython: '>=3.11',
    packages: [{ name: 'numpy', version: '2.2.3', source: 'registry+https://pypi.org/simple', hashes: ['sha256:ab'] }],
  },
  null,
  2,
)}\n`;

describe('readTaskFile', () => {
  it('returns the text as written and the parsed data', () => {
    const file = readTaskFile(filesOf({ [SLICE]: sliceText }), SLICE, lockSliceFileSchema, PRODUCER);
    expect(file.text).toBe(sliceText);
    expect(file.data).toEqual(JSON.parse(sliceText));
  });

  it('says which target to run first when the file is missing', () => {
    const error = errorOf(() => readTaskFile(filesOf({}), SLICE, lockSliceFileSchema, PRODUCER));
    expect(error.message).toBe(`${SLICE} is missing: run ${PRODUCER} first`);
    expect(error.where).toEqual({ file: SLICE });
  });

  it('names the file and says to run the target again when it is not JSON', () => {
    const error = errorOf(() => readTaskFile(filesOf({ [SLICE]: '{"project": ' }), SLICE, lockSliceFileSchema, PRODUCER));
    expect(error.message.startsWith(`${SLICE} is not JSON (`)).toBe(true);
    expect(error.message.endsWith(`): run ${PRODUCER} again`)).toBe(true);
    expect(error.where).toEqual({ file: SLICE });
  });

  it('names the file, the wrong keys and the target to run again when the shape is wrong', () => {
    const stale = JSON.stringify({ project: 'ml-service', kind: 'release', packages: [{ name: 'numpy', hashes: 'x' }] });
    const error = errorOf(() => readTaskFile(filesOf({ [SLICE]: stale }), SLICE, lockSliceFileSchema, PRODUCER));
    expect(error.message.startsWith(`${SLICE}: `)).toBe(true);
    expect(error.message).toContain('kind: ');
    expect(error.message).toContain('packages[0].source: ');
    expect(error.message).toContain('packages[0].hashes: ');
    expect(error.message.endsWith(`; run ${PRODUCER} again`)).toBe(true);
    expect(error.message.split('\n')).toHaveLength(1);
    expect(error.where).toEqual({ file: SLICE });
  });

  it('rejects JSON that is not an object, as a wrong shape', () => {
    const error = errorOf(() => readTaskFile(filesOf({ [SLICE]: '[]' }), SLICE, lockSliceFileSchema, PRODUCER));
    expect(error.message).toBe(`${SLICE}: (top level): expected object, received array; run ${PRODUCER} again`);
  });

  it('reads the build-args file and the image metadata with their own schemas', () => {
    const buildFile = 'dist/services/ml/keys/cu124-build.json';
    const producer = '`nx run ml-service:keys-cu124`';
    const buildArgs = readTaskFile(filesOf({ [buildFile]: '{"buildArgs":{"CUDA_VERSION":"12.4.1"}}' }), buildFile, buildArgsFileSchema, producer);
    expect(buildArgs.data).toEqual({ buildArgs: { CUDA_VERSION: '12.4.1' }, fromEnvironment: [] });
    const numbers = errorOf(() => readTaskFile(filesOf({ [buildFile]: '{"buildArgs":{"MAX_JOBS":4}}' }), buildFile, buildArgsFileSchema, producer));
    expect(numbers.message).toBe(`${buildFile}: buildArgs.MAX_JOBS: expected string, received number; run ${producer} again`);

    const imageFile = 'dist/services/ml/images/prod-cu124.json';
    const metadata = {
      image: 'ml-service:prod-cu124',
      tags: ['ml-service:prod-cu124'],
      pushed: false,
      project: 'ml-service',
      kind: 'prod',
      backend: 'cu124',
      stage: 'prod',
      dockerfile: 'services/ml/Dockerfile',
      buildArgs: {},
    };
    expect(readTaskFile(filesOf({ [imageFile]: JSON.stringify(metadata) }), imageFile, imageMetadataSchema, 'x').data).toEqual(metadata);
    const empty = errorOf(() =>
      readTaskFile(filesOf({ [imageFile]: JSON.stringify({ ...metadata, image: '' }) }), imageFile, imageMetadataSchema, 'x'),
    );
    expect(empty.message).toMatch(/^dist\/services\/ml\/images\/prod-cu124\.json: image: /);
  });
});
