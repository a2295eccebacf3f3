// `npm run demo`: the main job on the embedded default (--help says what it does).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCommandLine } from '../cli.mjs';
import { REPO_ROOT, createExampleWorkspace, installPackedPlugin, nxBin } from '../example-workspace.mjs';

parseCommandLine({
  usage: `Usage: node tools/demo/run-demo.mjs [options]

The main job on the embedded default: provisions a Docker engine and a registry on 127.0.0.1:5000 when missing
(tools/docker/provision.sh), lays out the example ML monorepo with the packed plugin and nx from npm in a
temporary folder, runs \`nx run ml-service:image-prod\` there and prints what it built and how to run it.
Needs the built plugin (npm run demo builds it first).

Options:
  -h, --help   show this help`,
  options: {},
});

const REGISTRY = '127.0.0.1:5000/demo';
const BACKENDS = ['cu124', 'cu128'];

step('provisioning the Docker engine, buildx, the registry and the offline base images (when missing)');
execFileSync('bash', [join(REPO_ROOT, 'tools', 'docker', 'provision.sh')], { stdio: 'inherit', timeout: 1_800_000 });

step('installing the packed plugin with nx from npm');
const workspace = createExampleWorkspace({
  fixture: 'ml-monorepo',
  installDir: installPackedPlugin(),
  pluginOptions: { registry: REGISTRY },
});

step(`nx run ml-service:image-prod   (in ${workspace})`);
execFileSync(process.execPath, [nxBin(workspace), 'run', 'ml-service:image-prod'], {
  cwd: workspace,
  stdio: 'inherit',
  timeout: 1_800_000,
  env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' },
});

step('built images');
for (const backend of BACKENDS) {
  const file = join(workspace, 'dist', 'services', 'ml-service', 'images', `prod-${backend}.json`);
  if (!existsSync(file)) throw new Error(`${file} is missing: the build did not write its metadata`);
  const metadata = JSON.parse(readFileSync(file, 'utf8'));
  console.log(`  ${backend}: ${metadata.tags.join(', ')}`);
  console.log(`         ${metadata.image}`);
}
const first = JSON.parse(readFileSync(join(workspace, 'dist', 'services', 'ml-service', 'images', 'prod-cu124.json'), 'utf8'));
console.log(`
Run it:
  docker run --rm --network none ${first.image} python -m ml_service.main

Explore the workspace:
  cd ${workspace}
  npx nx show project ml-service          # every inferred target, its inputs and outputs
  npx nx run ml-service:smoke             # import torch and flash_attn in each prod image
  npx nx run ml-service:image-prod        # again: replayed from the Nx cache, nothing rebuilt
`);

function step(message) {
  console.log(`\n[demo] ${message}`);
}
