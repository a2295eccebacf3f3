/**
 * Which engine the docker CLI talks to: a docker context, a `DOCKER_HOST`, or neither (the CLI's own choice:
 * `DOCKER_HOST`, `DOCKER_CONTEXT` or the current context). The engine holds what a build loads and runs containers.
 */
export interface EngineEndpoint {
  context?: string;
  host?: string;
}

/** The environment that points docker (and buildx, its plugin) at the endpoint; undefined keeps the caller's. */
export function engineEnv(endpoint: EngineEndpoint | undefined): NodeJS.ProcessEnv | undefined {
  // DOCKER_HOST outranks DOCKER_CONTEXT in the CLI: each setting unsets the other, so the caller's cannot win.
  if (endpoint?.context) return { DOCKER_CONTEXT: endpoint.context, DOCKER_HOST: undefined };
  if (endpoint?.host) return { DOCKER_HOST: endpoint.host, DOCKER_CONTEXT: undefined };
  return undefined;
}

/** For messages: `docker context "gpu-box"`, `the engine at tcp://127.0.0.1:2376`, `the default engine`. */
export function describeEngine(endpoint: EngineEndpoint | undefined): string {
  if (endpoint?.context) return `docker context "${endpoint.context}"`;
  if (endpoint?.host) return `the engine at ${endpoint.host}`;
  return 'the default engine';
}

/**
 * Whether the engine runs on this host, so that this host's GPU device nodes are the engine's. A context may
 * point anywhere: it counts as remote.
 */
export function isLocalEngine(endpoint: EngineEndpoint | undefined, env: NodeJS.ProcessEnv): boolean {
  if (endpoint?.context) return false;
  const host = endpoint?.host ?? env.DOCKER_HOST;
  return host === undefined || host === '' || host.startsWith('unix://') || host.startsWith('npipe://');
}

/** How a user types docker for this engine in a shell: `docker --context gpu-box`, `DOCKER_HOST=... docker`, `docker`. */
export function dockerCommand(endpoint: EngineEndpoint | undefined): string {
  if (endpoint?.context) return `docker --context ${endpoint.context}`;
  if (endpoint?.host) return `DOCKER_HOST=${endpoint.host} docker`;
  return 'docker';
}
