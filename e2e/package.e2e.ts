import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git, nxBin, REPO_ROOT } from '../tools/example-workspace.mjs';
import { plain } from './support/output';

/**
 * What `npm publish` would ship (the built package: e2e runs after the build): only the runtime files, every
 * entry point it names, no test or fixture file, and within the size budget that docs/benchmarks.md records.
 * Then the release itself (docs/releasing.md): `npm publish --dry-run` on the packed tarball, and `nx release
 * --dry-run` with the nx.json `release` configuration, in this repository and in a clone with conventional commits.
 */
const PACKAGE_DIR = join(REPO_ROOT, 'packages', 'nx-uv-cuda');
/** Packed bytes; docs/benchmarks.md ("The package") says what it is now and why the budget is this. */
const PACKED_BUDGET_BYTES = 300_000;
const NOT_RUNTIME = /\.spec\.|\.fuzz\.|__fixtures__|\/fixtures\/|\.tsbuildinfo$/;

interface PackedFile {
  path: string;
  size: number;
}

interface PackedEntry {
  name: string;
  version: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  shasum: string;
  filename: string;
  files: PackedFile[];
}

const packed = (packageDir = PACKAGE_DIR) => {
  const json = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: packageDir, encoding: 'utf8', timeout: 120_000 });
  const [entry] = JSON.parse(json) as PackedEntry[];
  return entry;
};

const exportTargetsOf = (manifest: { exports: Record<string, string | Record<string, string>> }) =>
  Object.values(manifest.exports).flatMap((target) => (typeof target === 'string' ? [target] : Object.values(target)));

