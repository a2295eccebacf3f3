import { z } from 'zod';

/** `[ip:]hostPort:containerPort[/tcp|udp|sctp]`: `8000:8000`, `127.0.0.1:18765:8000`, `[::1]:8080:80/tcp`. */
export const PORT_PATTERN =
  /^(?:(?<ip>\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-fA-F:.]+\]):)?(?<host>\d{1,5}):(?<container>\d{1,5})(?:\/(?<protocol>tcp|udp|sctp))?$/;

/** `source:target[:ro|rw]`: the source a path relative to the workspace root (or absolute), the target absolute. */
export const MOUNT_PATTERN = /^(?<source>.*):(?<target>\/[^:]*)(?::(?<mode>ro|rw))?$/;

const portSchema = z.string().superRefine((value, context) => {
  const match = PORT_PATTERN.exec(value);
  const inRange = (port: string | undefined) => port !== undefined && Number(port) >= 1 && Number(port) <= 65535;
  if (!match || !inRange(match.groups?.host) || !inRange(match.groups?.container)) {
    context.addIssue({
      code: 'custom',
      message: `expected [ip:]hostPort:containerPort[/tcp|udp|sctp] with ports 1-65535, like 8000:8000 or 127.0.0.1:18765:8000, not "${value}"`,
    });
  }
});

const mountSchema = z
  .string()
  .regex(MOUNT_PATTERN, 'expected source:/absolute/target[:ro|rw], the source relative to the workspace root, like services/speech:/workspace');

export const runExecutorSchema = z
  .object({
    /** The image target's metadata file (workspace-relative); its image reference is run. */
    imageMetadata: z.string().min(1),
    /** Run this image instead of the one in the metadata file. */
    image: z.string().min(1).optional(),
    /** `dev`: sources mounted, interactive; `prod`: the image as a service. */
    mode: z.enum(['dev', 'prod']).default('prod'),
    /** The command and its arguments; unset: the image's own CMD. */
    command: z.array(z.string()).min(1).optional(),
    /** Bind mounts; unset: dev mounts the project root at /workspace read-write, prod mounts nothing. */
    mounts: z.array(mountSchema).optional(),
    /** `-w`; unset: dev uses the first mount's target (/workspace), prod the image's WORKDIR. */
    workdir: z.string().regex(/^\//, 'expected an absolute path in the container').optional(),
    /** Published ports, `[ip:]hostPort:containerPort[/protocol]`. */
    ports: z.array(portSchema).default([]),
    /** Environment variables: passed to docker by name, their values through its environment. */
    env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name'), z.string()).default({}),
    /** `auto`: the GPU access the engine and host offer (nvidia runtime, CDI, device nodes), else CPU only. */
    gpus: z.enum(['auto', 'all', 'none']).default('auto'),
    network: z.string().min(1).default('bridge'),
    /** Keep stdin open (`-i`, and `-t` when stdin is a terminal); unset: true for dev, false for prod. */
    interactive: z.boolean().optional(),
    /** The container's name; unset: `<project>-<backend>` for prod, `<project>-<backend>-dev-<pid>` for dev. */
    name: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, 'expected a container name: letters, digits, _ . -').optional(),
    rm: z.boolean().default(true),
    /** Stop the container after this long; unset: never (servers). */
    timeoutSeconds: z.number().int().positive().optional(),
    /** More `docker run` arguments, placed just before the image. */
    extraArgs: z.array(z.string()).default([]),
  })
  .strict()
  .superRefine((options, context) => {
    if (options.network === 'none' && options.ports.length > 0) {
      context.addIssue({ code: 'custom', path: ['ports'], message: 'ports cannot be published on network "none": set network (default bridge)' });
    }
  });

export type RunExecutorOptions = z.input<typeof runExecutorSchema>;
export type RunOptions = z.output<typeof runExecutorSchema>;
