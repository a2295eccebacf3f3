import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { declaresNvidiaGpu, decideGpuAccess, gpuAccessFor, nvidiaDeviceNames, probeGpuFacts, type GpuFacts } from './gpu-access';

const NOTHING: GpuFacts = { runtimes: ['io.containerd.runc.v2', 'runc'], cdiSpecDirs: [], nvidiaCdiSpecs: [], devices: [], driverLibDirs: [] };
const facts = (more: Partial<GpuFacts>): GpuFacts => ({ ...NOTHING, ...more });
const DEVICES = ['/dev/nvidia1', '/dev/nvidia0', '/dev/nvidia-uvm', '/dev/nvidiactl', '/dev/nvidia-uvm-tools'];

describe('decideGpuAccess', () => {
  it('uses --gpus all when the engine has the nvidia runtime, whatever else there is', () => {
    const access = decideGpuAccess('auto', facts({ runtimes: ['nvidia', 'runc'], nvidiaCdiSpecs: ['/etc/cdi/nvidia.yaml'], cdiSpecDirs: ['/etc/cdi'], devices: DEVICES }));
    expect(access).toMatchObject({ method: 'runtime', args: ['--gpus', 'all'] });
  });

  it('uses the CDI device when CDI is on and a spec declares nvidia.com/gpu', () => {
    const access = decideGpuAccess('auto', facts({ cdiSpecDirs: ['/etc/cdi', '/var/run/cdi'], nvidiaCdiSpecs: ['/var/run/cdi/nvidia.yaml'], devices: DEVICES }));
    expect(access).toMatchObject({ method: 'cdi', args: ['--device', 'nvidia.com/gpu=all'] });
    expect(access.summary).toContain('/var/run/cdi/nvidia.yaml');
  });

  it('does not use CDI when the engine has it off, or no spec names nvidia.com/gpu', () => {
    expect(decideGpuAccess('auto', facts({ cdiSpecDirs: [], nvidiaCdiSpecs: ['/etc/cdi/nvidia.yaml'] })).method).toBe('none');
    expect(decideGpuAccess('auto', facts({ cdiSpecDirs: undefined, nvidiaCdiSpecs: ['/etc/cdi/nvidia.yaml'] })).method).toBe('none');
    expect(decideGpuAccess('auto', facts({ cdiSpecDirs: ['/etc/cdi'], nvidiaCdiSpecs: [] })).method).toBe('none');
  });

  it('passes the device nodes, GPUs in number order, and mounts the driver libraries read-only when they are there', () => {
    const access = decideGpuAccess('auto', facts({ devices: [...DEVICES, '/dev/nvidia10'], driverLibDirs: ['/usr/local/nvidia/lib64', '/usr/local/nvidia/lib'] }));
    expect(access.method).toBe('devices');
    expect(access.args).toEqual([
      '--device', '/dev/nvidia0',
      '--device', '/dev/nvidia1',
      '--device', '/dev/nvidia10',
      '--device', '/dev/nvidia-uvm',
      '--device', '/dev/nvidia-uvm-tools',
      '--device', '/dev/nvidiactl',
      '-v', '/usr/local/nvidia:/usr/local/nvidia:ro',
      '-e', 'LD_LIBRARY_PATH=/usr/local/nvidia/lib64:/usr/local/nvidia/lib',
    ]);
  });

  it('passes the device nodes alone without /usr/local/nvidia, and says the image must bring the libraries', () => {
    const access = decideGpuAccess('auto', facts({ devices: ['/dev/nvidia0', '/dev/nvidiactl'] }));
    expect(access.args).toEqual(['--device', '/dev/nvidia0', '--device', '/dev/nvidiactl']);
    expect(access.summary).toMatch(/image must bring/);
  });

  it('needs a GPU node and nvidiactl for the device branch', () => {
    expect(decideGpuAccess('auto', facts({ devices: ['/dev/nvidiactl', '/dev/nvidia-uvm'] })).method).toBe('none');
    expect(decideGpuAccess('auto', facts({ devices: ['/dev/nvidia0'] })).method).toBe('none');
  });

  it('says CPU only when there is nothing, naming what it looked for', () => {
    const access = decideGpuAccess('auto', NOTHING);
    expect(access).toMatchObject({ method: 'none', args: [] });
    expect(access.summary).toMatch(/no nvidia runtime \(runtimes: io.containerd.runc.v2, runc\).*CPU only$/);
  });

  it('all: the best access there is, else --gpus all anyway', () => {
    expect(decideGpuAccess('all', facts({ cdiSpecDirs: ['/etc/cdi'], nvidiaCdiSpecs: ['/etc/cdi/n.json'] })).method).toBe('cdi');
    expect(decideGpuAccess('all', NOTHING)).toMatchObject({ method: 'runtime', args: ['--gpus', 'all'] });
  });

  it('none: never a GPU, even with the nvidia runtime', () => {
    expect(decideGpuAccess('none', facts({ runtimes: ['nvidia'], devices: DEVICES }))).toMatchObject({ method: 'none', args: [] });
  });
});

