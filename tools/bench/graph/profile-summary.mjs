// Self and inclusive time per function of a V8 .cpuprofile (the format of Profiler.stop and --cpu-prof).

/**
 * @param {{ nodes: Array<{ id: number, callFrame: { functionName: string, url: string, lineNumber: number }, children?: number[] }>, samples: number[], timeDeltas: number[] }} profile
 * @returns {{ busyMs: number, self: Array<[string, number]>, inclusive: Array<[string, number]> }} times in ms, largest first
 */
export function summarizeProfile(profile) {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const timeAt = new Map();
  profile.samples.forEach((id, index) => timeAt.set(id, (timeAt.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0)));

  const label = (node) => {
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url.replace(/^file:\/\//, '').replace(/^.*node_modules\//, '');
    return `${functionName || '(anonymous)'} ${file}${file ? `:${lineNumber + 1}` : ''}`;
  };
  const self = new Map();
  const inclusive = new Map();
  let busy = 0;
  for (const [id, micros] of timeAt) {
    const leaf = label(nodes.get(id));
    self.set(leaf, (self.get(leaf) ?? 0) + micros);
    if (leaf.startsWith('(idle)') || leaf.startsWith('(program)')) continue;
    busy += micros;
    const seen = new Set();
    for (let current = id; current !== undefined; current = parent.get(current)) {
      const frame = label(nodes.get(current));
      if (seen.has(frame)) continue; // recursion: count a frame once per sample
      seen.add(frame);
      inclusive.set(frame, (inclusive.get(frame) ?? 0) + micros);
    }
  }
  const sorted = (map) =>
    [...map]
      .filter(([frame]) => !frame.startsWith('(idle)') && !frame.startsWith('(program)') && !frame.startsWith('(root)'))
      .map(([frame, micros]) => [frame, micros / 1000])
      .sort((a, b) => b[1] - a[1]);
  return { busyMs: busy / 1000, self: sorted(self), inclusive: sorted(inclusive) };
}
