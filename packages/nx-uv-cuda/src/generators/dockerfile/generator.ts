import { posix } from 'node:path';
import { logger, visitNotIgnoredFiles, type GeneratorCallback, type Tree } from '@nx/devkit';
import { PluginError } from '../../core/errors';
import { CUDA_BACKEND } from '../../model/backends';
import { normalizeName } from '../../python/names';
import { DOCKERFILE_PATH, GENERATOR_DEFAULTS } from '../shared/defaults';
import { parseGeneratorOptions } from '../shared/options';
import {
  findPythonProjects,
  lowestPython,
  pinnedVersion,
  readPythonProject,
  uvLayoutFor,
  type PythonProjectInfo,
  type UvLayout,
} from '../shared/python-project';
import { chosenDockerfiles, registeredPluginOptions } from '../shared/workspace-setup';
import { dockerfileGeneratorSchema, type DockerfileGeneratorOptions } from './schema';
import { dockerignoreFor, writeDockerfile, type DockerfileSpec } from './template';

export interface DockerfileResult {
  projectName: string;
  dockerfile: string;
  /** The ignore file written, or undefined when one existed and was kept. */
  dockerignore?: string;
  layout: UvLayout;
  notes: string[];
}

/** Adds the template Dockerfile (and its ignore file) to an existing Python project; touches nothing else. */
export function addDockerfile(tree: Tree, rawOptions: DockerfileGeneratorOptions): DockerfileResult {
  const options = parseGeneratorOptions(dockerfileGeneratorSchema, rawOptions, 'dockerfile');
  const project = findProject(tree, options.project);
  if (!project.name) {
    throw new PluginError('options', `${project.pyprojectFile} has no [project] name: it is not a project nx-uv-cuda builds`);
  }
  const dockerfile = posix.join(project.root, DOCKERFILE_PATH);
  if (tree.exists(dockerfile) && !options.overwrite) {
    throw new PluginError('options', `${dockerfile} already exists; pass --overwrite to replace it with the template`);
  }
  const layout = uvLayoutFor(tree, project.root);
  assertContextIsLockFolder(tree, project, layout);
  const notes = [...layout.notes];

  const cudaExtras = project.backendExtras.filter((extra) => CUDA_BACKEND.test(extra));
  if (options.defaultBackend && project.backendExtras.length > 0 && !project.backendExtras.includes(options.defaultBackend)) {
    throw new PluginError('options', 
      `nx-uv-cuda:dockerfile options: defaultBackend: ${options.defaultBackend} is not an extra of ${project.pyprojectFile} ` +
        `(its backends: ${project.backendExtras.join(', ')})`,
    );
  }
  if (project.backendExtras.length === 0) {
    notes.push(
      `${project.pyprojectFile} has no backend extras (cu124, cu128, ...): the images install torch from its dependencies. ` +
        'For several CUDA backends, declare one conflicting extra per backend (see `nx g nx-uv-cuda:service`)',
    );
  }
  const flashAttn = options.flashAttn ?? project.flashAttnRequirement !== undefined;
  const prodRoot = posix.join(project.root, 'prod');
  const prodManifest = tree.exists(posix.join(prodRoot, 'pyproject.toml'));
  const prod = prodManifest ? readPythonProject(tree, prodRoot) : undefined;
  const hasSrc = tree.exists(posix.join(project.root, 'src')) && !tree.isFile(posix.join(project.root, 'src'));
  const readme = project.pyproject.readmeFile && tree.exists(posix.join(project.root, project.pyproject.readmeFile)) ? [project.pyproject.readmeFile] : [];
  const projectFiles = hasSrc ? ['pyproject.toml', ...readme, 'src'] : ['.'];
  const hasTests = hasSrc && tree.exists(posix.join(project.root, 'tests'));
  if (flashAttn && !project.pyproject.dependencyGroupNames.includes('build')) {
    notes.push(
      `${project.pyprojectFile} has no \`build\` dependency group: the wheel stages install flash-attn's build tools ` +
        'with `uv pip install` (unpinned); a `build` group (ninja, packaging, psutil, setuptools, wheel, pip) locks them',
    );
  }

  const spec: DockerfileSpec = {
    projectName: project.projectName!,
    module: moduleOf(tree, project),
    layout,
    packageName: project.normalizedName!,
    defaultBackend: options.defaultBackend ?? cudaExtras[0] ?? 'cu124',
    backendExtras: project.backendExtras.length > 0,
    pythonVersion: options.pythonVersion ?? pythonVersionOf(tree, project, layout),
    uvVersion: options.uvVersion,
    flashAttnVersion: flashAttn
      ? (options.flashAttnVersion ?? pinnedVersion(project.flashAttnRequirement) ?? GENERATOR_DEFAULTS.flashAttnVersion)
      : undefined,
    lockHasFlashAttn: project.flashAttnRequirement !== undefined,
    prodManifest,
    devBuildGroup: project.pyproject.dependencyGroupNames.includes('build'),
    prodBuildGroup: prod ? prod.pyproject.dependencyGroupNames.includes('build') : project.pyproject.dependencyGroupNames.includes('build'),
    projectFiles,
    devOnlyFiles: hasTests ? ['tests'] : [],
    localDependencies: localDependencies(tree, project, layout, notes),
  };

  const ignore = dockerignoreFor(layout);
  const keepIgnore = tree.exists(ignore.file);
  if (keepIgnore) notes.push(`kept the existing ${ignore.file}: check that it leaves what the Dockerfile copies in the context`);
  writeDockerfile(tree, spec, keepIgnore ? undefined : ignore);

  const chosen = chosenDockerfiles(tree, project);
  if (!chosen.includes(dockerfile)) {
    notes.push(
      `nx-uv-cuda does not build ${dockerfile} for ${spec.projectName} (its dockerfile globs match ${chosen.join(', ') || 'nothing'}): ` +
        `set \`dockerfile = "${DOCKERFILE_PATH}"\` in [tool.nx-uv-cuda] to build the template`,
    );
  } else if (chosen.length > 1) {
    notes.push(`${spec.projectName} now has ${chosen.length} Dockerfiles (${chosen.join(', ')}): their targets carry the Dockerfile's name`);
  }
  return { projectName: spec.projectName, dockerfile, dockerignore: keepIgnore ? undefined : ignore.file, layout, notes };
}

