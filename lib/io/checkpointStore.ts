// Named checkpoint storage behind one interface: IndexedDB in the browser, memory in tests and Node.

export interface StoredCheckpointInfo {
  name: string;
  bytes: number;
  step: number;
  params: number;
  savedAt: number;
}

export interface CheckpointStore {
  save(name: string, data: Uint8Array, info: { step: number; params: number }): Promise<StoredCheckpointInfo>;
  load(name: string): Promise<Uint8Array | null>;
  list(): Promise<StoredCheckpointInfo[]>;
  delete(name: string): Promise<void>;
}

export function memoryCheckpointStore(): CheckpointStore {
  const items = new Map<string, { data: Uint8Array; info: StoredCheckpointInfo }>();
  return {
    async save(name, data, { step, params }) {
      const info = { name, bytes: data.length, step, params, savedAt: Date.now() };
      items.set(name, { data: data.slice(), info });
      return info;
    },
    async load(name) {
      return items.get(name)?.data.slice() ?? null;
    },
    async list() {
      return [...items.values()].map((i) => i.info).sort((a, b) => b.savedAt - a.savedAt);
    },
    async delete(name) {
      items.delete(name);
    },
  };
}
