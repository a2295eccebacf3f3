// The CPU-checkable parts of the GPU end-to-end (issue 12): the fixture e2e/fixtures/gpu-monorepo as the plugin reads
// it, its CUDA extension's sdist (no torch needed), the CDI spec tools/gpu/run-gpu-e2e.sh writes, and the smoke argv
// for each way a container reaches the GPU. The GPU run itself is tools/gpu/run-gpu-e2e.sh.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { normalizePluginOptions, stageNamesSchema } from '../../packages/nx-uv-cuda/src/config/plugin-options';
import { diskFiles } from '../../packages/nx-uv-cuda/src/core/file-source';
import { declaresNvidiaGpu, decideGpuAccess, probeGpuFacts, type GpuFacts } from '../../packages/nx-uv-cuda/src/docker/gpu-access';
import { parseDockerfile } from '../../packages/nx-uv-cuda/src/docker/parse-dockerfile';
import { baseImagesOf, stageChain } from '../../packages/nx-uv-cuda/src/docker/stage-graph';
import { smokeExecutorSchema } from '../../packages/nx-uv-cuda/src/executors/smoke/schema';
import { smokeRunArgv } from '../../packages/nx-uv-cuda/src/executors/smoke/smoke-argv';
import { inferTargets } from '../../packages/nx-uv-cuda/src/inference/targets';
import { imageStages } from '../../packages/nx-uv-cuda/src/model/images';
import { readProjectModel } from '../../packages/nx-uv-cuda/src/model/project';
import { hasWheel, hasWheelExport } from '../../packages/nx-uv-cuda/src/model/stages';

const ROOT = join(__dirname, '..', '..');
const FIXTURE = join(ROOT, 'e2e', 'fixtures', 'gpu-monorepo');
const KERNEL = join(FIXTURE, 'kernels', 'tiny-attn');
const DOCKERFILE = 'services/gpu-service/docker/Dockerfile';
const SCRIPT = join(__dirname, 'run-gpu-e2e.sh');
const made: string[] = [];
const tempDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

const python = spawnSync('python3', ['-c', 'import setuptools'], { encoding: 'utf8' });
const hasPython = python.status === 0;

describe('the fixture Dockerfile: the recipe stage graph', () => {
  const model = parseDockerfile(readFileSync(join(FIXTURE, DOCKERFILE), 'utf8'), DOCKERFILE);
  const STAGES = stageNamesSchema.parse({});
  const names = (stages: { name?: string }[]) => stages.map((stage) => stage.name);

  it('has no syntax directive (offline, BuildKit could not pull its frontend) and builds FROM the local base image', () => {
    expect(model.syntax).toBeUndefined();
    expect(names(model.stages)).toEqual(['base', 'deps-prod', 'wheel-prod', 'wheels', 'dev', 'prod']);
    expect(baseImagesOf(model, stageChain(model, 'prod'))).toEqual(['nx-uv-cuda-gpu-base:cu130']);
  });

  it('compiles in wheel-prod, exports through a FROM scratch wheels stage, and prod skips the compile with --build-context wheels', () => {
    expect(names(stageChain(model, 'wheels'))).toEqual(['base', 'deps-prod', 'wheel-prod', 'wheels']);
    expect(names(stageChain(model, 'prod'))).toEqual(['base', 'deps-prod', 'wheel-prod', 'wheels', 'prod']);
    expect(names(stageChain(model, 'prod', ['wheels']))).toEqual(['base', 'deps-prod', 'prod']);
    expect(hasWheel(model, STAGES.wheelBuild, {})).toBe(true);
    expect(hasWheelExport(model, STAGES)).toBe(true);
    expect(imageStages(model, STAGES)).toEqual({
      recipe: true,
      images: [
        { stage: 'dev', kind: 'dev', part: 'dev', slice: 'dev' },
        { stage: 'prod', kind: 'prod', part: 'prod', slice: 'prod' },
      ],
    });
  });

  it('declares the flash-attn build args the wheel stage passes to the kernel build', () => {
    const wheel = model.stages.find((stage) => stage.name === 'wheel-prod')!;
    expect(Object.fromEntries(wheel.args.map((arg) => [arg.name, arg.defaultValue]))).toEqual({
      FLASH_ATTN_VERSION: '0.1.0',
      FLASH_ATTN_CUDA_ARCHS: '90',
      MAX_JOBS: '4',
      NVCC_THREADS: '2',
      FLASH_ATTENTION_FORCE_BUILD: 'TRUE',
    });
    expect(wheel.text).toContain('pip wheel --verbose --no-index --no-build-isolation --no-deps -w /wheelhouse kernels/tiny-attn');
  });

  it('makes /tmp in its first stage (an image imported from a host has none, and nvcc writes there)', () => {
    expect(model.stages[0].text).toContain('mkdir -p -m 1777 /tmp /var/tmp');
  });
});