export async function dockerfileGenerator(tree: Tree, rawOptions: DockerfileGeneratorOptions): Promise<GeneratorCallback> {
  const result = addDockerfile(tree, rawOptions);
  return () => {
    const ignore = result.dockerignore ? ` and ${result.dockerignore}` : '';
    logger.info(`nx-uv-cuda: wrote ${result.dockerfile}${ignore}`);
    for (const note of result.notes) logger.warn(`nx-uv-cuda: ${note}`);
    logger.info(`nx-uv-cuda: \`nx show project ${result.projectName}\` lists its image, wheel and lock targets`);
  };
}

/** By folder, by Nx name (project.json / package.json beside the pyproject.toml), or by normalized `[project].name`. */
function findProject(tree: Tree, wanted: string): PythonProjectInfo {
  const folder = posix.normalize(wanted).replace(/\/$/, '');
  if (tree.exists(posix.join(folder, 'pyproject.toml'))) return readPythonProject(tree, folder);
  const projects = findPythonProjects(tree, (visitor) => visitNotIgnoredFiles(tree, '.', visitor));
  const match =
    projects.find((project) => project.projectName === wanted) ??
    projects.find((project) => project.normalizedName === normalizeName(wanted));
  if (match) return match;
  const known = projects.map((project) => `${project.projectName} (${project.root})`).join(', ');
  throw new PluginError('options', 
    `nx-uv-cuda:dockerfile options: project: no Python project named or located "${wanted}"` +
      (known ? `; the workspace has: ${known}` : '; the workspace has no pyproject.toml with a [project] name'),
  );
}

/** The package `python -m` runs: `src/<normalized_name>` when it exists, else the first package under src/. */
function moduleOf(tree: Tree, project: PythonProjectInfo): string {
  const byName = project.normalizedName!.replace(/-/g, '_');
  const src = posix.join(project.root, 'src');
  if (tree.exists(posix.join(src, byName, '__init__.py')) || !tree.exists(src)) return byName;
  const first = tree
    .children(src)
    .sort()
    .find((child) => tree.exists(posix.join(src, child, '__init__.py')));
  return first ?? byName;
}

/**
 * Context-relative folders of the local projects the project depends on: workspace members named by
 * `{ workspace = true }` sources, and `{ path = ... }` sources inside the build context.
 */
function localDependencies(tree: Tree, project: PythonProjectInfo, layout: UvLayout, notes: string[]): string[] {
  const { names, paths } = project.localSources;
  if (names.length === 0 && paths.length === 0) return [];
  const others = findPythonProjects(tree, (visitor) => visitNotIgnoredFiles(tree, layout.lockDir, visitor)).filter(
    (candidate) => candidate.root !== project.root,
  );
  const sources = [
    ...names.map((name) => ({ name, root: others.find((candidate) => candidate.normalizedName === name)?.root })),
    ...paths.map(({ name, folder }) => ({ name, root: folder })),
  ];
  const folders: string[] = [];
  for (const source of sources) {
    const relative = source.root === undefined ? undefined : posix.relative(layout.lockDir, source.root);
    if (relative === undefined || relative === '' || relative.startsWith('..')) {
      notes.push(
        `${source.name} (a local source of ${project.name}) is not a folder inside the build context ${layout.lockDir}: ` +
          'the images cannot copy it; add it to the Dockerfile yourself',
      );
      continue;
    }
    folders.push(relative);
  }
  return [...new Set(folders)].sort();
}

function pythonVersionOf(tree: Tree, project: PythonProjectInfo, layout: UvLayout): string {
  for (const dir of [project.root, layout.lockDir]) {
    const pinned = tree.read(posix.join(dir, '.python-version'), 'utf-8')?.trim();
    const minor = pinned ? /^(3\.\d+)/.exec(pinned)?.[1] : undefined;
    if (minor) return minor;
  }
  return lowestPython(project.pyproject.requiresPython) ?? GENERATOR_DEFAULTS.pythonVersion;
}

/** The template's paths are relative to the folder of the governing uv.lock, which is the plugin's default context. */
function assertContextIsLockFolder(tree: Tree, project: PythonProjectInfo, layout: UvLayout): void {
  const setting = project.config.context ?? registeredPluginOptions(tree)?.context;
  if (typeof setting !== 'string') return;
  const contextDir = posix.normalize(posix.join(project.root, setting));
  if (contextDir !== posix.normalize(layout.lockDir)) {
    throw new PluginError('options', 
      `the template Dockerfile builds with the folder of ${project.name}'s uv.lock (${layout.lockDir}) as its context, ` +
        `but the context option makes it ${contextDir}: remove the context setting or adapt the Dockerfile's paths`,
    );
  }
}

export default dockerfileGenerator;
