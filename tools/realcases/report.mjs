// The results as text (stdout) and as markdown (docs/benchmarks.md): one summary table, then a block per repo.
import { isBuildable, placeholderArgs } from './compare.mjs';

export const COLUMNS = ['repo', 'graph', 'projects', 'backends (declared/found)', 'image targets', 'buildable', 'expected matched', 'warnings', 'warm ratio', 'cold ratio'];

const ratio = (value) => (value === undefined ? '-' : `${value.toFixed(2)}×`);
const seconds = (value) => (value === undefined ? '-' : `${value.toFixed(2)} s`);

/** One summary row per repository, as strings. */
export function summaryRow(result) {
  if (result.failure) return [result.id, 'tool error', '-', '-', '-', '-', '-', '-', '-', '-'];
  const declared = result.expected ? String(result.expected.backends?.declared?.length ?? 0) : '?';
  const images = result.projects.flatMap((project) => project.images);
  return [
    result.id,
    result.graph.ok ? 'ok' : 'FAILED',
    String(result.graph.projects?.length ?? '-'),
    `${declared}/${result.backendsFound.length}`,
    String(images.length),
    String(images.filter(isBuildable).length),
    result.comparison ? `${result.comparison.matched}/${result.comparison.total}` : '-',
    String(result.warnings.length),
    ratio(result.timing?.ratio?.warm),
    ratio(result.timing?.ratio?.cold),
  ];
}

