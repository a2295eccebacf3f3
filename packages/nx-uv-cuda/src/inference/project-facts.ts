import type { StageNames, TargetNames } from '../config/plugin-options';
import type { DockerfileModel } from '../docker/dockerfile-model';
import type { Backend } from './backends';

/** Everything target inference needs to know about one Python project, read from its files. */
export interface ProjectFacts {
  /** Workspace-relative project root ('' or '.' never: the workspace root is '.'). */
  root: string;
  name: string;
  pyprojectFile: string;
  /** The governing uv.lock (the project's own, or its uv workspace root's), workspace-relative. */
  lockFile: string;
  /** `<root>/prod/uv.lock` when the service keeps a minimal production lock. */
  prodLockFile?: string;
  /** Workspace-relative Docker build context. */
  contextDir: string;
  dockerfile?: DockerfileFacts;
  backends: Backend[];
  stages: StageNames;
  targetNames: TargetNames;
  wheelPackage: string;
  wheelBuildRequirements: string[];
  /** The plugin options from nx.json, handed to the keys target so it resolves build args as inference did. */
  pluginOptions: Record<string, unknown>;
  registry?: string;
  smokeCommand?: string[];
}

export interface DockerfileFacts {
  file: string;
  model: DockerfileModel;
  dockerignoreFile?: string;
  dockerignoreText?: string;
}
