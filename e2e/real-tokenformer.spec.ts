// "A real TokenFormer": without files it runs on the stand-in; dropping the three files of the official-layout micro
// model (pytorch_model.bin, eval YAML, GPT-NeoX-style tokenizer.json) opens it, and the attention explorer's rows are
// the BPE pieces of the text.
import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { loadBpeTokenizer } from '../lib/data/bpe';
import { settled, snap } from './helpers';

const FILES = ['lib/io/testdata/neox-bpe/pytorch_model.bin', 'lib/io/testdata/neox-bpe/tiny_eval.yml', 'lib/data/testdata/tiny-neox-tokenizer.json'];

test('opens the official-layout model from dropped files and shows token pieces as attention rows', async ({ page }) => {
  test.setTimeout(300_000);
  await page.goto('/notebooks/real-tokenformer?quick=1&backend=wasm');
  await expect(page.getByTestId('backend')).toHaveAttribute('data-backend', 'wasm', { timeout: 60_000 });
  await page.getByTestId('run-all').click();
  const summary = page.getByTestId('real-model-summary');
  await expect(summary).toContainText('Stand-in', { timeout: 120_000 });
  await expect(summary).toContainText('Missing: weights');
  await settled(page, 120_000);

  await page.getByTestId('model-files-input').setInputFiles(FILES);
  await expect(page.getByTestId('model-files-checkpoint')).toHaveAttribute('data-state', 'ready');
  await expect(summary).toContainText('Model: 2 layers x 5 Pattentions, width 16', { timeout: 120_000 });
  await expect(summary).toContainText('vocabulary 640 rows, tokenizer tiny-neox-tokenizer.json (bpe, 581 ids)');
  await settled(page, 120_000);

  const explorer = page.getByTestId('attention-explorer');
  await expect(explorer).toHaveAttribute('data-state', 'ready', { timeout: 60_000 });
  const text = await explorer.getByTestId('attention-text').inputValue();
  const tok = loadBpeTokenizer(readFileSync(FILES[2], 'utf8'));
  const pieces = tok.encode(text).slice(0, 64).map((id) => tok.piece(id));
  const rows = explorer.getByTestId('attention-topk').locator('tr[data-row]');
  await expect(rows).toHaveCount(pieces.length);
  await expect(explorer.getByTestId('attention-topk').locator('th').nth(1)).toHaveText('token');
  const shown = await rows.evaluateAll((trs) => trs.map((tr) => tr.children[1].textContent));
  expect(shown).toEqual(pieces);
  expect(shown.some((p) => p!.startsWith('␣') && p!.length > 2)).toBe(true);
  await expect(page.getByTestId('cell-error')).toHaveCount(0);
  await snap(page, 'real-tokenformer');
});
