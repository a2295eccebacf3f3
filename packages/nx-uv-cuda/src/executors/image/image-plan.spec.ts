import { describe, expect, it } from 'vitest';
import { planImage, renderTag, type ImagePlanInput } from './image-plan';
import { imageExecutorSchema, type ImageExecutorOptions } from './schema';

const TASK_HASH = '1234567890abcdef1234567890abcdef';
const GIT_SHA = '0123456789abcdef0123456789abcdef01234567';
const REGISTRY = '127.0.0.1:5000/ml';

function plan(options: Partial<ImageExecutorOptions> = {}, input: Partial<ImagePlanInput> = {}) {
  return planImage({
    options: imageExecutorSchema.parse({
      dockerfile: 'services/ml/docker/Dockerfile',
      context: 'services/ml',
      target: 'prod',
      kind: 'prod',
      backend: 'cu124',
      metadataFile: 'dist/services/ml/images/prod-cu124.json',
      ...options,
    }),
    environmentBuildArgs: [],
    workspaceRoot: '/ws',
    project: 'ml-service',
    metadataTemp: '/tmp/meta.json',
    env: {},
    stderrIsTty: false,
    ...input,
  });
}

/** The values that follow each occurrence of `flag` in an argv. */
function valuesOf(argv: string[], flag: string): string[] {
  return argv.filter((_, index) => argv[index - 1] === flag);
}

describe('planImage tags', () => {
  it('tags <registry>/<project>:<kind>-<backend> and pushes when a registry is set, with the task-hash tag beside it', () => {
    const result = plan({ registry: REGISTRY }, { taskHash: TASK_HASH });
    expect(result.tags).toEqual(['127.0.0.1:5000/ml/ml-service:prod-cu124']);
    expect(result.push).toBe(true);
    expect(result.hashTag).toBe('127.0.0.1:5000/ml/ml-service:prod-cu124-nx1234567890abcdef1234');
    expect(result.build.output).toEqual({ type: 'push' });
    expect(valuesOf(result.argv, '--tag')).toEqual([
      '127.0.0.1:5000/ml/ml-service:prod-cu124',
      '127.0.0.1:5000/ml/ml-service:prod-cu124-nx1234567890abcdef1234',
    ]);
    expect(result.argv).toContain('--push');
    expect(result.argv).not.toContain('--load');
  });

  it('tags <project>:<kind>-<backend> and loads without a registry, adding the task-hash tag', () => {
    const result = plan({ kind: 'dev', target: 'dev', backend: 'cu128' }, { taskHash: TASK_HASH });
    expect(result.tags).toEqual(['ml-service:dev-cu128']);
    expect(result.push).toBe(false);
    expect(result.hashTag).toBe('ml-service:dev-cu128-nx1234567890abcdef1234');
    expect(result.build.tags).toEqual(['ml-service:dev-cu128', 'ml-service:dev-cu128-nx1234567890abcdef1234']);
    expect(result.build.output).toEqual({ type: 'load' });
    expect(result.argv).toContain('--load');
  });

  it('names the repository after a lower-cased, Docker-safe project name (Nx allows @acme/Speech)', () => {
    const result = plan({ registry: REGISTRY }, { project: '@acme/Speech', taskHash: TASK_HASH });
    expect(result.tags).toEqual([`${REGISTRY}/acme-speech:prod-cu124`]);
    expect(result.hashTag).toBe(`${REGISTRY}/acme-speech:prod-cu124-nx1234567890abcdef1234`);
  });

  it('adds no hash tag to a local build without a task hash', () => {
    const result = plan();
    expect(result.hashTag).toBeUndefined();
    expect(result.build.tags).toEqual(['ml-service:prod-cu124']);
  });

  it('honours an explicit push flag either way', () => {
    const loaded = plan({ registry: REGISTRY, push: false }, { taskHash: TASK_HASH });
    expect(loaded.push).toBe(false);
    expect(loaded.build.output).toEqual({ type: 'load' });
    expect(loaded.hashTag).toBe('ml-service:prod-cu124-nx1234567890abcdef1234');
    expect(loaded.build.tags).toEqual(['127.0.0.1:5000/ml/ml-service:prod-cu124', 'ml-service:prod-cu124-nx1234567890abcdef1234']);

    const pushed = plan({ push: true }, { taskHash: TASK_HASH });
    expect(pushed.push).toBe(true);
    expect(pushed.hashTag).toBe('ml-service:prod-cu124-nx1234567890abcdef1234');
    expect(pushed.build.output).toEqual({ type: 'push' });
  });

  it('renders every placeholder of the tag templates, with the git sha shortened to 12', () => {
    const result = plan(
      { registry: REGISTRY, tags: ['{registry}/{project}:{kind}-{backend}-{gitSha}', 'mirror.example.com/{project}:{taskHash}'] },
      { taskHash: 'abc123', gitSha: GIT_SHA },
    );
    expect(result.tags).toEqual([
      '127.0.0.1:5000/ml/ml-service:prod-cu124-0123456789ab',
      'mirror.example.com/ml-service:abc123',
    ]);
  });

  it('rejects an unknown placeholder and one whose value is not known', () => {
    expect(() => plan({ tags: ['{project}:{branch}'] })).toThrow(
      'unknown placeholder {branch} in tag template "{project}:{branch}"',
    );
    expect(() => plan({ tags: ['{project}:{gitSha}'] })).toThrow(
      'tag template "{project}:{gitSha}" uses {gitSha}, which is not known here',
    );
    expect(() => plan({ tags: ['{project}:{taskHash}'] })).toThrow('uses {taskHash}, which is not known here');
  });
});

