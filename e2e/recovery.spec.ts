// Crash recovery in the real app: a dead engine worker is reported, and a restart on the next backend resumes from the autosave.
import { expect, test, type Page } from '@playwright/test';
import { cell, cells, snap, typeInCell } from './helpers';

/** The ?debug=1 hook: ends the worker and reports a crash, as a lost GPU device would. */
async function crashEngine(page: Page): Promise<void> {
  await page.evaluate(() => (window as unknown as { __tokenformerDebug: { crashEngine(): Promise<void> } }).__tokenformerDebug.crashEngine());
}

/** Adds a code cell at the end, types `source` into it and runs it; returns its index. */
async function addAndRun(page: Page, source: string): Promise<number> {
  await page.getByTestId('add-code').click();
  const i = (await cells(page).count()) - 1;
  await typeInCell(page, i, source);
  await page.keyboard.press('ControlOrMeta+Enter');
  return i;
}

async function openOnWasm(page: Page): Promise<void> {
  await page.goto('/notebooks/welcome?backend=wasm&debug=1');
  await expect(page.getByTestId('backend')).toHaveAttribute('data-backend', 'wasm', { timeout: 60_000 });
}

// Autosaves at the end of the run, by default.
const TRAIN = 'const e2eTrained = (await lab.model("micro"), await lab.data("copy"), await lab.train({ steps: 5, batchSize: 8, seqLen: 32, evalEvery: 0 }).done)';
const STEP = '`step ${(await lab.info())?.step ?? "none"}`';
// Trains on without autosaving, so the engine is past step 5 (and busy) when it dies.
const LONG = 'const e2eLong = (e2eTrained, await lab.train({ steps: 100000, batchSize: 8, seqLen: 32, evalEvery: 0, autosave: false }).done)';

test('a crashed engine restarts on the next backend and resumes from the autosave', async ({ page }) => {
  test.setTimeout(240_000);
  await openOnWasm(page);
  const trained = await addAndRun(page, TRAIN);
  await expect(cell(page, trained)).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  const step = await addAndRun(page, STEP);
  await expect(cell(page, step).getByTestId('cell-output')).toHaveText('step 5');

  const long = await addAndRun(page, LONG);
  await expect(page.getByTestId('engine-state')).toHaveText('training', { timeout: 30_000 });
  await expect(page.getByTestId('engine-crashed')).toHaveCount(0);
  await crashEngine(page);

  const banner = page.getByTestId('engine-crashed');
  await expect(banner).toBeVisible();
  await expect(banner).toHaveAttribute('data-backend', 'wasm');
  await expect(banner.getByTestId('engine-crash-message')).toContainText('simulated crash');
  await expect(page.getByTestId('backend')).toHaveAttribute('data-status', 'crashed');
  await expect(cell(page, long)).toHaveAttribute('data-status', 'stopped');
  await expect(page.getByTestId('restart-next-backend')).toHaveText(/CPU/);
  await snap(page, 'engine-crashed');

  await page.getByTestId('restart-next-backend').click();
  await expect(page.getByTestId('engine-crashed')).toHaveCount(0);
  await expect(page.getByTestId('backend')).toHaveAttribute('data-backend', 'cpu', { timeout: 60_000 });
  expect(new URL(page.url()).searchParams.get('backend')).toBe('cpu');
  const notice = page.getByTestId('engine-recovery');
  await expect(notice).toHaveAttribute('data-state', 'resumed', { timeout: 60_000 });
  await expect(notice).toContainText('resumed from step 5');
  // The restart reset every cell; asking the new engine shows the model from the autosave, not the one trained past it.
  await expect(cell(page, step)).toHaveAttribute('data-status', 'idle');
  await cell(page, step).locator('.cm-content').click();
  await page.keyboard.press('ControlOrMeta+Enter');
  await expect(cell(page, step).getByTestId('cell-output')).toHaveText('step 5', { timeout: 60_000 });
  await snap(page, 'engine-recovered');
});

test('a bundled notebook that crashes after a minute of training resumes from the timed autosave', async ({ page }) => {
  test.setTimeout(300_000);
  await openOnWasm(page);
  await page.getByTestId('run-all').click();
  const widget = page.getByTestId('trainer');
  await expect(widget).toHaveAttribute('data-state', 'idle', { timeout: 60_000 });
  await widget.getByTestId('train-steps').fill('1000000');
  await widget.getByTestId('train-start').click();
  await expect(widget).toHaveAttribute('data-state', 'training');
  // No checkpointEvery anywhere: the widget's run saves on its own once a minute has passed.
  await expect(widget).toHaveAttribute('data-autosave-step', /^[1-9]\d*$/, { timeout: 120_000 });
  const saved = Number(await widget.getAttribute('data-autosave-step'));
  await expect(widget).toHaveAttribute('data-state', 'training');
  await crashEngine(page);

  await page.getByTestId('restart-next-backend').click();
  await expect(page.getByTestId('backend')).toHaveAttribute('data-backend', 'cpu', { timeout: 60_000 });
  const notice = page.getByTestId('engine-recovery');
  await expect(notice).toHaveAttribute('data-state', 'resumed', { timeout: 60_000 });
  const resumed = Number(/resumed from step (\d+)/.exec((await notice.textContent()) ?? '')?.[1]);
  expect(resumed).toBeGreaterThanOrEqual(saved);
  expect(resumed).toBeGreaterThan(0);
  await snap(page, 'engine-recovered-timed-autosave');
});

test('without an autosave the restart says the model must be recreated; after CPU only a restart on CPU is offered', async ({ page }) => {
  test.setTimeout(180_000);
  await openOnWasm(page);
  await expect(page.getByTestId('engine-state')).toHaveText('idle');
  await crashEngine(page);
  await page.getByTestId('restart-next-backend').click();
  await expect(page.getByTestId('backend')).toHaveAttribute('data-backend', 'cpu', { timeout: 60_000 });
  const notice = page.getByTestId('engine-recovery');
  await expect(notice).toHaveAttribute('data-state', 'fresh');
  await expect(notice).toContainText('the model must be recreated');

  await expect(page.getByTestId('engine-state')).toHaveText('idle');
  await crashEngine(page);
  await expect(page.getByTestId('engine-crashed')).toHaveAttribute('data-backend', 'cpu');
  await expect(page.getByTestId('engine-recovery')).toHaveCount(0);
  await expect(page.getByTestId('restart-next-backend')).toHaveCount(0);
  await page.getByTestId('restart-same-backend').click();
  await expect(page.getByTestId('backend')).toHaveAttribute('data-backend', 'cpu', { timeout: 60_000 });
  await expect(page.getByTestId('engine-crashed')).toHaveCount(0);
});
