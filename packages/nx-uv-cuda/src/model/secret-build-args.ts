import { compareCodeUnits } from '../core/compare';
import { isSecretName } from '../core/secret-names';
import type { DockerfileModel } from '../docker/dockerfile-model';
import { secretSource, secretVariable } from '../docker/secret-mounts';
import { allArgs } from './stages';

/**
 * The Dockerfile's ARGs whose names look like credentials (HF_TOKEN, PIP_PASSWORD). No option may hold their
 * values (config/shared-schemas.ts refuses them): buildx reads them from the environment of nx by name
 * (`--build-arg HF_TOKEN`), so no file, argv or cache ever holds them.
 */
export function environmentBuildArgNames(model: DockerfileModel): string[] {
  const declared = allArgs(model).map((arg) => arg.name);
  return [...new Set(declared.filter(isSecretName))].sort(compareCodeUnits);
}

/** Those of them that are set in `env`, with their values. */
export function environmentBuildArgs(model: DockerfileModel, env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(environmentBuildArgNames(model).flatMap((name) => (env[name] === undefined ? [] : [[name, env[name]!]])));
}

/**
 * BuildKit writes every build arg in scope of a RUN into that layer's history (`docker history --no-trunc` shows
 * `|1 HF_TOKEN=... /bin/sh -c ...`): a credential-looking ARG declared in a stage with a RUN after it ships with
 * the image.
 */
export function secretArgWarnings(model: DockerfileModel): string[] {
  return model.stages.flatMap((stage) =>
    stage.args
      .filter((arg) => isSecretName(arg.name))
      .flatMap((arg) => {
        const run = stage.runs.find((candidate) => candidate.line > arg.line);
        if (!run) return [];
        return [
          `${model.file}:${arg.line}: ARG ${arg.name} is in scope of the RUN at line ${run.line}, and BuildKit writes ` +
            `every build arg in scope into the image history: use a secret mount instead ` +
            `(RUN --mount=type=secret,id=${arg.name.toLowerCase()},env=${arg.name} ..., with --secret id=${arg.name.toLowerCase()},env=${arg.name} in the secrets option)`,
        ];
      }),
  );
}

/** Values no credential has, which masking would only garble the output with (`ENABLE_AUTH=false`). */
const NOT_A_CREDENTIAL = /^(.{0,3}|true|false|yes|no|on|off)$/i;

/**
 * The values a build's output must not show: those of the credential-looking build args passed from the
 * environment, and of the `--secret`s read from environment variables (a RUN may print either). Secrets read
 * from files are not read here.
 */
export function secretValues(environmentBuildArgs: readonly string[], secrets: readonly string[], env: NodeJS.ProcessEnv): string[] {
  const variables = [...environmentBuildArgs, ...secrets.map((secret) => secretVariable(secretSource(secret)))];
  const values = variables.flatMap((name) => (name && env[name] !== undefined ? [env[name]!] : []));
  return [...new Set(values.filter((value) => !NOT_A_CREDENTIAL.test(value)))];
}