describe('the fixture as the plugin infers it', () => {
  const project = readProjectModel(diskFiles(FIXTURE), 'services/gpu-service/pyproject.toml', normalizePluginOptions({}));

  it('is one project, gpu-service, with the cu130 backend, no warnings, and the kernel package left out', () => {
    expect(project).toBeDefined();
    expect(project!.name).toBe('gpu-service');
    expect(project!.backends.map((backend) => backend.name)).toEqual(['cu130']);
    expect(project!.wheelPackage).toBe('tiny-attn');
    expect(project!.warnings).toEqual([]);
    expect(project!.skippedDockerfiles).toEqual([]);
    expect(project!.contextDir).toBe('.');
    expect(readProjectModel(diskFiles(FIXTURE), 'kernels/tiny-attn/pyproject.toml', normalizePluginOptions({}))).toBeUndefined();
  });

  it('gets the keys, wheel, image-prod and smoke targets of cu130, wired as the recipe', () => {
    const { targets } = inferTargets(project!);
    expect(Object.keys(targets)).toEqual(
      expect.arrayContaining(['lock-cu130', 'keys-cu130', 'wheel-flash-attn-cu130', 'image-dev-cu130', 'image-prod-cu130', 'smoke-cu130']),
    );
    expect(targets['wheel-flash-attn-cu130'].options).toMatchObject({
      dockerfile: DOCKERFILE,
      context: '.',
      target: 'wheel-prod',
      exportStage: 'wheels',
      package: 'tiny-attn',
      outputPath: 'dist/services/gpu-service/wheels/cu130',
    });
    expect(targets['image-prod-cu130'].options).toMatchObject({ target: 'prod', wheelsContext: 'wheels', wheelsDir: 'dist/services/gpu-service/wheels/cu130' });
    expect(targets['image-prod-cu130'].dependsOn).toEqual(expect.arrayContaining(['keys-cu130', 'wheel-flash-attn-cu130']));
    expect(targets['smoke-cu130'].options).toMatchObject({
      imageMetadata: 'dist/services/gpu-service/images/prod-cu130.json',
      command: ['python3', '/opt/smoke/check.py'],
    });
    expect(targets['smoke-cu130'].dependsOn).toEqual(['image-prod-cu130']);
  });

  it('has the build-args line tools/gpu/run-gpu-e2e.sh edits', () => {
    const pyproject = readFileSync(join(FIXTURE, 'services/gpu-service/pyproject.toml'), 'utf8');
    expect(pyproject).toMatch(/^build-args = \{ FLASH_ATTN_CUDA_ARCHS = "90" \}$/m);
  });
});

