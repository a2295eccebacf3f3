import { join, posix } from 'node:path';
import { generateFiles, logger, type GeneratorCallback, type Tree } from '@nx/devkit';
import { normalizeName } from '../../python/names';
import { dockerignoreFor, writeDockerfile } from '../dockerfile/template';
import { initialize } from '../init/generator';
import { DOCKERFILE_NAME, DOCKERFILE_PATH, uvBuildRequirement } from '../shared/defaults';
import { PluginError } from '../../core/errors';
import { parseGeneratorOptions } from '../shared/options';
import { uvLayoutFor, type UvLayout } from '../shared/python-project';
import { prodPyproject, servicePyproject, workspaceRootSnippet, type PyprojectSpec } from './pyproject-text';
import { serviceGeneratorSchema, type NormalizedServiceOptions, type ServiceGeneratorOptions } from './schema';

export interface ServiceResult {
  projectName: string;
  projectRoot: string;
  layout: UvLayout;
  /** For the workspace root pyproject.toml when the service joins a uv workspace; printed, never written. */
  workspaceRootSnippet?: string;
}

/** Writes the service and registers the plugin (idempotently); returns what the messages need. */
export function writeService(tree: Tree, rawOptions: ServiceGeneratorOptions): ServiceResult {
  const options = parseGeneratorOptions(serviceGeneratorSchema, rawOptions, 'service');
  const projectName = normalizeName(options.name);
  const projectRoot = posix.normalize(options.directory ?? posix.join('services', projectName)).replace(/\/$/, '');
  if (projectRoot === '.' || projectRoot === '') {
    throw new PluginError('options', 'nx-uv-cuda:service options: directory: expected a folder below the workspace root');
  }
  if (tree.exists(posix.join(projectRoot, 'pyproject.toml'))) {
    throw new PluginError('options', 
      `${projectRoot}/pyproject.toml already exists: to add the template Dockerfile to that project, run ` +
        `\`nx g nx-uv-cuda:dockerfile ${projectRoot}\``,
    );
  }
  initialize(tree, {});

  // Decide uv's view before writing: the service's own pyproject.toml must not be taken for a workspace root.
  const layout = uvLayoutFor(tree, projectRoot);
  const member = layout.uvWorkspaceRoot !== undefined;
  const module = projectName.replace(/-/g, '_');
  const spec: PyprojectSpec = {
    name: options.name,
    pythonVersion: options.pythonVersion,
    backends: options.backends,
    flashAttnVersion: options.flashAttn ? options.flashAttnVersion : undefined,
    flashAttnBuild: options.flashAttnBuild,
    uvBuildRequirement: uvBuildRequirement(options.uvVersion),
    workspaceMember: member,
  };

  tree.write(posix.join(projectRoot, 'pyproject.toml'), withNxUvCudaTable(servicePyproject(spec), options));
  tree.write(posix.join(projectRoot, 'prod', 'pyproject.toml'), prodPyproject(spec));
  generateFiles(tree, join(__dirname, 'files', 'service'), projectRoot, {
    dot: '.',
    name: options.name,
    module,
    projectName,
    projectRoot,
    backends: options.backends,
    flashAttn: options.flashAttn,
    pythonVersion: options.pythonVersion,
    workspaceMember: member,
    dockerfileName: DOCKERFILE_NAME,
  });
  writeDockerfile(
    tree,
    {
      projectName,
      module,
      layout,
      packageName: projectName,
      defaultBackend: options.backends[0],
      backendExtras: true,
      pythonVersion: options.pythonVersion,
      uvVersion: options.uvVersion,
      flashAttnVersion: spec.flashAttnVersion,
      lockHasFlashAttn: options.flashAttn,
      prodManifest: true,
      devBuildGroup: options.flashAttn,
      prodBuildGroup: options.flashAttn,
      projectFiles: ['pyproject.toml', 'src'],
      devOnlyFiles: ['tests'],
      localDependencies: [],
    },
    dockerignoreFor(layout),
  );
  const prodLayout = member ? uvLayoutFor(tree, posix.join(projectRoot, 'prod')) : undefined;
  if (prodLayout?.uvWorkspaceRoot !== undefined) {
    layout.notes.push(
      `${projectRoot}/prod matches the members of the uv workspace at ${layout.uvWorkspaceRoot}: add ` +
        `"${posix.relative(layout.uvWorkspaceRoot!, posix.join(projectRoot, 'prod'))}" to its [tool.uv.workspace].exclude, ` +
        'so the production manifest keeps its own prod/uv.lock',
    );
  }
  return {
    projectName,
    projectRoot,
    layout,
    workspaceRootSnippet: member ? workspaceRootSnippet(spec) : undefined,
  };
}

/** A service without flash-attn gets a smoke command that does not import it. */
function withNxUvCudaTable(text: string, options: NormalizedServiceOptions): string {
  if (options.flashAttn) return text;
  return [
    text.trimEnd(),
    '',
    '# nx-uv-cuda: no flash-attn here, so the smoke check imports torch only.',
    '[tool.nx-uv-cuda]',
    'smoke-command = ["python", "-c", "import torch; print(\'torch\', torch.__version__, \'cuda\', torch.cuda.is_available())"]',
    '',
  ].join('\n');
}

export async function serviceGenerator(tree: Tree, rawOptions: ServiceGeneratorOptions): Promise<GeneratorCallback> {
  const result = writeService(tree, rawOptions);
  const { projectName, projectRoot, layout } = result;
  return () => {
    logger.info(`nx-uv-cuda: created ${projectName} in ${projectRoot} (Dockerfile: ${posix.join(projectRoot, DOCKERFILE_PATH)})`);
    for (const note of layout.notes) logger.warn(`nx-uv-cuda: ${note}`);
    if (result.workspaceRootSnippet) {
      logger.warn(
        `nx-uv-cuda: ${projectRoot} is a member of the uv workspace at ${layout.uvWorkspaceRoot}; uv reads build ` +
          `settings from the workspace root only, so add this to ${posix.join(layout.uvWorkspaceRoot!, 'pyproject.toml')} ` +
          `(if it is not there yet):\n${result.workspaceRootSnippet}`,
      );
    }
    const lockDir = layout.uvWorkspaceRoot ?? projectRoot;
    logger.info('Next:');
    logger.info(`  uv lock --directory ${lockDir}; uv lock --directory ${projectRoot}/prod   # the dev and prod locks`);
    logger.info(`  nx show project ${projectName}                  # its targets, inputs and options`);
    logger.info(`  nx run ${projectName}:image-prod                # its prod images, one per backend`);
  };
}

export default serviceGenerator;
