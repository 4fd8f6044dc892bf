// The insight panels in the real app: heatmap shape per Pattention, and a growth during training (marker, params, steps).
import { expect, test, type Locator, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { importNotebook, press, snap } from './helpers';

const FIXTURE = readFileSync(path.resolve('e2e/fixtures/insight.md'), 'utf8');

/** Imports the fixture, reopens it on the wasm backend (deterministic, no GPU needed) and runs every cell. */
async function openFixture(page: Page): Promise<void> {
  await importNotebook(page, 'insight.md', FIXTURE);
  await page.goto(`${new URL(page.url()).pathname}?backend=wasm`);
  await expect(page.getByTestId('backend')).toHaveAttribute('data-backend', 'wasm', { timeout: 60_000 });
  await page.getByTestId('run-all').click();
  await page.getByTestId('trust-accept').click();
}

/** Clicks the button `testid` in a panel, selecting its cell first (helpers' `press` says why). */
const pressId = (panel: Locator, testid: string) => press(panel, panel.getByTestId(testid));

const num = async (page: Page, testid: string, attr: string) => Number(await page.getByTestId(testid).getAttribute(attr));

test('attention explorer: rows are the bytes of the text, columns the Pattention tokens', async ({ page }) => {
  test.setTimeout(180_000);
  await openFixture(page);
  const explorer = page.getByTestId('attention-explorer');
  await expect(explorer).toHaveAttribute('data-state', 'ready', { timeout: 90_000 });
  const map = explorer.getByTestId('attention-heatmap');
  // 'hello, world' is 12 bytes; the micro preset has 48 FFN, 24 query and 20 proj tokens.
  await expect(map).toHaveAttribute('data-rows', '12');
  await expect(map).toHaveAttribute('data-cols', '48');
  await explorer.getByTestId('attention-kind').selectOption('query');
  await expect(map).toHaveAttribute('data-cols', '24');
  await explorer.getByTestId('attention-layer').selectOption('1');
  await explorer.getByTestId('attention-kind').selectOption('proj');
  await expect(map).toHaveAttribute('data-cols', '20');
  await explorer.getByTestId('attention-order').selectOption('weight');
  await expect(map).toHaveAttribute('data-order', 'weight');
  await expect(explorer.getByTestId('attention-heads').locator('[data-head]')).toHaveCount(4);
  await expect(explorer.getByTestId('attention-topk').locator('tr[data-row]')).toHaveCount(12);

  await explorer.getByTestId('attention-text').fill('abc');
  await pressId(explorer, 'attention-run');
  await expect(map).toHaveAttribute('data-rows', '3');
  await expect(page.getByTestId('usage-panel')).toHaveAttribute('data-state', 'ready', { timeout: 60_000 });
  await expect(page.getByTestId('usage-summary')).toHaveAttribute('data-tokens', '48');
  await explorer.scrollIntoViewIfNeeded();
  await snap(page, 'insight-attention');
});

test('a growth during training: the chart marks it, params grow, steps keep rising', async ({ page }) => {
  test.setTimeout(240_000);
  await openFixture(page);
  const panel = page.getByTestId('growth-panel');
  await expect(panel).toHaveAttribute('data-state', 'ready', { timeout: 90_000 });
  const params0 = await num(page, 'param-count-live', 'data-params');
  const flops0 = await num(page, 'flops-per-token', 'data-flops');
  expect(params0).toBeGreaterThan(0);

  await pressId(page.getByTestId('trainer'), 'train-start');
  await expect.poll(() => num(page, 'train-step', 'data-step'), { timeout: 60_000 }).toBeGreaterThan(5);
  await pressId(panel, 'grow-button');
  // The growth lands between two steps; the panel polls the engine and the log records it.
  await expect.poll(() => num(page, 'param-count-live', 'data-params'), { timeout: 30_000 }).toBeGreaterThan(params0);
  expect(await num(page, 'flops-per-token', 'data-flops')).toBeGreaterThan(flops0);
  const logRow = panel.getByTestId('grow-log').locator('tr[data-step]');
  await expect(logRow).toHaveCount(1);
  await expect(logRow).toContainText('ffn 48→64');
  const grownAt = Number(await logRow.getAttribute('data-step'));
  expect(grownAt).toBeGreaterThan(0);

  // Training goes on past the growth, and the trainer's loss chart draws the growth marker.
  await expect.poll(() => num(page, 'train-step', 'data-step'), { timeout: 60_000 }).toBeGreaterThan(grownAt + 10);
  await expect(page.getByTestId('train-state')).toHaveText('training');
  await expect(page.getByTestId('train-chart')).toContainText('grow preserve', { timeout: 10_000 });

  // The explorer, refreshed, shows the 16 new FFN columns marked from #48.
  const map = page.getByTestId('attention-heatmap');
  await pressId(page.getByTestId('attention-explorer'), 'attention-run');
  await expect(map).toHaveAttribute('data-cols', '64');
  await expect(map).toHaveAttribute('data-new-from', '48');

  // The runs panel (polling) has the run with its growth event.
  await expect(page.getByTestId('runs-table').locator('tr[data-run]')).toHaveCount(1, { timeout: 10_000 });
  await expect(page.getByTestId('runs-chart')).toContainText('grow preserve', { timeout: 10_000 });
  await page.getByTestId('train-chart').scrollIntoViewIfNeeded();
  await snap(page, 'insight-growth');
  await pressId(page.getByTestId('trainer'), 'train-stop');
  await expect(page.getByTestId('train-state')).toHaveText('stopped', { timeout: 30_000 });
});