export function textTable(results) {
  const rows = results.map(summaryRow);
  const widths = COLUMNS.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const line = (cells) => cells.map((cell, column) => cell.padEnd(widths[column])).join('  ').trimEnd();
  return [line(COLUMNS), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}

export function markdownTable(header, rows) {
  const escape = (cell) => String(cell).replace(/\|/g, '\\|').replace(/\n/g, ' ');
  return [header, header.map(() => '---'), ...rows].map((row) => `| ${row.map(escape).join(' | ')} |`).join('\n');
}

const toolMark = (image) => (image.checkedBy === 'tool' ? '*' : '');
const argText = (arg) => `${arg.name}=${arg.value} (${arg.rule}${arg.line ? `, line ${arg.line}` : ''})`;

/** What is wrong with an image target's build, or '' when it is buildable. */
function buildProblems(image) {
  const problems = [];
  if (image.problem) problems.push(image.problem);
  else if (!image.stageExists) problems.push(`no stage ${image.stage}`);
  if (image.unfilledArgs.length > 0) problems.push(`unfilled: ${image.unfilledArgs.join(', ')}`);
  return problems.join('; ');
}

/** The facts of one repository's detail block, shared by the text and markdown forms. */
function detail(result) {
  const images = result.projects.flatMap((project) => project.images);
  const checkedByTool = images.some((image) => image.checkedBy === 'tool');
  const source = `${result.source.kind} ${result.source.path}${result.commit ? ` @ ${result.commit.slice(0, 12)}` : ''}`;
  const backends = result.projects
    .filter((project) => project.backends.length > 0)
    .map((project) => `${project.name}: ${project.backends.map((b) => `${b.name}${b.cudaVersion ? ` (CUDA ${b.cudaVersion})` : ''} [${b.source}]`).join(', ')}`);
  const declared = result.expected ? result.expected.backends?.declared ?? [] : undefined;
  const unmatched = (result.comparison?.results ?? []).filter((entry) => entry.problems.length > 0);
  const free = (result.comparison?.results ?? []).flatMap((entry) =>
    placeholderArgs(entry.expected).map(([name, value]) => `${entry.expected.dockerfile} ${entry.stage}: ${name}=${value}`),
  );
  const timing = result.timing?.plugin
    ? `plugin cold ${seconds(result.timing.plugin.cold)}, warm ${seconds(result.timing.plugin.warm)}; baseline cold ${seconds(result.timing.baseline.cold)}, warm ${seconds(result.timing.baseline.warm)} (median of ${result.timing.runs})`
    : result.timing?.error
      ? `not measured: ${result.timing.error}`
      : 'not measured';
  return { images, checkedByTool, source, backends, declared, unmatched, free, timing };
}

const describeExpected = (entry) =>
  `${entry.expected.dockerfile} stage ${entry.stage}${entry.expected.variant ? ` [${entry.expected.variant}]` : ''}`;

export function textDetails(result) {
  const out = [`== ${result.id}`];
  if (result.failure) return [...out, `  tool error: ${result.failure}`].join('\n');
  const facts = detail(result);
  out.push(`  source: ${facts.source}; ${result.files.length} packaging files copied${result.skipped.length ? `, ${result.skipped.length} left out (links/submodules)` : ''}`);
  out.push(`  graph: ${result.graph.ok ? `ok, projects ${result.graph.projects.join(', ') || '(none)'}` : `FAILED: ${result.graph.error}`}`);
  out.push(`  backends found: ${facts.backends.join('; ') || '(none)'}; declared by the repo: ${facts.declared ? facts.declared.join(', ') || '(none)' : '?'}`);
  out.push(`  image targets${facts.checkedByTool ? ' (* = not in metadata["nx-uv-cuda"]: stage and ARGs checked by this tool)' : ''}:`);
  for (const image of facts.images) {
    const problems = buildProblems(image);
    out.push(
      `    ${toolMark(image)}${image.project}:${image.target}  ${image.dockerfile}  ${image.stage ?? '(final)'}  ${image.backend}  ` +
        `${image.buildArgs.map(argText).join(' ') || '(no build args)'}${problems ? `  -- ${problems}` : ''}`,
    );
  }
  if (facts.images.length === 0) out.push('    (none)');
  if (result.comparison) {
    out.push(`  expected images matched: ${result.comparison.matched}/${result.comparison.total}`);
    for (const entry of facts.unmatched) {
      out.push(`    unmatched ${describeExpected(entry)}${entry.target ? ` (nearest ${entry.target})` : ''}: ${entry.problems.join('; ')}`);
    }
    if (facts.free.length > 0) out.push(`    not compared (the docs give no value): ${facts.free.join('; ')}`);
  } else out.push('  expected: no expected/<repo>.json');
  out.push(`  warnings (${result.warnings.length}):`);
  for (const warning of result.warnings) out.push(`    ${warning}`);
  out.push(`  timing: ${facts.timing}`);
  for (const note of result.notes) out.push(`  note: ${note}`);
  return out.join('\n');
}

export function markdownReport(results, { provenance, machine, nxVersion }) {
  const out = [
    '## Real repositories',
    '',
    `Plugin: ${provenance}; nx ${nxVersion}; ${machine}.`,
    '',
    markdownTable(COLUMNS, results.map(summaryRow)),
  ];
  for (const result of results) {
    out.push('', `### ${result.id}`, '');
    if (result.failure) {
      out.push(`Tool error: ${result.failure}`);
      continue;
    }
    const facts = detail(result);
    out.push(`- Source: \`${facts.source}\`, ${result.files.length} packaging files`);
    out.push(`- Graph: ${result.graph.ok ? `ok (${result.graph.projects.map((name) => `\`${name}\``).join(', ') || 'no projects'})` : `failed: ${result.graph.error}`}`);
    out.push(`- Backends found: ${facts.backends.join('; ') || 'none'}; declared: ${facts.declared ? facts.declared.join(', ') || 'none' : '?'}`);
    out.push(`- Timing: ${facts.timing}`);
    if (facts.images.length > 0) {
      out.push('', facts.checkedByTool ? 'Image targets (* = not in `metadata["nx-uv-cuda"]`: stage and ARGs checked by this tool):' : 'Image targets:', '');
      out.push(
        markdownTable(
          ['target', 'dockerfile', 'stage', 'backend', 'build args', 'not buildable because'],
          facts.images.map((image) => [
            `${image.checkedBy === 'tool' ? '\\*' : ''}\`${image.project}:${image.target}\``,
            image.dockerfile,
            image.stage ?? '(final)',
            image.backend,
            image.buildArgs.map(argText).join('<br>') || '-',
            buildProblems(image) || '-',
          ]),
        ),
      );
    }
    if (facts.unmatched.length > 0) {
      out.push('', 'Unmatched expected images:', '');
      for (const entry of facts.unmatched) out.push(`- ${describeExpected(entry)}${entry.target ? ` (nearest \`${entry.target}\`)` : ''}: ${entry.problems.join('; ')}`);
    }
    if (result.warnings.length > 0) {
      out.push('', 'Warnings:', '');
      for (const warning of result.warnings) out.push(`- ${warning}`);
    }
    for (const note of result.notes) out.push('', `Note: ${note}`);
  }
  return `${out.join('\n')}\n`;
}
