// Opt-in resource report for the hostile-input tests: time and memory a command used after main() began
// (so the module loading every run pays is left out). Set TOKENFORMER_USAGE_FILE to a path to get it.
import { writeFileSync } from 'node:fs';

export interface Usage {
  /** Wall-clock and CPU (user + system) milliseconds since main() started. */
  wallMs: number;
  cpuMs: number;
  /** Peak resident set size of the whole process, in kilobytes. */
  maxRssKb: number;
}

export function reportUsageOnExit(file = process.env.TOKENFORMER_USAGE_FILE): void {
  if (!file) return;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  process.on('exit', () => {
    const c = process.cpuUsage(c0);
    const usage: Usage = { wallMs: performance.now() - t0, cpuMs: (c.user + c.system) / 1000, maxRssKb: process.resourceUsage().maxRSS };
    writeFileSync(file, JSON.stringify(usage));
  });
}
