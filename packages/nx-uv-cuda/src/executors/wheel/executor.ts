import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { checkEngine } from '../../docker/engine';
import { describeArgv } from '../../docker/redact';
import { interruptible } from '../../process/interruptible';
import { runCommand } from '../../process/run-command';
import { replaceFolder } from '../shared/files';
import { fail, info } from '../shared/log';
import { requireStage } from '../shared/require-stage';
import { taskInfo } from '../shared/task';
import { validateOptions } from '../shared/validate-options';
import { wheelExecutorSchema, type WheelExecutorOptions, type WheelOptions } from './schema';
import { planWheel } from './wheel-plan';

/**
 * Compiles the wheel stage and keeps only its `.whl` files in `outputPath`. The export goes to a temporary
 * folder beside the output and replaces it only when the build succeeded and at least one wheel came out.
 */
export default async function wheelExecutor(rawOptions: WheelExecutorOptions, context: ExecutorContext) {
  const task = taskInfo(context);
  try {
    const options = validateOptions(wheelExecutorSchema, rawOptions, task.id);
    requireStage(task.absolute(options.dockerfile), options.dockerfile, options.target);
    if (options.exportStage) requireStage(task.absolute(options.dockerfile), options.dockerfile, options.exportStage);
    await checkEngine({ features: [], builder: options.builder });

    const output = task.absolute(options.outputPath);
    mkdirSync(dirname(output), { recursive: true });
    return await interruptible(async (scope) => {
      const exportDir = scope.temporary(mkdtempSync(`${output}.export-`));
      const readyDir = scope.temporary(mkdtempSync(`${output}.ready-`));
      const { argv } = planWheel({
        options,
        workspaceRoot: task.workspaceRoot,
        exportDir,
        env: process.env,
        stderrIsTty: Boolean(process.stderr.isTTY),
      });
      info(`docker ${describeArgv(argv)}`);
      const build = await runCommand('docker', argv, { cwd: task.workspaceRoot, stdio: 'inherit', signal: scope.signal });
      if (build.interrupted) return fail('wheel build interrupted: nothing was written');
      if (build.exitCode !== 0) return fail(`docker buildx build failed (exit ${build.exitCode}): see docker's output above`);

      const wheels = findWheels(options, exportDir);
      if (wheels.length === 0) {
        return fail(`no .whl file came out of stage "${options.exportStage ?? options.target}" (looked in ${describeWhere(options)})`);
      }
      for (const wheel of wheels) copyFileSync(wheel, join(readyDir, basename(wheel)));
      replaceFolder(readyDir, output);
      scope.keep(readyDir);
      info(`${options.package} for ${options.backend}: ${wheels.map((wheel) => basename(wheel)).join(', ')} → ${options.outputPath}`);
      return { success: true };
    });
  } catch (error) {
    return fail((error as Error).message);
  }
}

function findWheels(options: WheelOptions, exportDir: string): string[] {
  const root = options.exportStage ? exportDir : join(exportDir, options.wheelhouse);
  return existsSync(root) ? walk(root).filter((file) => file.endsWith('.whl')).sort() : [];
}

function describeWhere(options: WheelOptions): string {
  return options.exportStage ? `the whole ${options.exportStage} stage` : `${options.wheelhouse} of ${options.target}`;
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}
