// Every hostile file, through the real CLI in a child process of its own: exit 1 with a one-line message,
// at most 1 s of CPU work after main() starts (startup left out), under 500 MB peak RSS. Prints the worst
// time and memory of each category (`npx tsx cli/hostile/measure.ts` prints every case).
import { describe, expect, it } from 'vitest';
import { configCases } from './configCases';
import { formatCases } from './formatCases';
import { runCases, violations, worstTable, type CaseResult } from './run';

const cases = [...formatCases, ...configCases];

describe('hostile inputs through the CLI', () => {
  it('has a corpus of at least 45 format cases with distinct names', () => {
    expect(formatCases.length).toBeGreaterThanOrEqual(45);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
  });

  it(
    'refuses every one cheaply: exit 1, one line, <= 1 s of work, < 500 MB',
    async () => {
      const results: CaseResult[] = await runCases(cases, { parallel: 2, timeoutMs: 30_000 });
      process.stdout.write(`\nworst hostile input per category (${results.length} cases):\n${worstTable(results)}\n`);
      const failures = results.map((r) => ({ name: r.name, problems: violations(r) })).filter((f) => f.problems.length);
      expect(failures).toEqual([]);
    },
    600_000,
  );
});