describe('renderTag', () => {
  const values = { registry: undefined, project: 'svc', kind: 'prod', backend: 'cu124' };

  it('drops a leading {registry}/ when no registry is set, and fills the rest', () => {
    expect(renderTag('{registry}/{project}:{kind}-{backend}', values)).toBe('svc:prod-cu124');
    expect(renderTag('{registry}/{project}:{kind}-{backend}', { ...values, registry: 'reg.io:443/team' })).toBe(
      'reg.io:443/team/svc:prod-cu124',
    );
    expect(renderTag('static/name', {})).toBe('static/name');
  });

  it('still refuses {registry} elsewhere in the template when no registry is set', () => {
    expect(() => renderTag('{project}:{registry}', values)).toThrow(
      'tag template "{project}:{registry}" uses {registry}, which is not known here',
    );
  });

  it.each(['Svc:prod', 'svc:', '-svc:prod', 'svc:prod cu124', 'svc:prod/'])('rejects the invalid reference %s', (tag) => {
    expect(() => renderTag(tag, values)).toThrow(`tag "${tag}" (from "${tag}") is not a valid image reference`);
  });

  it('rejects a reference made invalid by a value', () => {
    expect(() => renderTag('{project}:{kind}', { ...values, project: 'My_Service' })).toThrow(
      'tag "My_Service:prod" (from "{project}:{kind}") is not a valid image reference',
    );
  });
});

