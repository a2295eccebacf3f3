// Test helpers of the generator specs (not part of the build: tsconfig leaves __fixtures__ out).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import type { Tree } from '@nx/devkit';
import { parse as parseToml } from 'smol-toml';
import type { DockerfileModel } from '../../docker/dockerfile-model';
import { parseDockerfile } from '../../docker/parse-dockerfile';
import { resolveStageRef, stageChain } from '../../docker/stage-graph';

export const REPO_ROOT = join(__dirname, '..', '..', '..', '..', '..');
export const FIXTURE_MONOREPO = join(REPO_ROOT, 'e2e', 'fixtures', 'ml-monorepo');

/** Copies a folder of the disk into the Tree under `prefix`. */
export function loadDirectory(tree: Tree, dir: string, prefix = '.'): void {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) loadDirectory(tree, path, posix.join(prefix, name));
    else tree.write(posix.join(prefix, name), readFileSync(path));
  }
}

export function read(tree: Tree, file: string): string {
  const text = tree.read(file, 'utf-8');
  if (text === null) throw new Error(`${file} was not written`);
  return text;
}

export function toml(tree: Tree, file: string): Record<string, any> {
  return parseToml(read(tree, file)) as Record<string, any>;
}

export function dockerfile(tree: Tree, file: string): DockerfileModel {
  return parseDockerfile(read(tree, file), file);
}

/** A stage as the documented graph draws it: its name, the stage it is built FROM, the other stages it reads. */
export interface StageNode {
  name: string;
  from: string;
  reads: string[];
}

export function stageGraph(model: DockerfileModel): StageNode[] {
  return model.stages.map((stage) => {
    const base = resolveStageRef(model, stage.baseImage)?.name;
    return {
      name: stage.name ?? String(stage.index),
      from: base ?? (stage.baseImage === 'scratch' ? 'scratch' : 'image'),
      reads: stage.stageRefs.filter((ref) => ref !== base && resolveStageRef(model, ref) !== undefined),
    };
  });
}

/** ARG names per stage (`(global)` for those before the first FROM), sorted. */
export function argsByStage(model: DockerfileModel): Record<string, string[]> {
  return Object.fromEntries([
    ['(global)', model.globalArgs.map((arg) => arg.name).sort()],
    ...model.stages.map((stage) => [stage.name ?? String(stage.index), stage.args.map((arg) => arg.name).sort()]),
  ]);
}

export function argDefault(model: DockerfileModel, name: string): string | undefined {
  return [...model.globalArgs, ...model.stages.flatMap((stage) => stage.args)].find((arg) => arg.name === name)?.defaultValue;
}

/** Build-context paths (not `--from` ones) that building `target` reads, as written, in order. */
export function contextReads(model: DockerfileModel, target: string): string[] {
  return stageChain(model, target).flatMap((stage) =>
    stage.sources.filter((source) => source.from === undefined).flatMap((source) => source.paths),
  );
}

/** The text of one stage, to look for an instruction in it. */
export function stageText(model: DockerfileModel, name: string): string {
  const stage = resolveStageRef(model, name);
  if (!stage) throw new Error(`no stage ${name}`);
  return stage.text;
}
