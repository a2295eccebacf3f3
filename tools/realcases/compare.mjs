// Inferred image targets against what the repository's own docs and CI build (expected/<repo>.json).
import { posix } from 'node:path';
import { argDefault, finalStageName, resolveStage, unfilledArgs } from './dockerfile.mjs';

const normalize = (path) => (path ? posix.normalize(path.replace(/^\.\//, '')) : path);

/**
 * A value the docs give only as a description (`<tested commit sha>`, `full or incremental`): any value the
 * user passes at build time will do, so it is not compared.
 */
export const isPlaceholder = (value) => /<[^>]+>/.test(value) || /\s+or\s+/.test(value);

/**
 * This tool's own reading of each image target's Dockerfile: whether its stage exists and which ARGs stay empty.
 * It is the verdict for targets the plugin did not explain (no metadata["nx-uv-cuda"]); for the others it is a
 * cross-check, kept in `disagreement` when it differs. `models`: Dockerfile path → model.
 */
export function checkImages(images, models) {
  for (const image of images) {
    const model = models.get(normalize(image.dockerfile));
    const index = model ? resolveStage(model, image.stage) : undefined;
    const own = {
      stageExists: index !== undefined,
      unfilledArgs: index === undefined ? [] : unfilledArgs(model, index, new Set(image.buildArgs.map((arg) => arg.name))),
    };
    if (image.checkedBy !== 'plugin') {
      Object.assign(image, own, { checkedBy: 'tool' }, model ? {} : { problem: `no Dockerfile ${image.dockerfile}` });
    } else if (own.stageExists !== image.stageExists || own.unfilledArgs.join() !== [...image.unfilledArgs].sort().join()) {
      image.disagreement =
        `the plugin says stage ${image.stageExists ? 'exists' : 'missing'}, unfilled [${image.unfilledArgs.join(', ')}]; ` +
        `this tool's reading of ${image.dockerfile}: stage ${own.stageExists ? 'exists' : 'missing'}, unfilled [${own.unfilledArgs.join(', ')}]`;
    }
  }
  return images;
}

export const isBuildable = (image) => image.stageExists === true && image.unfilledArgs.length === 0;

/**
 * Each expected image against the inferred ones, one inferred target per expected image: same Dockerfile, same
 * stage (null: the final stage), and every build arg the docs pass either passed with the same value or left at
 * a Dockerfile default equal to it.
 * @returns {{ matched: number, total: number, results: Array<{ expected: object, stage: string, target?: string, problems: string[] }> }}
 */
export function compareImages(expected, images, models) {
  const used = new Set();
  const results = [];
  for (const want of expected.images ?? []) {
    const dockerfile = normalize(want.dockerfile);
    const model = models.get(dockerfile);
    const stage = want.stage ?? (model ? `${finalStageName(model)} (final)` : '(final)');
    const wantIndex = model ? resolveStage(model, want.stage) : undefined;
    const sameStage = (image) =>
      model && wantIndex !== undefined ? resolveStage(model, image.stage) === wantIndex : image.stage === want.stage;
    const candidates = images.filter((image) => normalize(image.dockerfile) === dockerfile && sameStage(image));
    const scored = candidates
      .map((image) => ({ image, problems: argProblems(want.buildArgs ?? {}, image, model, wantIndex) }))
      .sort((a, b) => Number(used.has(key(a.image))) - Number(used.has(key(b.image))) || a.problems.length - b.problems.length);
    const best = scored.find((entry) => entry.problems.length === 0 && !used.has(key(entry.image)));
    if (best) {
      used.add(key(best.image));
      results.push({ expected: want, stage, target: key(best.image), problems: [] });
    } else if (scored.length > 0) {
      const near = scored[0];
      const taken = near.problems.length === 0 ? [`${key(near.image)} already matched another expected image`] : [];
      results.push({ expected: want, stage, target: key(near.image), problems: [...taken, ...near.problems] });
    } else {
      const built = [...new Set(images.filter((image) => normalize(image.dockerfile) === dockerfile).map((image) => image.stage ?? '(final)'))];
      const problems = [
        !model ? `${dockerfile} is not among the workspace's Dockerfiles` : undefined,
        built.length > 0 ? `image targets of ${dockerfile} build stage ${built.join(', ')}` : `no image target builds ${dockerfile}`,
      ].filter(Boolean);
      results.push({ expected: want, stage, problems });
    }
  }
  return { matched: results.filter((result) => result.problems.length === 0).length, total: results.length, results };
}

const key = (image) => `${image.project}:${image.target}`;

function argProblems(wanted, image, model, stageIndex) {
  const problems = [];
  for (const [name, value] of Object.entries(wanted)) {
    if (isPlaceholder(String(value))) continue;
    const passed = image.buildArgs.find((arg) => arg.name === name);
    if (passed) {
      if (passed.value !== String(value)) problems.push(`${name}: expected ${value}, inferred ${passed.value} (${passed.rule})`);
      continue;
    }
    const fallback = model && stageIndex !== undefined ? argDefault(model, stageIndex, name) : undefined;
    if (fallback !== String(value)) problems.push(`${name}: expected ${value}, not passed (Dockerfile default: ${fallback ?? 'none'})`);
  }
  return problems;
}

/** Build args of an expected image whose values the docs only describe (reported, not compared). */
export const placeholderArgs = (want) => Object.entries(want.buildArgs ?? {}).filter(([, value]) => isPlaceholder(String(value)));
