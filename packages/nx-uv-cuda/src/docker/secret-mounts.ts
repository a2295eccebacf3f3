import type { Stage } from './dockerfile-model';

/** A `RUN --mount=type=secret,...` of a stage: the secret it reads and whether the build fails without it. */
export interface SecretMount {
  id: string;
  required: boolean;
  line: number;
}

/** Where a `--secret` spec takes its value from: an env variable, a file, or (only `id=X`) the variable X, else a file X. */
export interface SecretSource {
  id: string;
  env?: string;
  file?: string;
}

const MOUNT_FLAG = /--mount=(\S+)/g;

/** The secret mounts of `stages`, line by line (a RUN's flags may continue over several lines). */
export function secretMounts(stages: readonly Stage[]): SecretMount[] {
  return stages.flatMap((stage) =>
    stage.text.split('\n').flatMap((text, offset) =>
      [...text.matchAll(MOUNT_FLAG)].flatMap(([, spec]) => {
        const fields = fieldsOf(spec);
        if (fields.get('type') !== 'secret') return [];
        const id = fields.get('id') ?? baseName(fields.get('target') ?? fields.get('dst') ?? fields.get('destination') ?? '');
        if (!id) return [];
        const required = fields.has('required') && ['', 'true'].includes(fields.get('required')!);
        return [{ id, required, line: stage.startLine + offset }];
      }),
    ),
  );
}

/** `id=canary,env=CANARY`, `id=npmrc,src=/home/me/.npmrc`, `id=API_TOKEN`, `type=env,id=X,source=Y`. */
export function secretSource(spec: string): SecretSource {
  const fields = fieldsOf(spec);
  const id = fields.get('id') ?? '';
  const source = fields.get('src') ?? fields.get('source');
  const env = fields.get('env') ?? (fields.get('type') === 'env' ? source : undefined);
  if (env !== undefined) return { id, env };
  if (source !== undefined) return { id, file: source };
  return { id };
}

/**
 * The environment variable a `--secret` reads: its `env`, none for a file, and for `id=X` alone the variable X
 * (buildx reads it when set, else the file X).
 */
export function secretVariable(source: SecretSource): string | undefined {
  return source.env ?? (source.file === undefined ? source.id : undefined);
}

/** Comma-separated `key=value` fields, quotes around a whole field dropped; a bare key gets ''. */
function fieldsOf(spec: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const field of spec.replace(/^["']|["']$/g, '').split(',')) {
    const at = field.indexOf('=');
    fields.set((at === -1 ? field : field.slice(0, at)).toLowerCase(), at === -1 ? '' : field.slice(at + 1));
  }
  return fields;
}

function baseName(path: string): string {
  return path.split('/').filter(Boolean).pop() ?? '';
}
