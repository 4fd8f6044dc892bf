// Zustand store of the engine as the page sees it: connection, backend in use, engine state, memory, parameters.
import { create } from 'zustand';
import type { EngineState } from '../engine/api';
import type { BackendInfo } from '../engine/types';

export type ConnectionStatus = 'idle' | 'connecting' | 'ready' | 'crashed' | 'error';

export interface EngineView {
  status: ConnectionStatus;
  info: BackendInfo | null;
  /** Why the engine could not start, or why it crashed. */
  error: string | null;
  engineState: EngineState | null;
  memory: { numTensors: number; numBytes: number } | null;
  params: number | null;

  set(patch: Partial<Omit<EngineView, 'set' | 'reset'>>): void;
  reset(): void;
}

const initial = { status: 'idle', info: null, error: null, engineState: null, memory: null, params: null } as const;

export const useEngineStore = create<EngineView>()((set) => ({
  ...initial,
  set: (patch) => set(patch),
  reset: () => set({ ...initial }),
}));
