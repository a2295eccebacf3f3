// Markdown tables of a benchmark result (the JSON that run.mjs writes).

export const VARIANT_LABELS = {
  plugin: 'nx-uv-cuda',
  'whole-project': '(a) whole project',
  buildx: '(b) buildx + BuildKit',
};

const s = (seconds) => (seconds === undefined ? '–' : `${seconds.toFixed(1)}`);
const n = (value) => (value === undefined ? '–' : String(value));
const short = (task) => task.replace(/-service:/, ':').replace('wheel-flash-attn-', 'wheel-').replace(/:image-/, ':');

/** One row per edit: expected builds and compiles, then per variant rebuilt / false misses / false hits / compiles / wall. */
export function scenarioTable(result) {
  const variants = result.variants;
  const head = ['#', 'edit', 'must rebuild', 'new wheel keys'];
  for (const variant of variants) {
    const label = VARIANT_LABELS[variant];
    head.push(`${label}: rebuilt`, 'false misses', 'false hits', 'compiles', 'wall s');
  }
  const rows = [head, head.map(() => '---')];
  const totals = Object.fromEntries(variants.map((variant) => [variant, { rebuilt: 0, fm: 0, fh: 0, compiles: 0, wall: 0 }]));
  let mustTotal = 0;
  let keysTotal = 0;
  result.scenarios.forEach((scenario, index) => {
    const row = [String(index), `\`${scenario.name}\``, String(scenario.mustRebuild.length), String(scenario.compiles)];
    const counted = scenario.name !== 'initial';
    if (counted) {
      mustTotal += scenario.mustRebuild.length;
      keysTotal += scenario.compiles;
    }
    for (const variant of variants) {
      const run = scenario.runs[variant];
      if (!run) {
        row.push('–', '–', '–', '–', '–');
        continue;
      }
      const failed = run.failure || run.failures?.length ? ' ✖' : '';
      row.push(
        `${run.classification.rebuilt}${failed}`,
        n(run.classification.falseMisses.length),
        n(run.classification.falseHits.length),
        n(run.compiles),
        s(run.wall),
      );
      if (counted) {
        const total = totals[variant];
        total.rebuilt += run.classification.rebuilt;
        total.fm += run.classification.falseMisses.length;
        total.fh += run.classification.falseHits.length;
        total.compiles += run.compiles;
        total.wall += run.wall;
      }
    }
    rows.push(row);
  });
  const total = ['', '**total (edits 1–' + (result.scenarios.length - 1) + ')**', `**${mustTotal}**`, `**${keysTotal}**`];
  for (const variant of variants) {
    const t = totals[variant];
    total.push(`**${t.rebuilt}**`, `**${t.fm}**`, `**${t.fh}**`, `**${t.compiles}**`, `**${s(t.wall)}**`);
  }
  rows.push(total);
  return rows.map((row) => `| ${row.join(' | ')} |`).join('\n');
}

/** The edits, what each must rebuild, and each variant's false misses/hits (for the plugin with the key diff). */
export function scenarioDetails(result) {
  const lines = [];
  result.scenarios.forEach((scenario, index) => {
    const everything = Object.values(scenario.runs)[0]?.classification.rebuilt === scenario.mustRebuild.length && scenario.mustRebuild.length >= 18;
    const must = !scenario.mustRebuild.length
      ? 'nothing'
      : everything
        ? `every build (${scenario.mustRebuild.length})`
        : scenario.mustRebuild.map(short).join(', ');
    lines.push(`${index}. \`${scenario.name}\` — ${scenario.title}. Must rebuild: ${must}.`);
    for (const variant of result.variants) {
      const run = scenario.runs[variant];
      if (!run) continue;
      const notes = [];
      if (variant === 'plugin') {
        for (const miss of run.explanation?.falseMisses ?? []) {
          notes.push(`false miss ${short(miss.task)} (key ${miss.keyChanged ? `changed: ${miss.diff.join(', ')}` : 'unchanged'})`);
        }
        for (const hit of run.explanation?.falseHits ?? []) {
          notes.push(`**false hit** ${short(hit.task)} (key ${hit.keyChanged ? `changed: ${hit.diff.join(', ')}` : 'unchanged'})`);
        }
        if (run.wheelReuse?.length) notes.push(`${run.wheelReuse.length} wheel task(s) ran without compiling: ${run.wheelReuse.map(short).join(', ')}`);
        if (scenario.name !== 'initial' && run.compiles !== scenario.compiles) notes.push(`${run.compiles} compiles for ${scenario.compiles} new wheel keys`);
      } else {
        if (run.classification.falseMisses.length) notes.push(`rebuilt without need: ${list(run.classification.falseMisses)}`);
        if (run.classification.falseHits.length) notes.push(`**not rebuilt though needed**: ${list(run.classification.falseHits)}`);
      }
      if (run.tagDrift?.length) notes.push(`tag ≠ metadata digest after the run: ${list(run.tagDrift)}`);
      if (run.classification.notInRun?.length) notes.push(`expected but not in the run: ${list(run.classification.notInRun)}`);
      if (run.failure) notes.push(`**failed**: ${run.failure.split('\n')[0]}`);
      for (const failure of run.failures ?? []) notes.push(`**failed**: ${failure}`);
      if (notes.length) lines.push(`   - ${VARIANT_LABELS[variant]}: ${notes.join('; ')}`);
    }
  });
  return lines.join('\n');
}

function list(tasks, limit = 10) {
  const names = tasks.map(short);
  return names.length > limit ? `${names.slice(0, limit).join(', ')} … (${names.length} in all)` : names.join(', ');
}

export function scalingTable(result) {
  const rows = [
    [
      'services',
      'distinct wheel keys',
      'nx-uv-cuda cold: compiles',
      'wall s',
      'after a wheel change: compiles',
      'wall s',
      'wheel tasks run / from store',
      '(b) buildx cold: compiles',
      'wall s',
      '(b) after the change: compiles',
      'wall s',
    ],
  ];
  rows.push(rows[0].map(() => '---'));
  for (const row of result.scaling ?? []) {
    rows.push([
      String(row.services),
      n(row.distinctWheelKeys),
      n(row.plugin?.cold.compiles),
      s(row.plugin?.cold.wall),
      n(row.plugin?.changed.compiles),
      s(row.plugin?.changed.wall),
      row.plugin ? `${row.plugin.changed.wheelTasksRan} / ${row.plugin.changed.wheelStoreHits}` : '–',
      n(row.buildx?.cold.compiles),
      s(row.buildx?.cold.wall),
      n(row.buildx?.changed.compiles),
      s(row.buildx?.changed.wall),
    ]);
  }
  return rows.map((row) => `| ${row.join(' | ')} |`).join('\n');
}

export function markdown(result) {
  const parts = [];
  if (result.scenarios?.length) {
    parts.push(scenarioTable(result), '', scenarioDetails(result));
  }
  if (result.scaling?.length) parts.push('', scalingTable(result));
  return `${parts.join('\n')}\n`;
}
