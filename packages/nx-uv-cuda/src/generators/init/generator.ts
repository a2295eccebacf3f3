import { logger, type GeneratorCallback, type Tree } from '@nx/devkit';
import { parseGeneratorOptions } from '../shared/options';
import { ensureGitignore, registerPlugin, summarizeWorkspace } from '../shared/workspace-setup';
import { initGeneratorSchema, type InitGeneratorOptions } from './schema';

export interface InitResult {
  registered: boolean;
  gitignoreAdded: string[];
}

/**
 * Registers the plugin in nx.json (once, whatever form an existing registration has), keeps `dist/` and
 * Nx's cache folders out of git, and reports what the plugin infers. Idempotent: a second run changes nothing.
 */
export function initialize(tree: Tree, rawOptions: InitGeneratorOptions = {}): InitResult {
  const options = parseGeneratorOptions(initGeneratorSchema, rawOptions, 'init');
  const registered = registerPlugin(tree, { registry: options.registry });
  const gitignoreAdded = options.skipGitignore ? [] : ensureGitignore(tree);
  return { registered, gitignoreAdded };
}

export async function initGenerator(tree: Tree, rawOptions: InitGeneratorOptions = {}): Promise<GeneratorCallback> {
  const result = initialize(tree, rawOptions);
  logger.info(
    result.registered
      ? 'nx-uv-cuda: registered the plugin in nx.json'
      : 'nx-uv-cuda: the plugin is already registered in nx.json',
  );
  if (result.gitignoreAdded.length > 0) logger.info(`nx-uv-cuda: .gitignore now ignores ${result.gitignoreAdded.join(', ')}`);
  const projects = summarizeWorkspace(tree);
  if (projects.length === 0) {
    logger.info('nx-uv-cuda: no Python project yet; create one with `nx g nx-uv-cuda:service <name>`');
  } else {
    logger.info(`nx-uv-cuda: infers ${projects.length} Python project${projects.length === 1 ? '' : 's'}:`);
    for (const project of projects) logger.info(`  ${project.line}`);
    logger.info(`nx-uv-cuda: see every target and its inputs with \`nx show project ${projects[0].name}\``);
  }
  return () => undefined;
}

export default initGenerator;
