/**
 * Errors of the engine, not of the build, that the same build run again gets past. Docker 26's containerd image
 * store races concurrent builds: a build's export moves its tag to the new image before unpacking it, and a
 * containerd GC that another build's end starts can delete a lower snapshot only the old image kept alive
 * (moby/buildkit#6521, containerd/containerd#10723). The run again finds every layer cached and only unpacks.
 */
const SNAPSHOT_RACE = [
  /failed to prepare extraction snapshot "[^"]*": parent snapshot \S+ does not exist: not found/,
  /failed to stat lower snapshot \S+: snapshot \S+ does not exist: not found/,
];

/** The race a build lost, as buildx printed it (its last lines), or undefined when it failed for another reason. */
export function snapshotRace(stderr: string): string | undefined {
  const tail = stderr.slice(-16 * 1024);
  for (const pattern of SNAPSHOT_RACE) {
    const match = pattern.exec(tail);
    if (match) return match[0];
  }
  return undefined;
}
