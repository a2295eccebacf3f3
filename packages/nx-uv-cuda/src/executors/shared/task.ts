import { posix } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { join } from 'node:path';

/** What an executor needs to know about the task it runs, taken from Nx's executor context. */
export interface TaskInfo {
  workspaceRoot: string;
  projectName: string;
  /** `project:target` */
  id: string;
  /** Nx's hash of the task's inputs, when Nx computed one. */
  hash?: string;
  absolute(workspacePath: string): string;
  /** How to make a file another target of this project writes: "`nx run ml-service:keys-cu124`". */
  producerOf(workspacePath: string): string;
  /**
   * This target's own-project dependencies (`dependsOn` names) that are not in the task graph: Nx left them out
   * (`nx release --projects` runs publish targets without their dependencies).
   */
  dependenciesLeftOut(): string[];
}

export function taskInfo(context: ExecutorContext): TaskInfo {
  const projectName = context.projectName ?? '';
  const targetName = context.targetName ?? '';
  // A task of this project in Nx's task graph, by target (its id may carry a configuration).
  const taskOf = (target: string) =>
    Object.values(context.taskGraph?.tasks ?? {}).find((candidate) => candidate.target.project === projectName && candidate.target.target === target);
  const task = taskOf(targetName);
  const targets = context.projectsConfigurations?.projects[projectName]?.targets ?? {};
  return {
    workspaceRoot: context.root,
    projectName,
    id: `${projectName}:${targetName}`,
    // Forked executors get their task's hash in the environment; the task graph they receive has none.
    hash: task?.hash ?? process.env.NX_TASK_HASH,
    absolute: (workspacePath) => join(context.root, workspacePath),
    producerOf: (workspacePath) => {
      const writes = (output: string) => {
        const path = output.replace(/^\{workspaceRoot\}\//, '');
        return path === workspacePath || workspacePath.startsWith(`${posix.normalize(path)}/`);
      };
      const producer = Object.entries(targets).find(([, target]) => (target.outputs ?? []).some(writes))?.[0];
      return producer ? `\`nx run ${projectName}:${producer}\`` : `the target that writes it`;
    },
    dependenciesLeftOut: () =>
      context.taskGraph
        ? (targets[targetName]?.dependsOn ?? [])
            .filter((dependency): dependency is string => typeof dependency === 'string' && !dependency.startsWith('^'))
            .filter((dependency) => !taskOf(dependency))
        : [],
  };
}
