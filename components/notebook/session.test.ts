// NotebookSession with the real NotebookRuntime and a scripted engine connection: connect, run, crash, restart, dispose.
import { describe, expect, it } from 'vitest';
import type { EngineApi } from '@/lib/engine/api';
import type { EngineConnection } from '@/lib/engine/client';
import { NotebookRuntime } from '@/lib/notebook/runtime';
import type { CellData, CellRuntimeState } from '@/lib/notebook/types';
import { makeBuiltins } from './builtins';
import { NotebookSession } from './session';
import { createRunStore } from '@/lib/store/runStore';

function scriptedConnection(log: string[]) {
  let crash: ((m: string) => void) | null = null;
  // No state/memory/modelInfo: the header must get them from the run stream, never by polling.
  const api = {
    stop: async () => void log.push('stop'),
  } as unknown as EngineApi;
  const runs = createRunStore();
  runs.getState().reset([], { state: 'idle', numTensors: 3, numBytes: 1024, params: 4242 });
  const conn: EngineConnection = {
    api,
    runs,
    info: { backend: 'wasm', fallbacks: [{ backend: 'webgpu', reason: 'no adapter' }] },
    terminate: () => log.push('terminate'),
    onCrash: (cb) => void (crash = cb),
  };
  return { conn, crash: (m: string) => crash?.(m) };
}

const until = async (ok: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

function setup() {
  const log: string[] = [];
  const states: Record<string, CellRuntimeState> = {};
  const engine: Record<string, unknown> = {};
  const conns: ReturnType<typeof scriptedConnection>[] = [];
  let resets = 0;
  const session = new NotebookSession({
    backend: 'wasm',
    connect: async (opts) => {
      const c = scriptedConnection(log);
      conns.push(c);
      log.push(`connect ${opts.backend ?? 'any'}`);
      return c.conn;
    },
    createRuntime: (o) => new NotebookRuntime(o),
    builtins: (conn) => makeBuiltins({ engine: conn, quick: true }),
    onCellState: (id, s) => void (states[id] = s),
    onEngine: (p) => Object.assign(engine, p),
    onReset: () => void resets++,
  });
  return { session, log, states, engine, conns, resets: () => resets };
}

const cells: CellData[] = [
  { id: 'a', kind: 'code', source: 'const x = 20' },
  { id: 'b', kind: 'code', source: 'x * 2 + (quick ? 2 : 0)' },
  { id: 'c', kind: 'code', source: '(await backend).backend' },
];

describe('NotebookSession', () => {
  it('connects, reports the backend and engine readings, and runs cells with the builtins', async () => {
    const t = setup();
    t.session.start(cells);
    await until(() => t.engine.status === 'ready' && t.engine.params === 4242);
    expect(t.engine.info).toMatchObject({ backend: 'wasm' });
    expect(t.engine.memory).toEqual({ numTensors: 3, numBytes: 1024 });
    // A state change on the run stream reaches the header at once.
    const mirror = (await t.session.connection())!.runs;
    mirror.getState().apply({ seq: 1, status: { state: 'training', numTensors: 9, numBytes: 2048, params: 5000 } });
    expect(t.engine).toMatchObject({ engineState: 'training', memory: { numTensors: 9, numBytes: 2048 }, params: 5000 });
    t.session.runAll(cells);
    await until(() => t.states.c?.status === 'done' && t.states.b?.status === 'done');
    expect(t.states.b.value).toBe(42);
    expect(t.states.c.value).toBe('wasm');
    t.session.dispose();
    await until(() => t.log.includes('terminate'));
  });

  it('runs one cell with its new source while another edited cell keeps its old one', async () => {
    const t = setup();
    t.session.start(cells);
    t.session.runAll(cells);
    await until(() => t.states.b?.status === 'done');
    const edited = cells.map((c) => (c.id === 'a' ? { ...c, source: 'const x = 1' } : c.id === 'c' ? { ...c, source: 'syntax error here' } : c));
    t.session.runCell('a', edited);
    await until(() => t.states.b?.value === 4);
    expect(t.states.c.status).toBe('done');
    t.session.dispose();
  });

  it('reports a crash, and restart gives a fresh engine and runtime', async () => {
    const t = setup();
    t.session.start(cells);
    await until(() => t.engine.status === 'ready');
    t.conns[0].crash('GPU device lost');
    expect(t.engine).toMatchObject({ status: 'crashed', error: 'GPU device lost' });
    await t.session.restart();
    await until(() => t.engine.status === 'ready' && t.conns.length === 2);
    expect(t.log.filter((l) => l === 'terminate')).toHaveLength(1);
    expect(t.resets()).toBe(1);
    t.session.runCell('b', cells);
    await until(() => t.states.b?.status === 'done');
    expect(t.states.b.value).toBe(42);
    t.session.dispose();
  });

  it('restart on another backend asks the engine for it from then on', async () => {
    const t = setup();
    t.session.start(cells);
    expect(t.session.backend).toBe('wasm');
    await until(() => t.engine.status === 'ready');
    await t.session.restart({ backend: 'cpu' });
    expect(t.session.backend).toBe('cpu');
    await t.session.restart();
    await until(() => t.conns.length === 3);
    expect(t.log.filter((l) => l.startsWith('connect'))).toEqual(['connect wasm', 'connect cpu', 'connect cpu']);
    expect(await t.session.connection()).toBe(t.conns[2].conn);
    t.session.dispose();
    expect(t.session.connection()).toBeNull();
  });

  it('simulateCrash ends the worker and reports a crash once; running cells stop', async () => {
    const t = setup();
    const loop: CellData[] = [{ id: 'l', kind: 'code', source: 'for (;;) { yield 1; await new Promise((r) => setTimeout(r, 5)) }' }];
    t.session.start(loop);
    await until(() => t.engine.status === 'ready');
    t.session.runAll(loop);
    await until(() => t.states.l?.status === 'running');
    await t.session.simulateCrash('gone');
    expect(t.log).toContain('terminate');
    expect(t.engine).toMatchObject({ status: 'crashed', error: 'gone', engineState: null, memory: null, params: null });
    await until(() => t.states.l?.status === 'stopped');
    t.conns[0].crash('late second report');
    expect(t.engine.error).toBe('gone');
    t.session.dispose();
  });

  it('interrupt stops the engine job too', async () => {
    const t = setup();
    t.session.start(cells);
    await t.session.interrupt();
    expect(t.log).toContain('stop');
    t.session.dispose();
  });
});
