import { describe, expect, it } from 'vitest';
import type { GpuAccess } from '../../docker/gpu-access';
import { containerName, mountSpec, publishedUrls, resolveMounts, runArgv, type RunContext } from './run-argv';
import { runExecutorSchema, type RunExecutorOptions } from './schema';

const runOptions = (options: Partial<RunExecutorOptions> = {}) =>
  runExecutorSchema.parse({ imageMetadata: 'dist/services/speech/images/server-cpu.json', ...options });
const CPU: GpuAccess = { method: 'none', args: [], summary: 'CPU only' };
const RUNTIME: GpuAccess = { method: 'runtime', args: ['--gpus', 'all'], summary: '' };
const DEVICES: GpuAccess = {
  method: 'devices',
  args: ['--device', '/dev/nvidia0', '--device', '/dev/nvidiactl', '-v', '/usr/local/nvidia:/usr/local/nvidia:ro', '-e', 'LD_LIBRARY_PATH=/usr/local/nvidia/lib64'],
  summary: '',
};
const context = (more: Partial<RunContext> = {}): RunContext => ({
  name: 'speech-cpu',
  workspaceRoot: '/ws',
  projectRoot: 'services/speech',
  stdinIsTty: false,
  ...more,
});

describe('runExecutorSchema', () => {
  it('fills in the defaults', () => {
    expect(runOptions()).toEqual({
      imageMetadata: 'dist/services/speech/images/server-cpu.json',
      mode: 'prod',
      ports: [],
      env: {},
      gpus: 'auto',
      network: 'bridge',
      rm: true,
      extraArgs: [],
    });
  });

  it.each([
    ['an unknown key', { gpu: 'all' }],
    ['an unknown mode', { mode: 'test' }],
    ['an empty command', { command: [] }],
    ['a port without a container port', { ports: ['8000'] }],
    ['a port out of range', { ports: ['70000:80'] }],
    ['a port with a bad protocol', { ports: ['80:80/http'] }],
    ['ports on network none', { ports: ['8000:8000'], network: 'none' }],
    ['a mount with a relative target', { mounts: ['src:workspace'] }],
    ['a mount with a bad mode', { mounts: ['src:/workspace:rx'] }],
    ['an env name that is not one', { env: { 'A-B': '1' } }],
    ['a relative workdir', { workdir: 'app' }],
    ['a bad container name', { name: '-x' }],
    ['a zero timeout', { timeoutSeconds: 0 }],
  ])('rejects %s', (_what, options) => {
    expect(runExecutorSchema.safeParse({ imageMetadata: 'm.json', ...options }).success).toBe(false);
  });

  it.each([['8000:8000'], ['127.0.0.1:18765:8000'], ['[::1]:8080:80/tcp'], ['0.0.0.0:53:53/udp']])('accepts the port %s', (port) => {
    expect(runExecutorSchema.safeParse({ imageMetadata: 'm.json', ports: [port] }).success).toBe(true);
  });
});

