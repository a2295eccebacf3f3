import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../tools/example-workspace.mjs';

/**
 * What `npm publish` would ship (the built package: e2e runs after the build): only the runtime files, every
 * entry point it names, no test or fixture file, and within the size budget that docs/benchmarks.md records.
 */
const PACKAGE_DIR = join(REPO_ROOT, 'packages', 'nx-uv-cuda');
/** Packed bytes; docs/benchmarks.md ("The package") says what it is now and why the budget is this. */
const PACKED_BUDGET_BYTES = 300_000;

interface PackedFile {
  path: string;
  size: number;
}

const packed = () => {
  const json = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: PACKAGE_DIR, encoding: 'utf8', timeout: 120_000 });
  const [entry] = JSON.parse(json) as Array<{ size: number; unpackedSize: number; entryCount: number; files: PackedFile[] }>;
  return entry;
};

describe('the published package', () => {
  const tarball = packed();
  const paths = new Set(tarball.files.map((file) => file.path));
  const manifest = JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8'));

  it('holds the runtime files only: dist/, the manifests and the README', () => {
    const outside = [...paths].filter((path) => !path.startsWith('dist/'));
    expect(outside.sort()).toEqual(['README.md', 'executors.json', 'generators.json', 'package.json']);
    expect([...paths].filter((path) => /\.spec\.|\.fuzz\.|__fixtures__|\/fixtures\/|\.tsbuildinfo$/.test(path))).toEqual([]);
  });

  it('ships every file that package.json, executors.json and generators.json point to', () => {
    const shipped = (relative: string, extensions: string[]) =>
      extensions.some((extension) => paths.has(`${relative.replace(/^\.\//, '')}${extension}`));
    const exportTargets = Object.values(manifest.exports as Record<string, string | Record<string, string>>).flatMap((target) =>
      typeof target === 'string' ? [target] : Object.values(target),
    );
    for (const target of [manifest.main, manifest.types, ...exportTargets]) expect(shipped(target, ['']), target).toBe(true);
    const executors = JSON.parse(readFileSync(join(PACKAGE_DIR, 'executors.json'), 'utf8')).executors;
    const generators = JSON.parse(readFileSync(join(PACKAGE_DIR, 'generators.json'), 'utf8')).generators;
    for (const [name, executor] of Object.entries<{ implementation: string; schema: string }>(executors)) {
      expect(shipped(executor.implementation, ['.js']), `executor ${name}`).toBe(true);
      expect(shipped(executor.schema, ['']), `executor ${name} schema`).toBe(true);
    }
    for (const [name, generator] of Object.entries<{ factory: string; schema: string }>(generators)) {
      expect(shipped(generator.factory, ['.js']), `generator ${name}`).toBe(true);
      expect(shipped(generator.schema, ['']), `generator ${name} schema`).toBe(true);
    }
  });

  it(`stays under ${PACKED_BUDGET_BYTES} bytes packed`, () => {
    expect(tarball.size).toBeLessThan(PACKED_BUDGET_BYTES);
  });
});