describe('the tiny-attn kernel package', () => {
  it.skipIf(!hasPython)('builds its sdist without torch (torch is imported only by the commands that compile)', () => {
    const work = tempDir('nx-uv-cuda-tiny-attn-');
    cpSync(KERNEL, join(work, 'tiny-attn'), { recursive: true });
    const dist = join(work, 'dist');
    // `import torch` fails in this interpreter whether or not torch is installed.
    const run = spawnSync(
      'python3',
      ['-c', 'import runpy, sys; sys.modules["torch"] = None; sys.argv = ["setup.py", "-q", "sdist", "-d", sys.argv[1]]; runpy.run_path("setup.py", run_name="__main__")', dist],
      { cwd: join(work, 'tiny-attn'), encoding: 'utf8', timeout: 120_000 },
    );
    expect(run.status, run.stderr).toBe(0);
    // setuptools < 69.3 names it tiny-attn-0.1.0.tar.gz, newer ones tiny_attn-0.1.0.tar.gz.
    const sdists = readdirSync(dist).filter((name) => /^tiny[-_]attn-0\.1\.0\.tar\.gz$/.test(name));
    expect(sdists).toHaveLength(1);
    const listing = execFileSync('tar', ['-tzf', join(dist, sdists[0])], { encoding: 'utf8' })
      .split('\n')
      .map((entry) => entry.replace(/^[^/]+\//, ''));
    expect(listing).toEqual(
      expect.arrayContaining(['setup.py', 'pyproject.toml', 'csrc/tiny_attn.cpp', 'csrc/tiny_attn_kernel.cu', 'tiny_attn/__init__.py']),
    );
  });

  it.skipIf(!hasPython)('maps FLASH_ATTN_CUDA_ARCHS to TORCH_CUDA_ARCH_LIST and refuses what it cannot read', () => {
    const script = [
      'import importlib.util, json, sys',
      'spec = importlib.util.spec_from_file_location("tiny_attn_setup", sys.argv[1])',
      'setup = importlib.util.module_from_spec(spec); spec.loader.exec_module(setup)',
      'out = {a: setup.torch_arch_list(a) for a in ["90", "80;90", "80,90", "90a", "100", "sm_120"]}',
      'try:\n    setup.torch_arch_list("hopper")\nexcept SystemExit as e:\n    out["error"] = str(e)',
      'print(json.dumps(out))',
    ].join('\n');
    const run = spawnSync('python3', ['-c', script, join(KERNEL, 'setup.py')], { encoding: 'utf8', timeout: 60_000 });
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      '90': '9.0',
      '80;90': '8.0;9.0',
      '80,90': '8.0;9.0',
      '90a': '9.0a',
      '100': '10.0',
      sm_120: '12.0',
      error: expect.stringContaining("cannot read 'hopper'"),
    });
  });
});

describe('the smoke script', () => {
  it.skipIf(!hasPython)('fails clearly (exit 2, cuda_available=False) where torch sees no GPU', () => {
    // A stand-in torch without CUDA: the script must stop before importing tiny_attn.
    const work = tempDir('nx-uv-cuda-smoke-');
    mkdirSync(join(work, 'torch'));
    writeFileSync(
      join(work, 'torch', '__init__.py'),
      '__version__ = "2.11.0+cpu"\nclass version:\n    cuda = None\nclass cuda:\n    @staticmethod\n    def is_available():\n        return False\n',
    );
    const run = spawnSync('python3', [join(FIXTURE, 'services/gpu-service/smoke/check.py')], {
      encoding: 'utf8',
      env: { ...process.env, PYTHONPATH: work },
      timeout: 60_000,
    });
    expect(run.status).toBe(2);
    expect(run.stdout).toContain('smoke: cuda_available=False');
    expect(run.stderr).toContain('no CUDA device visible to torch');
  });
});