describe('runArgv', () => {
  it('prod: --rm, the name, bridge network, no mounts, the image with its own CMD', () => {
    expect(runArgv(runOptions(), 'speech:server-cpu', CPU, context())).toEqual([
      'run', '--rm', '--name', 'speech-cpu', '--network', 'bridge', 'speech:server-cpu',
    ]);
  });

  it('prod: ports, gpu flags, env by name only (sorted), extraArgs just before the image, then the command', () => {
    const options = runOptions({
      ports: ['127.0.0.1:18765:8000', '9000:9000/udp'],
      env: { HF_TOKEN: 's3cr3t-value', MODEL: 'tiny' },
      extraArgs: ['--shm-size', '8g'],
      command: ['python3', '-m', 'http.server', '8000'],
    });
    const argv = runArgv(options, 'reg/speech@sha256:abc', RUNTIME, context());
    expect(argv).toEqual([
      'run', '--rm', '--name', 'speech-cpu', '--network', 'bridge',
      '--gpus', 'all',
      '-p', '127.0.0.1:18765:8000', '-p', '9000:9000/udp',
      '--env', 'HF_TOKEN', '--env', 'MODEL',
      '--shm-size', '8g',
      'reg/speech@sha256:abc',
      'python3', '-m', 'http.server', '8000',
    ]);
    expect(argv.join(' ')).not.toContain('s3cr3t-value');
    expect(argv.join(' ')).not.toContain('tiny');
  });

  it('dev: the project root at /workspace read-write, -w /workspace, -i without a terminal', () => {
    expect(runArgv(runOptions({ mode: 'dev' }), 'speech:dev-cpu', CPU, context({ name: 'speech-cpu-dev-1' }))).toEqual([
      'run', '--rm', '--name', 'speech-cpu-dev-1', '-i', '--network', 'bridge',
      '--mount', 'type=bind,source=/ws/services/speech,target=/workspace',
      '-w', '/workspace',
      'speech:dev-cpu',
    ]);
  });

  it('dev: -i -t when stdin is a terminal; interactive false drops both; prod can ask for them', () => {
    const tty = context({ stdinIsTty: true });
    expect(runArgv(runOptions({ mode: 'dev' }), 'img', CPU, tty).slice(4, 6)).toEqual(['-i', '-t']);
    expect(runArgv(runOptions({ mode: 'dev', interactive: false }), 'img', CPU, tty)).not.toContain('-i');
    expect(runArgv(runOptions({ interactive: true }), 'img', CPU, tty).slice(4, 6)).toEqual(['-i', '-t']);
    expect(runArgv(runOptions(), 'img', CPU, tty)).not.toContain('-t');
  });

  it('dev: mounts as given (workspace-relative or absolute, ro), the workdir the first target unless set', () => {
    const options = runOptions({ mode: 'dev', mounts: ['services/speech/src:/app/src', '/data/models:/models:ro'], network: 'none' });
    const argv = runArgv(options, 'img', DEVICES, context());
    expect(argv).toEqual([
      'run', '--rm', '--name', 'speech-cpu', '-i', '--network', 'none',
      ...DEVICES.args,
      '--mount', 'type=bind,source=/ws/services/speech/src,target=/app/src',
      '--mount', 'type=bind,source=/data/models,target=/models,readonly',
      '-w', '/app/src',
      'img',
    ]);
    expect(runArgv(runOptions({ mode: 'dev', workdir: '/srv' }), 'img', CPU, context())).toContain('/srv');
    expect(runArgv(runOptions({ mode: 'dev', mounts: [] }), 'img', CPU, context())).not.toContain('-w');
  });

  it('prod: mounts and workdir only when given; rm false keeps the container', () => {
    const argv = runArgv(runOptions({ mounts: ['models:/models:ro'], workdir: '/app', rm: false }), 'img', CPU, context());
    expect(argv).toEqual([
      'run', '--name', 'speech-cpu', '--network', 'bridge',
      '--mount', 'type=bind,source=/ws/models,target=/models,readonly',
      '-w', '/app',
      'img',
    ]);
  });
});

describe('resolveMounts and mountSpec', () => {
  it('reads the workspace root for an empty source (Nx strips a leading {workspaceRoot})', () => {
    expect(resolveMounts(runOptions({ mounts: [':/ws', '.:/w2:rw'] }), context())).toEqual([
      { source: '/ws', target: '/ws', readonly: false },
      { source: '/ws', target: '/w2', readonly: false },
    ]);
  });

  it('quotes a path with a comma as docker reads --mount', () => {
    expect(mountSpec({ source: '/a,b', target: '/x', readonly: true })).toBe('type=bind,"source=/a,b",target=/x,readonly');
  });
});

describe('publishedUrls', () => {
  it('one URL per TCP port, on the address it is published on (localhost for all addresses)', () => {
    expect(publishedUrls(['127.0.0.1:18765:8000', '8080:80', '0.0.0.0:9000:9000/tcp', '[::1]:7000:7000', '53:53/udp'])).toEqual([
      { url: 'http://127.0.0.1:18765/', port: '8000/tcp' },
      { url: 'http://localhost:8080/', port: '80/tcp' },
      { url: 'http://localhost:9000/', port: '9000/tcp' },
      { url: 'http://[::1]:7000/', port: '7000/tcp' },
    ]);
  });
});

describe('containerName', () => {
  it('prod: <project>-<backend>; dev: with -dev-<pid>; the name option wins', () => {
    expect(containerName(runOptions(), 'speech', 'cu128', 42)).toBe('speech-cu128');
    expect(containerName(runOptions({ mode: 'dev' }), 'speech', 'cu128', 42)).toBe('speech-cu128-dev-42');
    expect(containerName(runOptions({ name: 'asr' }), 'speech', 'cu128', 42)).toBe('asr');
    expect(containerName(runOptions(), '@acme/Speech', undefined, 42)).toBe('acme-speech');
  });
});
