// Workshop mode (`?workshop=1` or front matter `workshop: true`): which settings a participant's machine gets.
import type { FrontMatter } from '@/lib/notebook/types';

const ON = ['1', 'true', 'yes'];
const OFF = ['0', 'false', 'no'];

/** What the browser says about the machine; every field may be missing (navigator.deviceMemory is Chromium-only). */
export interface MachineInfo {
  /** navigator.hardwareConcurrency */
  cores?: number;
  /** navigator.deviceMemory, in GB (Chromium rounds it down to 0.25..8). */
  memoryGb?: number;
  /** 'gpu' in navigator */
  webgpu: boolean;
  /** The backend forced with ?backend=, if any. */
  backend?: string;
}

export interface WorkshopSettings {
  workshop: boolean;
  /** Quick settings (small models, few steps) for this page. */
  quick: boolean;
  /** Why quick settings were pinned, for the page to say; null when they were not pinned by workshop mode. */
  reason: string | null;
}

/** Why this machine counts as slow for a workshop, or null. A guess made before the engine starts, on purpose: the
 * settings must be fixed before the first cell runs, so every participant's notebook behaves the same all session. */
export function slowMachineReason(m: MachineInfo): string | null {
  if (m.backend === 'wasm' || m.backend === 'cpu') return `the ${m.backend} backend was chosen`;
  if (!m.webgpu) return 'no WebGPU in this browser';
  if (m.cores !== undefined && m.cores > 0 && m.cores <= 4) return `${m.cores} CPU cores`;
  if (m.memoryGb !== undefined && m.memoryGb > 0 && m.memoryGb < 4) return `${m.memoryGb} GB of memory`;
  return null;
}

/**
 * `?quick=1` always wins, and `?quick=0` always turns quick settings off (a facilitator's machine); otherwise workshop
 * mode pins quick settings on a slow machine.
 */
export function workshopSettings(query: { get(name: string): string | null }, frontMatter: FrontMatter, machine: MachineInfo): WorkshopSettings {
  const w = query.get('workshop')?.toLowerCase() ?? '';
  const workshop = ON.includes(w) || (!OFF.includes(w) && frontMatter.workshop === true);
  const q = query.get('quick')?.toLowerCase() ?? '';
  if (ON.includes(q)) return { workshop, quick: true, reason: null };
  if (OFF.includes(q) || !workshop) return { workshop, quick: false, reason: null };
  const reason = slowMachineReason(machine);
  return { workshop, quick: reason !== null, reason };
}

/** The machine as this browser reports it. */
export function browserMachine(backend: string | undefined): MachineInfo {
  if (typeof navigator === 'undefined') return { webgpu: false, backend };
  const nav = navigator as Navigator & { deviceMemory?: number };
  return { cores: nav.hardwareConcurrency, memoryGb: nav.deviceMemory, webgpu: 'gpu' in nav, backend };
}
