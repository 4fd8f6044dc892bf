// Workshop mode: when quick settings get pinned, and what overrides them.
import { describe, expect, it } from 'vitest';
import { slowMachineReason, workshopSettings, type MachineInfo } from './workshop';

const q = (s: string) => new URLSearchParams(s);
const FAST: MachineInfo = { cores: 16, memoryGb: 8, webgpu: true };
const SLOW: MachineInfo = { cores: 2, memoryGb: 8, webgpu: true };

describe('slowMachineReason', () => {
  it('names the reason a machine counts as slow', () => {
    expect(slowMachineReason(FAST)).toBeNull();
    expect(slowMachineReason(SLOW)).toBe('2 CPU cores');
    expect(slowMachineReason({ ...FAST, webgpu: false })).toBe('no WebGPU in this browser');
    expect(slowMachineReason({ ...FAST, backend: 'wasm' })).toBe('the wasm backend was chosen');
    expect(slowMachineReason({ ...FAST, memoryGb: 2 })).toBe('2 GB of memory');
    // Unknown values are not evidence of a slow machine.
    expect(slowMachineReason({ webgpu: true })).toBeNull();
    expect(slowMachineReason({ webgpu: true, cores: 0 })).toBeNull();
  });
});

describe('workshopSettings', () => {
  it('outside workshop mode, quick is only what ?quick says', () => {
    expect(workshopSettings(q(''), { title: 't' }, SLOW)).toEqual({ workshop: false, quick: false, reason: null });
    expect(workshopSettings(q('quick=1'), { title: 't' }, FAST)).toEqual({ workshop: false, quick: true, reason: null });
  });

  it('?workshop=1 or front matter workshop: true pins quick settings on a slow machine only', () => {
    expect(workshopSettings(q('workshop=1'), { title: 't' }, SLOW)).toEqual({ workshop: true, quick: true, reason: '2 CPU cores' });
    expect(workshopSettings(q('workshop=1'), { title: 't' }, FAST)).toEqual({ workshop: true, quick: false, reason: null });
    expect(workshopSettings(q(''), { title: 't', workshop: true }, SLOW)).toEqual({ workshop: true, quick: true, reason: '2 CPU cores' });
  });

  it('?quick=0 and ?workshop=0 override', () => {
    expect(workshopSettings(q('workshop=1&quick=0'), { title: 't' }, SLOW).quick).toBe(false);
    expect(workshopSettings(q('workshop=0'), { title: 't', workshop: true }, SLOW)).toEqual({ workshop: false, quick: false, reason: null });
    // A front-matter value that is not exactly true (a string, say) does not turn it on.
    expect(workshopSettings(q(''), { title: 't', workshop: 'yes' }, SLOW).workshop).toBe(false);
  });
});
