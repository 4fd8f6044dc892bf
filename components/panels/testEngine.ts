// Test helper for the insight panels: an in-process wasm Engine on the micro preset with synthetic data, call counting.
import * as tf from '@tensorflow/tfjs-core';
import { Engine } from '@/lib/engine/engine';
import type { EngineApi } from '@/lib/engine/api';

export const MICRO = { preset: 'micro' as const, seed: 1 };
export const COPY = { kind: 'synthetic' as const, task: 'copy' as const, seed: 3, examples: 200 };

/** A ready engine (micro model, copy data) and a counting view of it: `calls.attention` etc. */
export async function microEngine(): Promise<{ engine: Engine; api: EngineApi; calls: Record<string, number> }> {
  tf.env().set('PROD', true);
  const engine = new Engine();
  await engine.init({ backend: 'wasm' });
  await engine.createModel(MICRO);
  await engine.loadData(COPY);
  const calls: Record<string, number> = {};
  const api = new Proxy(engine, {
    get(target, key, receiver) {
      const v = Reflect.get(target, key, receiver);
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        calls[String(key)] = (calls[String(key)] ?? 0) + 1;
        return v.apply(target, args);
      };
    },
  }) as EngineApi;
  return { engine, api, calls };
}

/** Resolves when `pred` holds, polling every few ms; fails after `ms`. */
export async function until(pred: () => boolean, ms = 5000): Promise<void> {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > ms) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

export const byTestId = (el: ParentNode, id: string) => el.querySelector(`[data-testid="${id}"]`) as HTMLElement;

/** Sets a select or input and fires the event a user's edit would. */
export function change(el: HTMLElement, value: string, type = 'change'): void {
  (el as HTMLInputElement).value = value;
  el.dispatchEvent(new Event(type, { bubbles: true }));
}