describe('planImage build', () => {
  it('makes the dockerfile, context and wheels directory absolute', () => {
    const { build, argv } = plan({ wheelsContext: 'wheels', wheelsDir: 'dist/services/ml/wheels/cu124' });
    expect(build.dockerfile).toBe('/ws/services/ml/docker/Dockerfile');
    expect(build.context).toBe('/ws/services/ml');
    expect(valuesOf(argv, '--build-context')).toEqual(['wheels=/ws/dist/services/ml/wheels/cu124']);
    expect(argv.slice(0, 6)).toEqual(['buildx', 'build', '--file', '/ws/services/ml/docker/Dockerfile', '--target', 'prod']);
    expect(argv.at(-1)).toBe('/ws/services/ml');
    expect(valuesOf(argv, '--metadata-file')).toEqual(['/tmp/meta.json']);
  });

  it('passes no build context unless both the context name and the wheels folder are set', () => {
    expect(plan({ wheelsContext: 'wheels' }).argv).not.toContain('--build-context');
    expect(plan({ wheelsDir: 'dist/wheels' }).argv).not.toContain('--build-context');
  });

  it('uses the registry cache of the image by default when a registry is set', () => {
    const { argv } = plan({ registry: REGISTRY, kind: 'dev', target: 'dev', backend: 'cu128' });
    expect(valuesOf(argv, '--cache-from')).toEqual(['type=registry,ref=127.0.0.1:5000/ml/ml-service:buildcache-dev-cu128']);
    expect(valuesOf(argv, '--cache-to')).toEqual([
      'type=registry,ref=127.0.0.1:5000/ml/ml-service:buildcache-dev-cu128,mode=max,ignore-error=true',
    ]);
  });

  it('uses no cache without a registry, and only the explicit caches when any is given', () => {
    expect(plan().build).toMatchObject({ cacheFrom: [], cacheTo: [] });
    const onlyFrom = plan({ registry: REGISTRY, cacheFrom: ['type=local,src=/cache'] });
    expect(onlyFrom.build).toMatchObject({ cacheFrom: ['type=local,src=/cache'], cacheTo: [] });
    const onlyTo = plan({ registry: REGISTRY, cacheTo: ['type=inline'] });
    expect(valuesOf(onlyTo.argv, '--cache-from')).toEqual([]);
    expect(valuesOf(onlyTo.argv, '--cache-to')).toEqual(['type=inline']);
  });

  it('labels the image with OCI and plugin labels, and lets user labels override them', () => {
    const { build, argv } = plan(
      { labels: { 'org.opencontainers.image.title': 'ML service', team: 'vision' } },
      { gitSha: GIT_SHA, sourceUrl: 'https://github.com/acme/ml.git' },
    );
    expect(build.labels).toEqual({
      'org.opencontainers.image.title': 'ML service',
      'org.opencontainers.image.revision': GIT_SHA,
      'org.opencontainers.image.source': 'https://github.com/acme/ml.git',
      'io.nx-uv-cuda.backend': 'cu124',
      'io.nx-uv-cuda.kind': 'prod',
      'io.nx-uv-cuda.stage': 'prod',
      team: 'vision',
    });
    expect(valuesOf(argv, '--label')).toEqual([
      'io.nx-uv-cuda.backend=cu124',
      'io.nx-uv-cuda.kind=prod',
      'io.nx-uv-cuda.stage=prod',
      'org.opencontainers.image.revision=0123456789abcdef0123456789abcdef01234567',
      'org.opencontainers.image.source=https://github.com/acme/ml.git',
      'org.opencontainers.image.title=ML service',
      'team=vision',
    ]);
  });

  it('leaves out the revision and source labels when git does not know them', () => {
    expect(plan({ target: 'runtime' }).build.labels).toEqual({
      'org.opencontainers.image.title': 'ml-service',
      'io.nx-uv-cuda.backend': 'cu124',
      'io.nx-uv-cuda.kind': 'prod',
      'io.nx-uv-cuda.stage': 'runtime',
    });
  });

  it('picks the progress from the terminal and CI unless it is set', () => {
    expect(plan({}, { stderrIsTty: true, env: {} }).build.progress).toBe('tty');
    expect(plan({}, { stderrIsTty: true, env: { CI: 'true' } }).build.progress).toBe('plain');
    expect(plan({}, { stderrIsTty: false, env: {} }).build.progress).toBe('plain');
    expect(valuesOf(plan({ progress: 'rawjson' }, { stderrIsTty: true }).argv, '--progress')).toEqual(['rawjson']);
  });

  it('passes build args, secrets, platforms, builder and flags through', () => {
    const { argv } = plan({
      buildArgs: { TORCH_BACKEND: 'cu124', CUDA_VERSION: '12.4.1' },
      secrets: ['id=hf,env=HF_TOKEN'],
      platforms: ['linux/amd64'],
      builder: 'remote',
      noCache: true,
      pull: true,
    });
    expect(valuesOf(argv, '--build-arg')).toEqual(['CUDA_VERSION=12.4.1', 'TORCH_BACKEND=cu124']);
    expect(valuesOf(argv, '--secret')).toEqual(['id=hf,env=HF_TOKEN']);
    expect(valuesOf(argv, '--platform')).toEqual(['linux/amd64']);
    expect(valuesOf(argv, '--builder')).toEqual(['remote']);
    expect(argv).toEqual(expect.arrayContaining(['--no-cache', '--pull', '--provenance=false']));
  });
});
