// Dependency rules of packages/nx-uv-cuda/src, checked by `nx run nx-uv-cuda:depcheck` (part of `npm test`).
//
// Folder layering, bottom up (a folder may import its own folder and the folders below it, nothing above):
//
//   core < config < { process, python, docker } < model < keys < { inference, executors, generators } < plugin.ts, index.ts
//
// Folders of one layer may not import each other, except docker -> process. Nothing imports plugin.ts or index.ts
// but index.ts. Specs (*.spec.ts) and __fixtures__ are exempt from the layering and from the dependency rule (they
// may import devDependencies and any layer), not from the cycle rule.

const SRC = '^packages/nx-uv-cuda/src/';
const TEST_FILES = [String.raw`\.spec\.ts$`, '/__fixtures__/'];

/** The layers, bottom first. */
const LAYERS = [['core'], ['config'], ['process', 'python', 'docker'], ['model'], ['keys'], ['inference', 'executors', 'generators']];
/** Imports allowed between folders of the same layer: from -> to. */
const SAME_LAYER_ALLOWED = { docker: ['process'] };
const TOP_LEVEL = String.raw`(plugin|index)\.ts$`;
const FOLDERS = LAYERS.flat();

const folderPath = (folders) => `${SRC}(${folders.join('|')})/`;

const layerRules = LAYERS.flatMap((layer, index) => {
  const above = LAYERS.slice(index + 1).flat();
  return layer.map((folder) => {
    const siblings = layer.filter((other) => other !== folder && !(SAME_LAYER_ALLOWED[folder] ?? []).includes(other));
    const forbiddenFolders = [...siblings, ...above];
    const allowed = (SAME_LAYER_ALLOWED[folder] ?? []).map((other) => ` (${other}/ is allowed)`).join('');
    const list = (folders) => folders.map((name) => `${name}/`).join(', ');
    return {
      name: `layer-${folder}`,
      severity: 'error',
      comment:
        `src/${folder}/ may import only its own folder and the layers below it` +
        (siblings.length > 0 ? `; not its neighbours ${list(siblings)}${allowed}` : '') +
        (above.length > 0 ? `; not the layers above: ${list(above)}` : '') +
        '; never plugin.ts or index.ts.',
      from: { path: `${SRC}${folder}/`, pathNot: TEST_FILES },
      to: {
        path: forbiddenFolders.length > 0 ? [folderPath(forbiddenFolders), `${SRC}${TOP_LEVEL}`] : `${SRC}${TOP_LEVEL}`,
      },
    };
  });
});

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycles between files (specs and fixtures included; type-only imports count too).',
      from: {},
      to: { circular: true },
    },
    ...layerRules,
    {
      name: 'no-import-of-entry-points',
      severity: 'error',
      comment: 'src/plugin.ts and src/index.ts are the entry points: only index.ts may import them (it re-exports plugin.ts).',
      from: { path: SRC, pathNot: [`${SRC}index\\.ts$`, ...TEST_FILES] },
      to: { path: `${SRC}${TOP_LEVEL}` },
    },
    {
      name: 'no-unlayered-code',
      severity: 'error',
      comment:
        `Every source file lives in one of the layer folders (${FOLDERS.join(', ')}) or is src/plugin.ts or src/index.ts; ` +
        'a new folder needs a place in the layering in .dependency-cruiser.cjs first.',
      from: { path: SRC, pathNot: [`${folderPath(FOLDERS)}`, `${SRC}${TOP_LEVEL}`, ...TEST_FILES] },
      to: {},
    },
    {
      name: 'no-unlayered-code-imported',
      severity: 'error',
      comment: 'See no-unlayered-code: a file outside the layer folders is imported.',
      from: { path: SRC, pathNot: TEST_FILES },
      to: { path: SRC, pathNot: [`${folderPath(FOLDERS)}`, `${SRC}${TOP_LEVEL}`] },
    },
    {
      name: 'no-test-code-in-published-code',
      severity: 'error',
      comment: 'Specs and __fixtures__ are left out of the build (tsconfig.json): published code may not import them.',
      from: { path: SRC, pathNot: TEST_FILES },
      to: { path: TEST_FILES },
    },
    {
      name: 'no-dev-dependencies',
      severity: 'error',
      comment:
        'Published code may import only node builtins and the dependencies / peerDependencies of ' +
        'packages/nx-uv-cuda/package.json; devDependencies (the root ones too) and undeclared packages are for specs.',
      from: { path: SRC, pathNot: TEST_FILES },
      to: { dependencyTypes: ['npm-dev', 'npm-no-pkg', 'npm-unknown', 'npm-optional', 'npm-bundled'] },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import that does not resolve would hide its target from every rule above.',
      from: { path: SRC },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // Generator templates (files/**) are data, not code.
    exclude: { path: `${SRC}generators/[^/]+/files/` },
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: require('node:path').join(__dirname, 'packages', 'nx-uv-cuda', 'tsconfig.json') },
    // The closest package.json (packages/nx-uv-cuda/package.json) decides what a package is: its dependencies are
    // 'npm', its peerDependencies 'npm-peer', anything else in node_modules 'npm-no-pkg'.
    combinedDependencies: false,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['main', 'types', 'typings'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