const temporaryFolders: string[] = [];
const temporaryFolder = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temporaryFolders.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of temporaryFolders.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('the published package', () => {
  let tarball: PackedEntry;
  let paths: Set<string>;
  const manifest = JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8'));
  beforeAll(() => {
    tarball = packed();
    paths = new Set(tarball.files.map((file) => file.path));
  });

  it('holds the runtime files only: dist/, the manifests and the README', () => {
    const outside = [...paths].filter((path) => !path.startsWith('dist/'));
    expect(outside.sort()).toEqual(['README.md', 'executors.json', 'generators.json', 'package.json']);
    expect([...paths].filter((path) => NOT_RUNTIME.test(path))).toEqual([]);
  });

  it('ships every file that package.json, executors.json and generators.json point to', () => {
    const shipped = (relative: string, extensions: string[]) =>
      extensions.some((extension) => paths.has(`${relative.replace(/^\.\//, '')}${extension}`));
    for (const target of [manifest.main, manifest.types, ...exportTargetsOf(manifest)]) expect(shipped(target, ['']), target).toBe(true);
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

  it('passes `npm publish --dry-run` as the packed tarball: the same files, its exports shipped, public with provenance', () => {
    const dir = temporaryFolder('nx-uv-cuda-publish-');
    const [packedEntry] = JSON.parse(
      execFileSync('npm', ['pack', '--pack-destination', dir, '--json', '--ignore-scripts'], { cwd: PACKAGE_DIR, encoding: 'utf8', timeout: 120_000 }),
    ) as PackedEntry[];
    const tgz = join(dir, packedEntry.filename);
    // Offline: the dry run still asks the registry for the package's versions; nothing here may need the network.
    const publish = spawnSync('npm', ['publish', tgz, '--dry-run', '--json'], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, NPM_CONFIG_OFFLINE: 'true' },
    });
    expect(publish.status, publish.stderr).toBe(0);
    const published = (JSON.parse(publish.stdout) as Record<string, PackedEntry>)[manifest.name];
    expect(published, publish.stdout).toBeDefined();
    // The tarball that would be uploaded is the file on disk, and holds what `npm pack --dry-run` listed above.
    expect(published.shasum).toBe(createHash('sha1').update(readFileSync(tgz)).digest('hex'));
    expect(published.size).toBe(statSync(tgz).size);
    const publishedPaths = published.files.map((file) => file.path);
    expect(publishedPaths.slice().sort()).toEqual([...paths].sort());
    expect(published.entryCount).toBe(publishedPaths.length);
    expect(publishedPaths.filter((path) => NOT_RUNTIME.test(path))).toEqual([]);
    expect(published.size).toBeLessThan(PACKED_BUDGET_BYTES);
    // npm reads publishConfig from the manifest in the tarball.
    expect(publish.stderr).toMatch(/Publishing to \S+ with tag latest and public access \(dry-run\)/);

    const inner = JSON.parse(execFileSync('tar', ['-xzOf', tgz, 'package/package.json'], { encoding: 'utf8', timeout: 30_000 }));
    expect([inner.name, inner.version]).toEqual([manifest.name, manifest.version]);
    expect([published.name, published.version]).toEqual([manifest.name, manifest.version]);
    expect(inner.exports).toEqual(manifest.exports);
    const exportTargets = exportTargetsOf(inner);
    expect(exportTargets.length).toBeGreaterThan(0);
    for (const target of [inner.main, inner.types, ...exportTargets]) expect(publishedPaths, target).toContain(target.replace(/^\.\//, ''));
    expect(inner.publishConfig).toEqual({ access: 'public', provenance: true });
    const localSpecs = Object.entries<string>({ ...inner.dependencies, ...inner.peerDependencies }).filter(([, spec]) => /^(workspace|file|link):/.test(spec));
    expect(localSpecs).toEqual([]);
  });
});

/** The environment of the nested `nx release`: none of the outer nx task's NX_ variables (e2e runs under nx). */
function releaseEnv(extra: Record<string, string> = {}): Record<string, string> {
  const inherited = Object.entries(process.env).filter(
    (entry): entry is [string, string] =>
      entry[1] !== undefined && (!entry[0].startsWith('NX_') || ['NX_CACHE_DIRECTORY', 'NX_WORKSPACE_DATA_DIRECTORY'].includes(entry[0])),
  );
  return { ...Object.fromEntries(inherited), NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', NPM_CONFIG_OFFLINE: 'true', ...extra };
}

async function nxRelease(root: string, args: string[], env: Record<string, string> = {}) {
  const result = await execa(process.execPath, [nxBin(root), 'release', ...args], {
    cwd: root,
    reject: false,
    all: true,
    timeout: 240_000,
    stdin: 'ignore',
    extendEnv: false,
    env: releaseEnv(env),
  });
  return { exitCode: result.exitCode ?? 1, output: plain(String(result.all ?? '')) };
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const matchesOf = (output: string, pattern: RegExp) => [...output.matchAll(pattern)].map((match) => match[1]);
const semver = (version: string) => {
  const match = /^(\d+)\.(\d+)\.(\d+)$/.exec(version);
  if (!match) throw new Error(`not a plain x.y.z version: ${version}`);
  return match.slice(1).map(Number) as [number, number, number];
};
const firstHeading = (changelog: string) => /^## \S+ \(\d{4}-\d{2}-\d{2}\)$/m.exec(changelog)?.[0];

/**
 * What every dry run of the release says for this one package: a version for nx-uv-cuda and no other project,
 * the manifest and lock file it would update, a CHANGELOG.md entry above the newest one, the commit and the
 * `nx-uv-cuda@<version>` tag it would make, `npm publish --dry-run` of the package through the publish target.
 */
function expectReleaseDryRun(output: string, { version, changelog, tarball }: { version: string; changelog: string; tarball: PackedEntry }) {
  expect(matchesOf(output, /Running release version for project: (\S+)/g)).toEqual(['nx-uv-cuda']);
  expect(output).toContain(`to get new version ${version}`);
  expect(output).toContain('UPDATE packages/nx-uv-cuda/package.json [dry-run]');
  expect(output).toContain(`+   "version": "${version}",`);
  expect(output).toContain('Would update package-lock.json with the following command, but --dry-run was set:\nnpm install --package-lock-only');

  expect(output).toContain(`Previewing an entry in packages/nx-uv-cuda/CHANGELOG.md for nx-uv-cuda@${version}`);
  expect(output).toContain('UPDATE packages/nx-uv-cuda/CHANGELOG.md [dry-run]');
  const entry = new RegExp(`^\\+ ## ${escapeRegExp(version)} \\(\\d{4}-\\d{2}-\\d{2}\\)$`, 'm').exec(output);
  expect(entry, 'the new CHANGELOG.md heading').not.toBeNull();
  const newest = firstHeading(changelog);
  expect(newest, 'the newest entry of CHANGELOG.md').toBeDefined();
  // Shown as unchanged context after the new entry: prepended, nothing above it.
  expect(output.indexOf(`  ${newest}`, entry!.index)).toBeGreaterThan(entry!.index);

  expect(output).toContain(`git commit --message chore(release): publish --message - project: nx-uv-cuda ${version}`);
  expect(matchesOf(output, /git tag --annotate (\S+)/g)).toEqual([`nx-uv-cuda@${version}`]);
  // nx.json's release.git pushes nothing: the commit and the tag stay local until a person pushes them.
  expect(output).not.toContain('git push');

  expect(output).toMatch(/Running target nx-release-publish for project nx-uv-cuda:\n+- nx-uv-cuda\n/);
  expect(output).toContain('--dryRun=true');
  expect(output).toContain('Successfully ran target nx-release-publish for project nx-uv-cuda');
  expect(output).toContain('NOTE: The "dryRun" flag means no changes were made.');
  // `npm publish --dry-run` as @nx/js:release-publish prints it: the tarball's files, sorted, then its details.
  // nx 24.0.6's task process exits without draining its output (cf. nrwl/nx#21498): the end of this listing,
  // the details and the "Would publish" line are often cut off. What did arrive must be right.
  const start = output.indexOf('📦  nx-uv-cuda@X.X.X-dry-run\n=== Tarball Contents ===');
  expect(start, 'the npm publish --dry-run listing').toBeGreaterThanOrEqual(0);
  const lines = output
    .slice(start, output.indexOf('Successfully ran target nx-release-publish', start))
    .replace(/\s*NX\s*$/, '')
    .split('\n')
    .map((line) => line.trimEnd());
  const summary = /^Would publish to https:\/\/\S+ with tag "latest", but \[dry-run\] was set$/;
  // Its last line may be cut short, unless it is the summary, the last line npm's dry run has.
  const trusted = summary.test(lines.at(-1)!) ? lines : lines.slice(0, -1);
  const contents = trusted.slice(0, trusted.includes('=== Tarball Details ===') ? trusted.indexOf('=== Tarball Details ===') : undefined);
  const listed = contents.flatMap((line) => /^[\d.]+[kMG]?B +(\S+)$/.exec(line)?.[1] ?? []);
  expect(listed.length).toBeGreaterThan(0);
  expect(listed).toEqual(tarball.files.map((file) => file.path).sort().slice(0, listed.length));
  const total = trusted.flatMap((line) => /^total files: +(\d+)$/.exec(line)?.[1] ?? []);
  expect(total.length <= 1 && total.every((count) => Number(count) === tarball.entryCount), total.join()).toBe(true);
  for (const line of trusted.filter((line) => line.startsWith('Would publish'))) expect(line).toMatch(summary);
}

describe('nx release --dry-run', () => {
  const CHANGED_BY_A_RELEASE = ['packages/nx-uv-cuda/package.json', 'packages/nx-uv-cuda/CHANGELOG.md', 'package-lock.json', 'package.json'];
  const hash = (root: string, path: string) => createHash('sha256').update(readFileSync(join(root, path))).digest('hex');
  /** What a release would change in git: the files it writes (their contents and whether staged), the tags, HEAD. */
  const releaseState = (root: string) => ({
    files: Object.fromEntries(CHANGED_BY_A_RELEASE.map((path) => [path, hash(root, path)])),
    staged: git(root, ['diff', '--cached', '--name-only', '--', ...CHANGED_BY_A_RELEASE]),
    tags: git(root, ['tag', '--list']),
    head: git(root, ['rev-parse', 'HEAD']),
  });

  it('in this repository: a patch release of nx-uv-cuda only, changelog, tag and npm publish previewed, nothing changed', async () => {
    // The history so far is not in conventional-commit form (nx would find no bump), hence the explicit `patch`;
    // the clone below covers conventional commits. Other work may change the tree meanwhile: only what a release
    // writes is compared.
    const changelog = readFileSync(join(PACKAGE_DIR, 'CHANGELOG.md'), 'utf8');
    const before = releaseState(REPO_ROOT);
    const { exitCode, output } = await nxRelease(REPO_ROOT, ['patch', '--dry-run', '--first-release', '--yes', '--verbose']);
    const after = releaseState(REPO_ROOT);
    expect(exitCode, output).toBe(0);
    const current = /nx-uv-cuda .*(?:Falling back to the version (\S+) in manifest: packages\/nx-uv-cuda\/package\.json|Resolved the current version as (\S+) from git tag "nx-uv-cuda@)/.exec(output);
    expect(current, output).not.toBeNull();
    const [major, minor, patch] = semver(current![1] ?? current![2]);
    expectReleaseDryRun(output, { version: `${major}.${minor}.${patch + 1}`, changelog, tarball: packed() });
    expect(after).toEqual(before);
  });

  it('after a release tag, conventional commits decide the bump and the entry; only commits touching the package count', async () => {
    // A clone of HEAD with the working tree's release files, tagged as released, then one commit in the package
    // and one outside it.
    const clone = temporaryFolder('nx-uv-cuda-release-');
    const commit = (message: string) => git(clone, ['-c', 'commit.gpgSign=false', 'commit', '-q', '--allow-empty', '-am', message]);
    execFileSync('git', ['clone', '-q', '--shared', REPO_ROOT, clone], { timeout: 60_000 });
    git(clone, ['remote', 'remove', 'origin']);
    for (const path of CHANGED_BY_A_RELEASE.concat('nx.json')) copyFileSync(join(REPO_ROOT, path), join(clone, path));
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(clone, 'node_modules'), 'dir');
    appendFileSync(join(clone, '.git', 'info', 'exclude'), '\nnode_modules\n');
    git(clone, ['add', '-A']);
    commit('chore: the release configuration of the working tree');
    const released = JSON.parse(readFileSync(join(clone, 'packages', 'nx-uv-cuda', 'package.json'), 'utf8')).version as string;
    git(clone, ['-c', 'tag.gpgSign=false', 'tag', '-a', `nx-uv-cuda@${released}`, '-m', `nx-uv-cuda@${released}`]);
    appendFileSync(join(clone, 'packages', 'nx-uv-cuda', 'README.md'), '\nA line for the changelog.\n');
    commit('feat(nx-uv-cuda): a feature for the changelog');
    appendFileSync(join(clone, 'docs', 'README.md'), '\nA line outside the package.\n');
    commit('fix(docs): a fix outside the package');

    const changelog = readFileSync(join(clone, 'packages', 'nx-uv-cuda', 'CHANGELOG.md'), 'utf8');
    // dist/ is git-ignored: the clone has no build until the release's preVersionCommand makes one.
    const cloneManifest = JSON.parse(readFileSync(join(clone, 'packages', 'nx-uv-cuda', 'package.json'), 'utf8'));
    expect(existsSync(join(clone, 'packages', 'nx-uv-cuda', 'dist'))).toBe(false);
    const before = { ...releaseState(clone), status: git(clone, ['status', '--porcelain']) };
    const { exitCode, output } = await nxRelease(clone, ['--dry-run', '--yes', '--verbose'], {
      NX_CACHE_DIRECTORY: join(clone, '.nx', 'cache'),
      NX_WORKSPACE_DATA_DIRECTORY: join(clone, '.nx', 'workspace-data'),
    });
    const after = { ...releaseState(clone), status: git(clone, ['status', '--porcelain']) };
    expect(exitCode, output).toBe(0);
    expect(output).toContain(`Resolved the current version as ${released} from git tag "nx-uv-cuda@${released}", based on releaseTag.pattern "nx-uv-cuda@{version}"`);
    expect(output).toContain('Resolved the specifier as "minor" using git history and the conventional commits standard');
    // Below 1.0.0 a feat is a patch bump (adjustSemverBumpsForZeroMajorVersion), from 1.0.0 a minor one.
    const [major, minor, patch] = semver(released);
    const version = major === 0 ? `0.${minor}.${patch + 1}` : `${major}.${minor + 1}.0`;
    // The clone's own build (the pre-version command): its tarball, not this repository's, holding the entry point.
    const cloneTarball = packed(join(clone, 'packages', 'nx-uv-cuda'));
    expect(cloneTarball.files.map((file) => file.path)).toContain(cloneManifest.main.replace(/^\.\//, ''));
    expectReleaseDryRun(output, { version, changelog, tarball: cloneTarball });
    expect(output).toContain('+ ### 🚀 Features');
    expect(output).toContain('+ - **nx-uv-cuda:** a feature for the changelog');
    expect(output).not.toContain('a fix outside the package');
    expect(output).not.toContain('🩹 Fixes');
    expect(after).toEqual(before);
    expect(after.status).toBe('');
  });
});