describe('GPU access of the smoke run: --gpus, CDI, device nodes', () => {
  const NOTHING: GpuFacts = { runtimes: ['runc'], cdiSpecDirs: ['/etc/cdi', '/var/run/cdi'], nvidiaCdiSpecs: [], devices: [], driverLibDirs: [] };
  const DEVICES = ['/dev/nvidia0', '/dev/nvidiactl', '/dev/nvidia-uvm', '/dev/nvidia-uvm-tools'];
  const options = smokeExecutorSchema.parse({ imageMetadata: 'dist/services/gpu-service/images/prod-cu130.json', command: ['python3', '/opt/smoke/check.py'] });
  const argv = (facts: GpuFacts) => smokeRunArgv(options, 'gpu-service:prod-cu130', decideGpuAccess(options.gpus, facts));
  const TAIL = ['gpu-service:prod-cu130', 'python3', '/opt/smoke/check.py'];

  it('the NVIDIA runtime: --gpus all', () => {
    expect(argv({ ...NOTHING, runtimes: ['nvidia', 'runc'], devices: DEVICES })).toEqual(['run', '--rm', '--network', 'none', '--gpus', 'all', ...TAIL]);
  });

  it('a CDI spec of nvidia.com/gpu (what run-gpu-e2e.sh --cdi writes): --device nvidia.com/gpu=all', () => {
    expect(argv({ ...NOTHING, nvidiaCdiSpecs: ['/etc/cdi/nvidia.yaml'], devices: DEVICES })).toEqual([
      'run', '--rm', '--network', 'none', '--device', 'nvidia.com/gpu=all', ...TAIL,
    ]);
  });

  it('the device nodes and the driver libraries of /usr/local/nvidia (the H200 host without the toolkit)', () => {
    expect(argv({ ...NOTHING, devices: DEVICES, driverLibDirs: ['/usr/local/nvidia/lib64', '/usr/local/nvidia/lib'] })).toEqual([
      'run', '--rm', '--network', 'none',
      '--device', '/dev/nvidia0', '--device', '/dev/nvidia-uvm', '--device', '/dev/nvidia-uvm-tools', '--device', '/dev/nvidiactl',
      '-v', '/usr/local/nvidia:/usr/local/nvidia:ro', '-e', 'LD_LIBRARY_PATH=/usr/local/nvidia/lib64:/usr/local/nvidia/lib',
      ...TAIL,
    ]);
  });

  it('the CDI spec run-gpu-e2e.sh writes is one the plugin finds', () => {
    const root = tempDir('nx-uv-cuda-cdi-');
    mkdirSync(join(root, 'dev'));
    for (const node of ['nvidia0', 'nvidiactl', 'nvidia-uvm']) writeFileSync(join(root, 'dev', node), '');
    const run = spawnSync(
      'bash',
      [SCRIPT, '--only', 'cdi', '--cdi', '--cdi-spec', join(root, 'etc', 'cdi', 'nvidia.yaml'), '--work', join(root, 'work')],
      { encoding: 'utf8', env: { ...process.env, GPU_E2E_DEV_DIR: join(root, 'dev') }, timeout: 60_000 },
    );
    expect(run.status, run.stderr).toBe(0);
    const spec = readFileSync(join(root, 'etc', 'cdi', 'nvidia.yaml'), 'utf8');
    expect(declaresNvidiaGpu(spec)).toBe(true);
    expect(spec).toContain('- name: all');
    expect(spec).toContain('- path: /dev/nvidia0');
    expect(spec).toContain('- path: /dev/nvidiactl');
    const facts = probeGpuFacts({ runtimes: ['runc'], cdiSpecDirs: ['/etc/cdi'] }, root);
    expect(facts.nvidiaCdiSpecs).toEqual(['/etc/cdi/nvidia.yaml']);
    expect(decideGpuAccess('auto', facts).args).toEqual(['--device', 'nvidia.com/gpu=all']);
  });

  it('run-gpu-e2e.sh and pack-for-device.sh parse and answer --help', () => {
    for (const script of [SCRIPT, join(__dirname, 'pack-for-device.sh')]) {
      expect(spawnSync('bash', ['-n', script]).status).toBe(0);
      const help = spawnSync('bash', [script, '--help'], { encoding: 'utf8', timeout: 30_000 });
      expect(help.status).toBe(0);
      expect(help.stdout).toContain('Usage: tools/gpu/');
    }
  });
});
