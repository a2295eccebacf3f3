// The docs name files, headings, generators and executors: check that each still exists.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const REPO_ROOT = join(__dirname, '..', '..');
const PACKAGE_DIR = join(REPO_ROOT, 'packages', 'nx-uv-cuda');
/** Written by the benchmarks, not by hand: a link to it may come before the file. */
const GENERATED_DOCS = new Set(['docs/benchmarks.md']);

const docs = [
  join(REPO_ROOT, 'README.md'),
  ...readdirSync(join(REPO_ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => join(REPO_ROOT, 'docs', name)),
].filter((file) => !GENERATED_DOCS.has(relative(REPO_ROOT, file)));

/** GitHub's anchor for a heading: lowercase, punctuation dropped, spaces to dashes. */
export function headingAnchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchorsOf(markdown: string): Set<string> {
  const withoutCode = markdown.replace(/```[\s\S]*?```/g, '');
  return new Set([...withoutCode.matchAll(/^#{1,6}\s+(.+)$/gm)].map((match) => headingAnchor(match[1])));
}

describe.each(docs.map((file) => [relative(REPO_ROOT, file), file]))('%s', (_, file) => {
  const markdown = readFileSync(file, 'utf8');

  it('links only to files and headings that exist', () => {
    const links = [...markdown.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1]).filter((link) => !/^[a-z]+:/.test(link));
    const broken = links.filter((link) => {
      const [path, anchor] = link.split('#');
      const target = path === '' ? file : join(dirname(file), path);
      if (GENERATED_DOCS.has(relative(REPO_ROOT, target))) return false;
      if (!existsSync(target)) return true;
      return anchor !== undefined && target.endsWith('.md') && !anchorsOf(readFileSync(target, 'utf8')).has(anchor);
    });
    expect(broken).toEqual([]);
  });

  it('names only generators and executors the package has', () => {
    const generators = Object.keys(JSON.parse(readFileSync(join(PACKAGE_DIR, 'generators.json'), 'utf8')).generators);
    const executors = Object.keys(JSON.parse(readFileSync(join(PACKAGE_DIR, 'executors.json'), 'utf8')).executors);
    const named = [...markdown.matchAll(/\bnx-uv-cuda:([a-z][a-z-]*)/g)].map((match) => match[1]);
    expect(named.filter((name) => !generators.includes(name) && !executors.includes(name))).toEqual([]);
  });
});

describe('the README tour', () => {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const tour = /<!-- tour:start -->([\s\S]*?)<!-- tour:end -->/.exec(readme)?.[1] ?? '';

  it('sits right after the "Two commands" section', () => {
    const headings = [...readme.matchAll(/^## (.+)$/gm)].map((match) => match[1]);
    expect(headings[headings.indexOf('Two commands') + 1]).toBe('A five-minute tour');
    expect(readme.indexOf('<!-- tour:start -->')).toBeLessThan(readme.indexOf('## A five-minute tour'));
  });

  it.each([
    'nx add nx-uv-cuda',
    'nx g nx-uv-cuda:service',
    'nx show project',
    'nx run ml-service:image-prod',
    'nx affected -t image',
  ])('runs `%s`', (command) => {
    expect(tour).toContain(command);
  });

  it('has the anchors it is checked by', () => {
    expect(headingAnchor('The stage graph')).toBe('the-stage-graph');
    expect(headingAnchor('A remote builder on a GPU machine')).toBe('a-remote-builder-on-a-gpu-machine');
    expect(headingAnchor('`[tool.nx-uv-cuda]` in a pyproject.toml')).toBe('toolnx-uv-cuda-in-a-pyprojecttoml');
  });
});
