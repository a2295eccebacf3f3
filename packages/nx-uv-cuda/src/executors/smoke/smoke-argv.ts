import type { GpuAccess } from '../../docker/gpu-access';
import type { SmokeOptions } from './schema';

/** `docker run --rm ...` for a smoke check; environment values are passed by name only (`--env NAME`). */
export function smokeRunArgv(options: SmokeOptions, image: string, gpu: Pick<GpuAccess, 'args'>): string[] {
  const argv = ['run', '--rm', '--network', options.network, ...gpu.args];
  for (const name of Object.keys(options.env).sort()) argv.push('--env', name);
  argv.push(image, ...options.command);
  return argv;
}
