import { describe, expect, it } from 'vitest';
import { snapshotRace } from './transient-errors';

const RACE =
  'ERROR: failed to solve: failed to prepare extraction snapshot "extract-455012493-RKUz sha256:18b877e4": ' +
  'parent snapshot sha256:1d21e5fc3c0a543d does not exist: not found\n';

describe('snapshotRace', () => {
  it("knows the containerd image store's snapshot race, as buildx 0.13 prints it", () => {
    expect(snapshotRace(`#14 unpacking to docker.io/library/svc:prod\n${RACE}`)).toMatch(/^failed to prepare extraction snapshot/);
    expect(snapshotRace('ERROR: failed to apply diffs: failed to stat lower snapshot oqp2: snapshot oqp2 does not exist: not found')).toBeDefined();
  });

  it('never takes a failed build step for it', () => {
    expect(snapshotRace('ERROR: failed to solve: process "/bin/sh -c make" did not complete successfully: exit code: 2')).toBeUndefined();
    expect(snapshotRace('ERROR: failed to solve: nvidia/cuda:12.4.1: not found')).toBeUndefined();
    expect(snapshotRace('')).toBeUndefined();
  });
});
