import type { ExecutorContext } from '@nx/devkit';
import { PluginError } from '../../core/errors';
import { checkDaemon, containerState } from '../../docker/engine';
import { engineEnv, isLocalEngine } from '../../docker/engine-endpoint';
import { gpuAccessFor } from '../../docker/gpu-access';
import { describeArgv } from '../../docker/redact';
import { runCommand } from '../../process/run-command';
import { info } from '../shared/log';
import { runExecutor, type ExecutorRun } from '../shared/run-executor';
import { startDetached, startWatchdog, type Watchdog } from './container-process';
import { resolveRunImage } from './image';
import { containerName, isInteractive, publishedUrls, runArgv } from './run-argv';
import { runExecutorSchema, type RunExecutorOptions, type RunOptions } from './schema';

/** How long `docker stop` lets the container's main process end before the engine kills it. */
const STOP_GRACE_SECONDS = 10;
/** How long, after a stop, the executor waits for the `docker run` client to end (it ends with its container). */
const CLIENT_EXIT_MS = 20_000;

/**
 * `docker run` of a built image, as `@nx/docker`'s `docker:run`: dev (sources mounted, interactive) or prod (a
 * service, for `continuous: true` targets). It runs until the container exits; on SIGINT/SIGTERM (Nx stopping a
 * continuous task, or Ctrl-C) it stops the container with a bounded `docker stop` and ends cleanly. A watchdog
 * out of the executor's process tree stops the container when the executor is killed (container-process.ts).
 */
export default async function runContainerExecutor(options: RunExecutorOptions, context: ExecutorContext) {
  const projectRoot = context.projectsConfigurations?.projects[context.projectName ?? '']?.root ?? '.';
  return runExecutor({ schema: runExecutorSchema }, (run) => runContainer(run, projectRoot))(options, context);
}

async function runContainer({ options, task, files, scope }: ExecutorRun<RunOptions>, projectRoot: string): Promise<void> {
  const { image, metadata } = await resolveRunImage(files, task, options.imageMetadata, options.image);
  const engine = metadata?.engine;
  const daemon = await checkDaemon(engine);
  const gpu = gpuAccessFor(options.gpus, daemon, isLocalEngine(engine, process.env));
  info(gpu.summary);

  const name = containerName(options, task.projectName, metadata?.backend, process.pid);
  const existing = await containerState(name, engine);
  if (existing.exists) {
    throw new PluginError(
      'command',
      existing.running
        ? `a container named ${name} is already running: stop it (docker stop ${name}) or set the name option`
        : `a container named ${name} is left over (${existing.status}): remove it (docker rm ${name}) or set the name option`,
    );
  }

  const interactive = isInteractive(options);
  const argv = runArgv(options, image, gpu, {
    name,
    workspaceRoot: task.workspaceRoot,
    projectRoot,
    stdinIsTty: Boolean(process.stdin.isTTY),
  });
  info(`docker ${describeArgv(argv)}`);
  for (const { url, port } of publishedUrls(options.ports)) info(`${name} serves ${url} (container port ${port})`);

  // The watchdog first: from here on, however the executor ends, the container does not outlive it.
  const dockerEnv = { ...process.env, ...engineEnv(engine) };
  const watchdog = startWatchdog(name, STOP_GRACE_SECONDS, dockerEnv);
  const container = startDetached('docker', argv, { env: { ...dockerEnv, ...options.env }, stdio: interactive ? 'inherit' : 'pipe' });
  const stopping: { why?: 'interrupted' | 'timed out'; done?: Promise<void> } = {};
  const stop = (why: 'interrupted' | 'timed out') => {
    if (stopping.why) return;
    info(`${why}: stopping ${name} (docker stop --time ${STOP_GRACE_SECONDS})`);
    stopping.why = why;
    stopping.done = stopAndWait(watchdog, container.done);
  };
  const onAbort = () => stop('interrupted');
  if (scope.signal.aborted) onAbort();
  else scope.signal.addEventListener('abort', onAbort, { once: true });
  const timer = options.timeoutSeconds ? setTimeout(() => stop('timed out'), options.timeoutSeconds * 1000) : undefined;

  let exitCode: number | undefined;
  try {
    exitCode = await container.done;
  } finally {
    if (timer) clearTimeout(timer);
    scope.signal.removeEventListener('abort', onAbort);
  }
  if (stopping.done) {
    await stopping.done;
  } else if ((await containerState(name, engine)).running) {
    // The client ended (it was killed) while its container runs on: stop that too, nothing is left behind.
    info(`the docker run client ended (${exitCode ?? 'killed'}) while ${name} runs: stopping it`);
    await stopAndWait(watchdog, Promise.resolve(exitCode));
    throw new PluginError('command', `the docker run client of ${name} (${image}) ended unexpectedly; the container was stopped`);
  } else {
    watchdog.release();
  }
  if (options.rm && (await containerState(name, engine)).exists) {
    await runCommand('docker', ['rm', '--force', name], { stdio: 'pipe', timeoutMs: 30_000, env: engineEnv(engine) });
  }

  if (stopping.why === 'interrupted') {
    info(`${name} stopped`);
    return;
  }
  if (stopping.why === 'timed out') {
    throw new PluginError('command', `${name} (${image}) timed out after ${options.timeoutSeconds} s and was stopped`);
  }
  if (exitCode === 125) throw new PluginError('command', `docker could not run ${image} (exit 125): see docker's message above`);
  if (exitCode !== 0) throw new PluginError('command', `${name} (${image}) exited with ${exitCode ?? 'no status'}`);
}

/** Has the watchdog stop the container (bounded), then waits a while for the `docker run` client to end. */
async function stopAndWait(watchdog: Watchdog, clientDone: Promise<number | undefined>): Promise<void> {
  await within(watchdog.stop(), (STOP_GRACE_SECONDS + 20) * 1000);
  await within(clientDone, CLIENT_EXIT_MS);
}

async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
