// The insight panels (attention, usage, growth, runs) in one import, and their cell builtins bound to an engine.
import type { EngineApi } from '@/lib/engine/api';
import type { RunStore } from '@/lib/store/runStore';
import { attentionExplorer, type AttentionExplorerOptions } from './attentionExplorer';
import { growthPanel, type GrowthPanelOptions } from './growthPanel';
import { runsPanel, type RunsPanelOptions } from './runsPanel';
import { usagePanel, type UsagePanelOptions } from './usagePanel';

export { attentionExplorer, rowTopK, type AttentionExplorerOptions, type AttentionExplorerValue, type AttentionExplorerElement, type TopToken } from './attentionExplorer';
export { usagePanel, mostUsed, type UsagePanelOptions, type UsagePanelValue, type UsagePanelElement } from './usagePanel';
export { growthPanel, parseAmount, parsePrefix, describeChanges, type GrowthPanelOptions, type GrowthPanelValue, type GrowthPanelElement } from './growthPanel';
export { runsPanel, fileStem, type RunsPanelOptions, type RunsPanelValue, type RunsPanelElement } from './runsPanel';

/** The names cells use; each takes only its options (the engine is bound here, as for `trainer`). */
export const INSIGHT_BUILTINS = ['attentionExplorer', 'usagePanel', 'growthPanel', 'runsPanel'] as const;
export type InsightBuiltin = (typeof INSIGHT_BUILTINS)[number];

/** The four factories bound to one engine, for the notebook's builtins. */
export function bindInsight(api: EngineApi, runs: RunStore) {
  return {
    attentionExplorer: (opts?: AttentionExplorerOptions) => attentionExplorer(api, opts),
    usagePanel: (opts?: UsagePanelOptions) => usagePanel(api, opts),
    growthPanel: (opts?: GrowthPanelOptions) => growthPanel(api, opts),
    runsPanel: (opts?: RunsPanelOptions) => runsPanel(runs, opts),
  } satisfies Record<InsightBuiltin, unknown>;
}
