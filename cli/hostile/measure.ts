// Prints every hostile case's outcome and the worst-per-category table: `npx tsx cli/hostile/measure.ts [filter]`.
import { configCases } from './configCases';
import { formatCases } from './formatCases';
import { runCases, violations, worstTable } from './run';

const filter = process.argv[2] ?? '';
const cases = [...formatCases, ...configCases].filter((c) => c.name.includes(filter));
const results = await runCases(cases, {
  timeoutMs: Number(process.env.HOSTILE_TIMEOUT_MS ?? 60_000),
  onResult: (r) => {
    const u = r.usage ? `${r.usage.cpuMs.toFixed(0)}ms cpu ${r.usage.wallMs.toFixed(0)}ms wall` : 'no report';
    const bad = violations(r);
    process.stdout.write(`${bad.length ? 'FAIL' : 'ok  '} ${r.name} | exit ${r.code} | ${u} | ${r.peakMb?.toFixed(0)} MB | ${r.stderr.trim().split('\n')[0].slice(0, 160)}\n`);
  },
});
process.stdout.write(`\n${worstTable(results)}\n`);
process.stdout.write(`\n${results.filter((r) => violations(r).length).length} of ${results.length} cases break the contract\n`);
