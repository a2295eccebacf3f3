import type { ExecutorContext } from '@nx/devkit';
import { join } from 'node:path';

/** What an executor needs to know about the task it runs, taken from Nx's executor context. */
export interface TaskInfo {
  workspaceRoot: string;
  projectName: string;
  projectRoot: string;
  targetName: string;
  /** `project:target` */
  id: string;
  /** Nx's hash of the task's inputs, when Nx computed one. */
  hash?: string;
  absolute(workspacePath: string): string;
}

export function taskInfo(context: ExecutorContext): TaskInfo {
  const projectName = context.projectName ?? '';
  const targetName = context.targetName ?? '';
  const id = `${projectName}:${targetName}`;
  const task = Object.values(context.taskGraph?.tasks ?? {}).find(
    (candidate) => candidate.target.project === projectName && candidate.target.target === targetName,
  );
  return {
    workspaceRoot: context.root,
    projectName,
    projectRoot: context.projectsConfigurations?.projects[projectName]?.root ?? '.',
    targetName,
    id,
    // Forked executors get their task's hash in the environment; the task graph they receive has none.
    hash: task?.hash ?? process.env.NX_TASK_HASH,
    absolute: (workspacePath) => join(context.root, workspacePath),
  };
}
