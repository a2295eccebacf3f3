import type { SmokeOptions } from './schema';

/** `docker run --rm ...` for a smoke check; environment values are passed by name only (`--env NAME`). */
export function smokeRunArgv(options: SmokeOptions, image: string, withGpus: boolean): string[] {
  const argv = ['run', '--rm', '--network', options.network];
  if (withGpus) argv.push('--gpus', 'all');
  for (const name of Object.keys(options.env).sort()) argv.push('--env', name);
  argv.push(image, ...options.command);
  return argv;
}

export function wantsGpus(gpus: SmokeOptions['gpus'], runtimes: string[]): boolean {
  return gpus === 'all' || (gpus === 'auto' && runtimes.includes('nvidia'));
}
