import { z } from 'zod';
import { isSecretName } from '../core/secret-names';

/**
 * Docker build-arg names; values may be written as numbers or booleans in JSON/TOML and are passed as strings.
 * A credential-looking name takes no value here: whatever holds it (pyproject.toml, nx.json, target options) is
 * committed, printed by `nx show project` and hashed into task details, so it comes from the environment instead.
 */
export const buildArgsSchema = z
  .record(
    z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected a build-arg name like CUDA_VERSION'),
    z.union([z.string(), z.number(), z.boolean()]).transform(String),
  )
  .superRefine((buildArgs, context) => {
    for (const name of Object.keys(buildArgs).filter(isSecretName)) {
      context.addIssue({
        code: 'custom',
        path: [name],
        message:
          `looks like a credential, and a value written here reaches git, the build keys and every Nx cache: remove it ` +
          `and export ${name} where nx runs (an ARG ${name} is passed from the environment, hashed and never stored), ` +
          'or better, mount it as a secret (the secrets option and RUN --mount=type=secret)',
      });
    }
  });

/** A backend is an extra name like cu124, cpu, rocm6.2 or xpu (or any name that sets CUDA_VERSION itself). */
export const backendNameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'expected a backend name like cu124, cu128, cpu or rocm6.2');

/** `DOCKER_HOST` forms the docker CLI takes; a password in it would reach logs and metadata, so none is accepted. */
const engineHostSchema = z
  .string()
  .regex(/^(unix|tcp|ssh|npipe|fd):\/\//, 'expected a DOCKER_HOST like tcp://gpu-box:2376, ssh://builder@gpu-box or unix:///var/run/docker.sock')
  .refine((host) => !/^[a-z]+:\/\/[^/@]*:[^/@]*@/.test(host), 'a password in the engine host would reach logs: use an ssh key or docker context instead');

/** Docker context and buildx builder names: what `docker context create` and `docker buildx create` accept. */
const dockerObjectName = z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.+-]*$/, 'expected a name like gpu-box (letters, digits, _ . + -)');
const engineFields = { context: dockerObjectName.optional(), host: engineHostSchema.optional() };
const oneEngine = (engine: { context?: string; host?: string }) => !(engine.context && engine.host);
const ONE_ENGINE = 'set context or host, not both';

/** The engine a target's docker commands talk to: a docker context, or a `DOCKER_HOST`. */
export const engineEndpointSchema = z.object(engineFields).strict().refine(oneEngine, ONE_ENGINE);

/**
 * Where one kind of build runs: a buildx builder (a name from `docker buildx ls`) and the engine that holds what
 * the build loads and where smoke and run targets run: a docker context, or a `DOCKER_HOST`. A string is a builder.
 */
export const placementSchema = z.union([
  dockerObjectName.transform((builder): { builder?: string; context?: string; host?: string } => ({ builder })),
  z
    .object({ builder: dockerObjectName.optional(), ...engineFields })
    .strict()
    .refine(oneEngine, ONE_ENGINE),
]);

const placementsByKindSchema = z.object({ wheel: placementSchema.optional(), image: placementSchema.optional() }).strict();

/** `builders` in nx.json and `[tool.nx-uv-cuda]`: per kind (wheel, image), and per backend over that. */
export const buildersSchema = placementsByKindSchema
  .extend({ backends: z.record(backendNameSchema, placementsByKindSchema).optional() })
  .strict();

export type Placement = z.output<typeof placementSchema>;
export type BuildersOption = z.output<typeof buildersSchema>;

/**
 * A registry and namespace images are pushed to: `host[:port][/path]`, as in an image reference (lowercase path).
 * Credentials in it would reach errors, logs and Nx's stored terminal output: they are refused, and the message
 * never repeats them.
 */
export const registrySchema = z
  .string()
  .min(1)
  .refine((registry) => !registry.includes('@'), {
    message: 'a registry must not hold credentials (user:password@): log in with docker login <host> instead',
  })
  .refine((registry) => !/^[a-z][a-z0-9+.-]*:\/\//i.test(registry), {
    message: 'expected host[:port]/namespace without a scheme, like registry.example.com/ml or 127.0.0.1:5000/ml',
  })
  .refine((registry) => /^[a-zA-Z0-9.-]+(:[0-9]+)?(\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/.test(registry), {
    message: 'expected host[:port]/namespace with a lowercase namespace (Docker image references), like registry.example.com/ml',
  });

/**
 * A `--cache-from` / `--cache-to` spec (`type=registry,ref=...`, `type=s3,bucket=...,region=...`). Credentials in
 * it (`secret_access_key=`, `session_token=`, gha's `token=`, `user:password@` in a URL) would reach logs and
 * Nx's task details: refused, without repeating them; buildx reads them from the environment (AWS_*,
 * ACTIONS_RUNTIME_TOKEN) or docker login.
 */
export const cacheSpecSchema = z
  .string()
  .min(1)
  .superRefine((spec, context) => {
    const fields = spec.split(',').map((field) => {
      const at = field.indexOf('=');
      return at === -1 ? { key: field.trim(), value: '' } : { key: field.slice(0, at).trim(), value: field.slice(at + 1) };
    });
    const secret = fields.find((field) => isSecretName(field.key));
    if (secret) {
      context.addIssue({
        code: 'custom',
        message: `${secret.key}= holds a credential, which would reach logs and Nx's task details: leave it out, buildx reads it from the environment (AWS_*, ACTIONS_RUNTIME_TOKEN)`,
      });
    }
    if (fields.some((field) => USERINFO.test(field.value))) {
      context.addIssue({ code: 'custom', message: 'a reference or URL with user:password@ would reach logs: log in with docker login instead' });
    }
  });

/** `user:password@` opening a reference or a URL: `ref=user:pw@host/repo`, `url=https://user:pw@host/`. */
const USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)?[^/@]*:[^/@]*@/i;