describe('declaresNvidiaGpu', () => {
  it.each([
    ['cdiVersion: 0.5.0\nkind: nvidia.com/gpu\ndevices:\n- name: "0"\n', true],
    ['cdiVersion: "0.6.0"\r\nkind: "nvidia.com/gpu"\r\n', true],
    ['{"cdiVersion":"0.5.0","kind":"nvidia.com/gpu","devices":[]}', true],
    ['{ "kind" : "nvidia.com/gpu" }', true],
    ['kind: amd.com/gpu\n', false],
    ['kind: nvidia.com/gpu-mig\n', false],
    ['', false],
  ])('%j → %s', (text, expected) => {
    expect(declaresNvidiaGpu(text)).toBe(expected);
  });
});

describe('nvidiaDeviceNames', () => {
  it('keeps the GPU and control nodes only', () => {
    expect(nvidiaDeviceNames(['null', 'nvidia0', 'nvidia12', 'nvidiactl', 'nvidia-uvm', 'nvidia-uvm-tools', 'nvidia-modeset', 'nvidia-caps', 'nvidiafoo', 'tty'])).toEqual([
      'nvidia0',
      'nvidia12',
      'nvidiactl',
      'nvidia-uvm',
      'nvidia-uvm-tools',
      'nvidia-modeset',
    ]);
  });
});

describe('probeGpuFacts', () => {
  let root: string | undefined;
  afterEach(() => root && rmSync(root, { recursive: true, force: true }));

  it('reads the CDI specs of the engine folders, /dev and /usr/local/nvidia under a root', () => {
    root = mkdtempSync(join(tmpdir(), 'gpu-facts-'));
    mkdirSync(join(root, 'etc/cdi'), { recursive: true });
    writeFileSync(join(root, 'etc/cdi/nvidia.yaml'), 'cdiVersion: 0.5.0\nkind: nvidia.com/gpu\n');
    writeFileSync(join(root, 'etc/cdi/other.json'), '{"kind":"vendor.com/fpga"}');
    writeFileSync(join(root, 'etc/cdi/README'), 'kind: nvidia.com/gpu');
    mkdirSync(join(root, 'dev'), { recursive: true });
    for (const name of ['nvidia0', 'nvidiactl', 'null']) writeFileSync(join(root, 'dev', name), '');
    mkdirSync(join(root, 'usr/local/nvidia/lib64'), { recursive: true });
    const found = probeGpuFacts({ runtimes: ['runc'], cdiSpecDirs: ['/etc/cdi', '/var/run/cdi'] }, root);
    expect(found).toEqual({
      runtimes: ['runc'],
      cdiSpecDirs: ['/etc/cdi', '/var/run/cdi'],
      nvidiaCdiSpecs: ['/etc/cdi/nvidia.yaml'],
      devices: ['/dev/nvidia0', '/dev/nvidiactl'],
      driverLibDirs: ['/usr/local/nvidia/lib64'],
    });
    expect(decideGpuAccess('auto', found).method).toBe('cdi');
    expect(decideGpuAccess('auto', { ...found, cdiSpecDirs: [] }).method).toBe('devices');
  });

  it('on a host without toolkit or CDI (an H200 machine: four nodes, nvidia-caps, /usr/local/nvidia/lib{,64}) passes the nodes and the driver', () => {
    root = mkdtempSync(join(tmpdir(), 'gpu-facts-'));
    mkdirSync(join(root, 'dev/nvidia-caps'), { recursive: true });
    for (const name of ['nvidia0', 'nvidiactl', 'nvidia-uvm', 'nvidia-uvm-tools', 'nvidia-caps/nvidia-cap1', 'null']) writeFileSync(join(root, 'dev', name), '');
    for (const lib of ['lib', 'lib64', 'bin']) mkdirSync(join(root, 'usr/local/nvidia', lib), { recursive: true });
    const access = decideGpuAccess('auto', probeGpuFacts({ runtimes: ['io.containerd.runc.v2', 'runc'], cdiSpecDirs: ['/etc/cdi', '/var/run/cdi'] }, root));
    expect(access.args).toEqual([
      '--device', '/dev/nvidia0',
      '--device', '/dev/nvidia-uvm',
      '--device', '/dev/nvidia-uvm-tools',
      '--device', '/dev/nvidiactl',
      '-v', '/usr/local/nvidia:/usr/local/nvidia:ro',
      '-e', 'LD_LIBRARY_PATH=/usr/local/nvidia/lib64:/usr/local/nvidia/lib',
    ]);
  });

  it('finds nothing on a bare root', () => {
    root = mkdtempSync(join(tmpdir(), 'gpu-facts-'));
    expect(probeGpuFacts({ runtimes: [], cdiSpecDirs: undefined }, root)).toEqual({ runtimes: [], cdiSpecDirs: undefined, nvidiaCdiSpecs: [], devices: [], driverLibDirs: [] });
  });

  it("never hands a remote engine this host's device nodes: only its own runtime counts", () => {
    expect(gpuAccessFor('auto', { runtimes: ['runc'], cdiSpecDirs: ['/etc/cdi'] }, false).method).toBe('none');
    expect(gpuAccessFor('auto', { runtimes: ['nvidia', 'runc'], cdiSpecDirs: [] }, false).args).toEqual(['--gpus', 'all']);
    expect(gpuAccessFor('all', { runtimes: ['runc'], cdiSpecDirs: [] }, false).args).toEqual(['--gpus', 'all']);
  });
});
