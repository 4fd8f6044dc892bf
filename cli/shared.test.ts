// The CLI's memory budget: --memory-budget as users type it, the machine's default, and the commands that take it.
import { existsSync, mkdtempSync } from 'node:fs';
import { freemem, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BudgetError } from '../lib/engine/budget';
import { FIXTURES_DIR } from '../lib/testing/fixtures';
import { cliMemoryBudget } from './shared';
import { runCli } from './testCli';
import { growSpec, logitsSpec } from './commands/model';
import { evalSpec, generateSpec, trainSpec } from './commands/train';


describe('cliMemoryBudget', () => {
  it('reads the flag and says where the figure comes from and how to raise it', () => {
    expect(cliMemoryBudget('2GB')).toEqual({ bytes: 2e9, source: '--memory-budget 2GB', raise: 'raise it with --memory-budget' });
    expect(cliMemoryBudget('512MB').bytes).toBe(512e6);
  });

  it.each(['lots', '2', '-1GB', 'Infinity', '1e400', ''])('refuses %j as a BudgetError (exit 1), naming the flag', (v) => {
    expect(() => cliMemoryBudget(v)).toThrow(BudgetError);
    expect(() => cliMemoryBudget(v)).toThrow(/^--memory-budget /);
  });

  it('defaults to half the machine, or less when little is free', () => {
    const b = cliMemoryBudget(undefined);
    expect(b.bytes).toBeLessThanOrEqual(totalmem() / 2);
    expect(b.bytes).toBeLessThanOrEqual(Math.max(16e6, freemem() * 0.8 * 1.05)); // free memory moves between the calls
    expect(b.bytes).toBeGreaterThanOrEqual(16e6);
    expect(b.source).toMatch(/^(half of this machine's|80% of the) [\d.]+ [kMGT]?B/);
  });

  it('is a flag of every command that builds or grows a model', () => {
    for (const spec of [trainSpec, evalSpec, generateSpec, logitsSpec, growSpec]) expect(spec.flags['memory-budget'], spec.name).toBeDefined();
  });
});

describe('tokenformer with a memory budget', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tokenformer-budget-'));
  const cli = runCli;

  it('grow refuses what would not fit, in one line, and writes nothing', async () => {
    const out = join(dir, 'grown.safetensors');
    const r = await cli('grow', '--checkpoint', `${FIXTURES_DIR}reference-small/model.bin`, '--config', `${FIXTURES_DIR}reference-small/config.json`, '--add', '100000', '--memory-budget', '64MB', '--out', out);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^tokenformer grow: growing the model needs about [\d.]+ GB \(weights [\d.]+ MB, gradients [\d.]+ MB, AdamW moments [\d.]+ MB\), over the memory budget of 64 MB \(--memory-budget 64MB\): make it smaller or raise it with --memory-budget [\d.]+GB\n$/);
    expect(existsSync(out)).toBe(false);
    const grown = await cli('grow', '--checkpoint', `${FIXTURES_DIR}reference-small/model.bin`, '--config', `${FIXTURES_DIR}reference-small/config.json`, '--add', '100', '--memory-budget', '64MB', '--out', out);
    expect(grown.code).toBe(0);
  });

  it('train refuses a bad budget or batch before it loads anything', async () => {
    const bad = await cli('train', '--preset', 'micro', '--steps', '1', '--memory-budget', 'lots');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('tokenformer train: --memory-budget must be a size such as 2GB, 512MB or 1.5GiB, got "lots"\n');
    const batch = await cli('train', '--preset', 'micro', '--steps', '1', '--batch', '20000', '--memory-budget', '1GB');
    expect(batch.code).toBe(1);
    expect(batch.stderr).toMatch(/^tokenformer train: training with batch 20000 × 64 needs about [\d.]+ GB \(.*\), over the memory budget of 1 GB \(--memory-budget 1GB\): make it smaller or raise it with --memory-budget [\d.]+GB\n$/);
  });
});
