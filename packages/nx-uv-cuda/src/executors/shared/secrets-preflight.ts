import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { PluginError } from '../../core/errors';
import type { DockerfileModel, Stage } from '../../docker/dockerfile-model';
import { secretMounts, secretSource, secretVariable } from '../../docker/secret-mounts';

/**
 * Before any build: every `required` secret mount of the stages built (`chain`) has a `secrets` entry whose source is
 * there. Without this, BuildKit fails deep in the build, or (a mount that is not required) runs with no secret.
 */
export function requireSecrets(
  model: DockerfileModel,
  chain: readonly Stage[],
  secrets: readonly string[],
  where: { env: NodeJS.ProcessEnv; cwd: string },
): void {
  const sources = secrets.map(secretSource);
  for (const mount of secretMounts(chain).filter((candidate) => candidate.required)) {
    const at = `${model.file}:${mount.line}`;
    const source = sources.find((candidate) => candidate.id === mount.id);
    if (!source) {
      throw new PluginError(
        'preflight',
        `${at}: the build needs secret "${mount.id}" (required=true), and no secrets entry gives it: add "id=${mount.id},env=<VARIABLE>" to the secrets option`,
        { file: model.file, line: mount.line },
      );
    }
    const missing = missingSource(source, where);
    if (missing) {
      throw new PluginError('preflight', `${at}: the build needs secret "${mount.id}" (required=true), and ${missing}`, { file: model.file, line: mount.line });
    }
  }
}

function missingSource(source: ReturnType<typeof secretSource>, where: { env: NodeJS.ProcessEnv; cwd: string }): string | undefined {
  const fileExists = (file: string) => existsSync(isAbsolute(file) ? file : join(where.cwd, file));
  const variable = secretVariable(source);
  if (variable !== undefined && where.env[variable] !== undefined) return undefined;
  if (source.env !== undefined) return `its source, the environment variable ${source.env}, is not set`;
  if (source.file !== undefined) return fileExists(source.file) ? undefined : `its source, the file ${source.file}, does not exist`;
  // `id=X` alone: buildx reads the variable X (set: found above), else the file X.
  return fileExists(source.id) ? undefined : `its source is neither set as the environment variable ${source.id} nor a file of that name`;
}
