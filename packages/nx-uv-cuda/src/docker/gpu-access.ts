import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Daemon } from './engine';

/** The `gpus` option of the run and smoke executors. */
export type GpuMode = 'auto' | 'all' | 'none';

/** What the engine and the host offer for reaching NVIDIA GPUs from a container. */
export interface GpuFacts {
  /** The engine's runtimes (`docker info`): `nvidia` means the NVIDIA Container Toolkit is registered. */
  runtimes: string[];
  /** The engine's CDI spec folders; empty or undefined: CDI is off (or the engine predates it). */
  cdiSpecDirs: string[] | undefined;
  /** The CDI spec files in those folders that declare the `nvidia.com/gpu` kind. */
  nvidiaCdiSpecs: string[];
  /** The NVIDIA device nodes on the host (`/dev/nvidia0`, `/dev/nvidiactl`, `/dev/nvidia-uvm`, ...). */
  devices: string[];
  /** The driver library folders under `/usr/local/nvidia` that exist (`/usr/local/nvidia/lib64`, ...). */
  driverLibDirs: string[];
}

export interface GpuAccess {
  /** How the container reaches the GPUs: `runtime` (`--gpus all`), `cdi`, `devices` (device nodes), or `none`. */
  method: 'runtime' | 'cdi' | 'devices' | 'none';
  /** The `docker run` flags that give the access; empty for `none`. */
  args: string[];
  /** One line for the log: what was chosen and why. */
  summary: string;
}

export const DRIVER_ROOT = '/usr/local/nvidia';
const CDI_ALL_GPUS = 'nvidia.com/gpu=all';

/**
 * How a container gets the GPUs, decided from what the engine and the host offer, best first: the NVIDIA runtime
 * (`--gpus all`); CDI with an NVIDIA spec (`--device nvidia.com/gpu=all`); the device nodes themselves, with the
 * driver's libraries under /usr/local/nvidia mounted read-only when they are there; else none ("CPU only").
 * `all` takes the best there is and falls back on `--gpus all` (the engine then says why it cannot);
 * `none` never asks for a GPU.
 */
export function decideGpuAccess(mode: GpuMode, facts: GpuFacts): GpuAccess {
  if (mode === 'none') return { method: 'none', args: [], summary: 'gpus: none: CPU only' };
  if (facts.runtimes.includes('nvidia')) {
    return { method: 'runtime', args: ['--gpus', 'all'], summary: 'the engine has the nvidia runtime: --gpus all' };
  }
  if ((facts.cdiSpecDirs ?? []).length > 0 && facts.nvidiaCdiSpecs.length > 0) {
    return {
      method: 'cdi',
      args: ['--device', CDI_ALL_GPUS],
      summary: `CDI spec ${facts.nvidiaCdiSpecs[0]} declares nvidia.com/gpu: --device ${CDI_ALL_GPUS}`,
    };
  }
  const gpus = facts.devices.filter((device) => /\/nvidia\d+$/.test(device));
  const control = facts.devices.filter((device) => !/\/nvidia\d+$/.test(device));
  if (gpus.length > 0 && control.some((device) => device.endsWith('/nvidiactl'))) {
    const args = [...sortDevices(gpus), ...control.sort()].flatMap((device) => ['--device', device]);
    let summary = `no nvidia runtime or CDI spec, but ${gpus.length} NVIDIA device node(s) on the host: passing them with --device`;
    if (facts.driverLibDirs.length > 0) {
      args.push('-v', `${DRIVER_ROOT}:${DRIVER_ROOT}:ro`, '-e', `LD_LIBRARY_PATH=${facts.driverLibDirs.join(':')}`);
      summary += ` and the driver libraries of ${DRIVER_ROOT} read-only`;
    } else {
      summary += ` (no ${DRIVER_ROOT}: the image must bring the driver's user-space libraries)`;
    }
    return { method: 'devices', args, summary };
  }
  const found = `no nvidia runtime (runtimes: ${facts.runtimes.join(', ') || 'none'}), no CDI spec for nvidia.com/gpu, no /dev/nvidia* devices`;
  if (mode === 'all') {
    return { method: 'runtime', args: ['--gpus', 'all'], summary: `gpus: all, although ${found}: --gpus all` };
  }
  return { method: 'none', args: [], summary: `${found}: CPU only` };
}

/** `/dev/nvidia0`, `/dev/nvidia1`, ..., `/dev/nvidia10` in number order. */
function sortDevices(devices: string[]): string[] {
  const index = (device: string) => Number(/(\d+)$/.exec(device)?.[1] ?? 0);
  return [...devices].sort((a, b) => index(a) - index(b));
}

/** Whether a CDI spec (JSON or YAML) declares the `nvidia.com/gpu` kind. */
export function declaresNvidiaGpu(specText: string): boolean {
  return /["']?kind["']?\s*:\s*["']?nvidia\.com\/gpu["']?\s*(?:[,}\n]|$)/m.test(specText);
}

/** The device nodes that reach NVIDIA GPUs, among a folder's entry names (`/dev`'s). */
export function nvidiaDeviceNames(names: string[]): string[] {
  return names.filter((name) => /^nvidia(\d+|ctl|-uvm|-uvm-tools|-modeset)$/.test(name));
}

/** The facts of this host for `decideGpuAccess`: the daemon's runtimes and CDI folders, read CDI specs, /dev. */
export function probeGpuFacts(daemon: Pick<Daemon, 'runtimes' | 'cdiSpecDirs'>, root = '/'): GpuFacts {
  const nvidiaCdiSpecs = (daemon.cdiSpecDirs ?? []).flatMap((dir) =>
    entries(join(root, dir))
      .filter((name) => /\.(json|ya?ml)$/.test(name))
      .map((name) => join(dir, name))
      .filter((file) => declaresNvidiaGpu(readText(join(root, file)))),
  );
  const devices = nvidiaDeviceNames(entries(join(root, 'dev'))).map((name) => `/dev/${name}`);
  const driverLibDirs = ['lib64', 'lib']
    .map((lib) => `${DRIVER_ROOT}/${lib}`)
    .filter((dir) => isDirectory(join(root, dir)));
  return { runtimes: daemon.runtimes, cdiSpecDirs: daemon.cdiSpecDirs, nvidiaCdiSpecs, devices, driverLibDirs };
}

/** Probes the host and decides, in one call: what the run and smoke executors use. */
export function gpuAccessFor(mode: GpuMode, daemon: Pick<Daemon, 'runtimes' | 'cdiSpecDirs'>, engineIsLocal = true): GpuAccess {
  // This host's CDI specs, device nodes and driver files are the engine's only when the engine runs here.
  return mode === 'none' || !engineIsLocal ? decideGpuAccess(mode, emptyFacts(daemon)) : decideGpuAccess(mode, probeGpuFacts(daemon));
}

function emptyFacts(daemon: Pick<Daemon, 'runtimes' | 'cdiSpecDirs'>): GpuFacts {
  return { runtimes: daemon.runtimes, cdiSpecDirs: daemon.cdiSpecDirs, nvidiaCdiSpecs: [], devices: [], driverLibDirs: [] };
}

function entries(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function isDirectory(path: string): boolean {
  try {
    return existsSync(path) && statSync(path).isDirectory();
  } catch {
    return false;
  }
}
