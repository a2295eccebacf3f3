import type { BuildersOption, Placement } from '../config/shared-schemas';

export type BuildKind = 'wheel' | 'image';

/** Where each kind of build of one backend runs; unset: the default builder of the default engine. */
export type BackendPlacements = Partial<Record<BuildKind, Placement>>;

/**
 * The placement of each kind of build, per backend. The most specific setting wins whole (a builder named for
 * cu128 does not inherit the engine set for every backend): the project's `[tool.nx-uv-cuda]` for the backend,
 * then for every backend, then nx.json's for the backend, then for every backend.
 */
export function resolvePlacements(
  backends: string[],
  project: BuildersOption | undefined,
  workspace: BuildersOption | undefined,
): Record<string, BackendPlacements> {
  const pick = (backend: string, kind: BuildKind) =>
    project?.backends?.[backend]?.[kind] ?? project?.[kind] ?? workspace?.backends?.[backend]?.[kind] ?? workspace?.[kind];
  return Object.fromEntries(
    backends.map((backend) => {
      const placements: BackendPlacements = {};
      for (const kind of ['wheel', 'image'] as const) {
        const placement = pick(backend, kind);
        if (placement) placements[kind] = placement;
      }
      return [backend, placements];
    }),
  );
}

/** The target options of a placement: `builder` and `engine` as the wheel and image executors take them. */
export function placementOptions(placement: Placement | undefined): { builder?: string; engine?: { context?: string; host?: string } } {
  if (!placement) return {};
  const engine = placement.context ? { context: placement.context } : placement.host ? { host: placement.host } : undefined;
  return { ...(placement.builder && { builder: placement.builder }), ...(engine && { engine }) };
}
