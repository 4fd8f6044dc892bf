// Checkpoint manager for cells: the checkpoints kept in this browser (save, load, delete, download), file upload, resume from autosave.
import { AUTOSAVE } from '@/lib/engine/autosaver';
import type { EngineApi } from '@/lib/engine/api';
import type { Lab } from '@/lib/engine/lab';
import type { ModelInfo } from '@/lib/engine/types';
import type { CheckpointStore, StoredCheckpointInfo } from '@/lib/io/checkpointStore';
import { stripForReference } from '@/lib/io/checkpoint';
import { h, resolveDocument, type DocumentOption } from '@/components/viz/dom';
import { formatBytes, formatCount } from './format';
import { clusterExportZip, loadClusterFolder, loadClusterZip } from './neoxTransfer';
import { folderName, wireFolderDrop, type FolderInput } from './folderDrop';
import { button, emitInput, errorBox, field, onInvalidation, ownInputOnly, poll, showError, visible, wireFileDrop, type PanelElement } from './panelKit';

/** The name training autosaves go under (lib/engine/autosaver). */
export const AUTOSAVE_NAME = AUTOSAVE;

/** Saves binary data as a file; the default makes a Blob and clicks a temporary `<a download>`. */
export type BlobDownloader = (filename: string, data: Blob) => void;

export interface CheckpointsOptions extends DocumentOption {
  /** The name the Save box starts with (default "checkpoint"). */
  name?: string;
  /** Downloads include the optimizer moments (AdamW m and v, about twice the weights) — the checkbox's start value. */
  includeOptimizer?: boolean;
  /** Re-read the list and the model every this many ms while on screen, so autosaves show up (default 5000; 0: never). */
  every?: number;
  /** Takes downloads instead of the browser (tests, hosts). */
  download?: BlobDownloader;
  /** Called after a checkpoint or a file was loaded into the engine. */
  onLoad?: (info: ModelInfo, source: string) => void;
  /** The cell's invalidation promise: polling stops when the cell reruns. */
  invalidation?: PromiseLike<unknown>;
}

export type CheckpointsState = 'loading' | 'ready' | 'busy' | 'error';

/** What the widget holds; an `input` event fires when the list or the engine's model changes. */
export interface CheckpointsValue {
  /** Checkpoints in the store, newest first. */
  checkpoints: StoredCheckpointInfo[];
  /** The engine's model now (null before one exists). */
  model: ModelInfo | null;
  /** Where the engine's model last came from through this widget: a checkpoint name or a file name. */
  loaded: string | null;
  error: string | null;
}

export interface CheckpointsElement extends PanelElement<CheckpointsValue> {
  /** Re-reads the store's list and the engine's model info. */
  refresh(): Promise<void>;
  /** Saves the engine's model (weights, optimizer, step) under `name`; replaces a checkpoint of that name. */
  save(name?: string): Promise<StoredCheckpointInfo | null>;
  /** Loads a stored checkpoint into the engine (the step count and optimizer continue from it). */
  load(name: string): Promise<ModelInfo | null>;
  /** Loads the training autosave. */
  resume(): Promise<ModelInfo | null>;
  deleteCheckpoint(name: string): Promise<void>;
  /** Downloads a stored checkpoint, or the engine's model when `name` is omitted, as .safetensors. */
  download(name?: string): Promise<Blob | null>;
  /** Loads a .safetensors / .bin / .pt file into the engine; a malformed file leaves the model as it was. */
  upload(file: Blob, filename?: string): Promise<ModelInfo | null>;
  /** Loads a cluster run's global_stepN (or checkpoints) folder, dropped or picked; a bad or oversized folder leaves the model as it was. */
  uploadFolder(folder: FolderInput): Promise<ModelInfo | null>;
  /** Downloads the engine's model as a .zip of the folder the official GPT-NeoX-based trainer runs (docs/scale-out.md). */
  exportCluster(): Promise<Blob | null>;
}

/** Checkpoint names: what a user types, trimmed; slashes and control characters would make odd download names. */
export function checkName(raw: string): string {
  const name = raw.trim();
  if (!name) throw new Error('type a name for the checkpoint');
  if (name.length > 80) throw new Error('checkpoint names are at most 80 characters');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f/\\]/.test(name)) throw new Error('checkpoint names cannot hold slashes or control characters');
  return name;
}

/** A download name: `my run` at step 120 -> `my-run-step120.safetensors`. */
export function checkpointFilename(name: string, step?: number): string {
  const stem = name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'checkpoint';
  return `${stem}${step !== undefined ? `-step${step}` : ''}.safetensors`;
}


/** Blob.arrayBuffer where the environment has it (browsers, Node), FileReader otherwise (older jsdom). */
export async function blobBytes(blob: Blob): Promise<Uint8Array> {
  if (typeof blob.arrayBuffer === 'function') return new Uint8Array(await blob.arrayBuffer());
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(new Uint8Array(r.result as ArrayBuffer));
    r.onerror = () => reject(r.error ?? new Error('cannot read the file'));
    r.readAsArrayBuffer(blob);
  });
}

function downloadBlob(doc: Document, filename: string, data: Blob): void {
  const url = doc.defaultView?.URL ?? URL;
  const href = url.createObjectURL(data);
  const a = h(doc, 'a', { href, download: filename }, { display: 'none' });
  doc.body.appendChild(a);
  a.click();
  a.remove();
  // Revoked later: the browser starts reading the blob only after click() returns.
  setTimeout(() => url.revokeObjectURL(href), 10_000);
}

function savedAtText(t: number): string {
  const d = new Date(t);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

const modelLine = (m: ModelInfo | null) =>
  m ? `${m.config.arch}, ${m.config.numLayers} layers × ${m.config.hiddenSize} · ${formatCount(m.params)} params · step ${m.step}` : 'no model yet';

/** The list changed when a name, step or save time did (an autosave overwrites `autosave` in place). */
const signature = (list: StoredCheckpointInfo[]) => list.map((c) => `${c.name}@${c.step}@${c.savedAt}`).join('|');

const DELETE_CONFIRM_MS = 4000;

/** What the widget works through: the notebook's `lab` saves and loads (so a load records its run like a cell's); the
 * engine and the store it saves to for the rest (model info, the list, downloads, cluster export). */
export type CheckpointsLab = Pick<Lab, 'save' | 'load'>;

export function checkpoints(lab: CheckpointsLab, api: EngineApi, store: CheckpointStore, options: CheckpointsOptions = {}): CheckpointsElement {
  const doc = resolveDocument(options);
  const root = h(doc, 'div', { class: 'panel checkpoints', 'data-testid': 'checkpoints', 'data-state': 'loading' }) as CheckpointsElement;
  const value: CheckpointsValue = { checkpoints: [], model: null, loaded: null, error: null };
  root.value = value;
  ownInputOnly(root);
  const download: BlobDownloader = options.download ?? ((name, data) => downloadBlob(doc, name, data));

  // Save bar: name, Save, the optimizer switch for downloads, download of the model as it is now, resume.
  const nameInput = h(doc, 'input', { type: 'text', value: options.name ?? 'checkpoint', 'data-testid': 'ckpt-name', 'aria-label': 'checkpoint name', maxlength: 80 }, { width: '160px' });
  const saveBtn = button(doc, 'Save', 'ckpt-save', 'save the model (weights, optimizer state, step) in this browser');
  const optimizerBox = h(doc, 'input', { type: 'checkbox', 'data-testid': 'ckpt-optimizer', 'aria-label': 'include optimizer state in downloads' }, { width: 'auto' });
  optimizerBox.checked = !!options.includeOptimizer;
  const currentBtn = button(doc, 'Download model', 'ckpt-download-current', 'download the model as it is now as .safetensors');
  const resumeBtn = button(doc, 'Resume from autosave', 'ckpt-resume', 'load the latest training autosave');
  const bar = h(doc, 'div', { class: 'trainer-controls' });
  const clusterBtn = button(doc, 'Export for cluster training', 'ckpt-export-cluster', 'download a .zip the official TokenFormer trainer (GPT-NeoX + DeepSpeed) runs: config.yml, checkpoints/, README.md');
  bar.append(field(doc, 'name', nameInput), saveBtn, currentBtn, field(doc, 'with optimizer state', optimizerBox), resumeBtn, clusterBtn);

  const current = h(doc, 'div', { class: 'ckpt-current', 'data-testid': 'ckpt-current' }, { margin: '6px 0', color: '#555' });
  const status = h(doc, 'div', { class: 'ckpt-status', 'data-testid': 'ckpt-status', 'aria-live': 'polite' }, { color: '#555', 'min-height': '1.2em' });
  const errorEl = errorBox(doc, 'ckpt-error');
  const tableHost = h(doc, 'div', { class: 'ckpt-table-host' }, { 'margin-top': '6px', overflow: 'auto' });

  // Upload: a hidden file input behind a drop zone, as in dataPicker.
  const fileInput = h(doc, 'input', { type: 'file', accept: '.safetensors,.bin,.pt,.zip', 'data-testid': 'ckpt-upload-input', 'aria-label': 'choose a checkpoint file' });
  fileInput.hidden = true;
  const zone = h(doc, 'div', { class: 'drop-zone', role: 'button', tabindex: 0, 'data-testid': 'ckpt-drop-zone' }, { 'margin-top': '8px', padding: '10px' });
  zone.append(h(doc, 'span', {}, {}, 'Drop a .safetensors or PyTorch .bin checkpoint (or a cluster run\'s global_stepN folder, or a .zip of it) here, or click to choose one, to load it into the engine'));
  // Registered before wireFileDrop below: it takes dropped folders and stops their drop event.
  const folderPicker = wireFolderDrop(zone, (f) => void root.uploadFolder(f));
  root.append(bar, current, errorEl, status, tableHost, fileInput, zone, folderPicker.input, folderPicker.pick);

  let disposed = false;
  let busy = false;
  let lastSig: string | null = null;
  let armed: { name: string; timer: ReturnType<typeof setTimeout> } | null = null;
  const controls = () => [saveBtn, currentBtn, nameInput, ...tableHost.querySelectorAll('button')] as (HTMLButtonElement | HTMLInputElement)[];

  const syncButtons = () => {
    for (const c of controls()) c.disabled = busy;
    currentBtn.disabled = busy || !value.model;
    clusterBtn.disabled = busy || !value.model;
    saveBtn.disabled = busy || !value.model;
    const auto = value.checkpoints.find((c) => c.name === AUTOSAVE_NAME);
    resumeBtn.disabled = busy || !auto;
    resumeBtn.textContent = auto ? `Resume from autosave (step ${auto.step})` : 'Resume from autosave';
    resumeBtn.title = auto ? `load the autosave from ${savedAtText(auto.savedAt)}` : 'no autosave yet: training saves one at most every minute, on pause and when a run ends';
  };

  const renderModel = () => {
    const m = value.model;
    current.textContent = `engine: ${modelLine(m)}${value.loaded ? ` · from ${value.loaded}` : ''}`;
    current.dataset.step = m ? String(m.step) : '';
    current.dataset.params = m ? String(m.params) : '';
  };

  const renderTable = () => {
    if (armed) clearTimeout(armed.timer);
    armed = null;
    const list = value.checkpoints;
    if (!list.length) {
      tableHost.replaceChildren(h(doc, 'div', { 'data-testid': 'ckpt-empty' }, { color: '#888' }, 'No checkpoints in this browser yet: Save one, or train with lab.train({ checkpointEvery }).'));
      return;
    }
    const table = h(doc, 'table', { class: 'ckpt-table', 'data-testid': 'ckpt-table' }, { 'border-collapse': 'collapse', 'font-variant-numeric': 'tabular-nums' });
    const cellStyle = { padding: '2px 12px 2px 0' };
    const head = h(doc, 'tr');
    for (const t of ['name', 'step', 'params', 'size', 'saved at', '']) head.append(h(doc, 'th', {}, { ...cellStyle, 'text-align': 'left', 'border-bottom': '1px solid #ddd' }, t));
    table.append(head);
    for (const c of list) {
      const tr = h(doc, 'tr', { 'data-testid': 'ckpt-row', 'data-name': c.name, 'data-step': c.step });
      const td = (t: string, title?: string) => h(doc, 'td', { title }, cellStyle, t);
      const actions = h(doc, 'td', {}, { ...cellStyle, 'white-space': 'nowrap' });
      const load = button(doc, 'Load', 'ckpt-load', `load "${c.name}" into the engine`);
      const dl = button(doc, 'Download', 'ckpt-download', 'download as .safetensors (optimizer state per the checkbox)');
      const del = button(doc, 'Delete', 'ckpt-delete', `delete "${c.name}" from this browser (click twice)`);
      load.addEventListener('click', () => void root.load(c.name));
      dl.addEventListener('click', () => void root.download(c.name));
      del.addEventListener('click', () => {
        // Deleting cannot be undone: the first click arms the button, a second one within a few seconds deletes.
        if (armed?.name === c.name) {
          clearTimeout(armed.timer);
          armed = null;
          void root.deleteCheckpoint(c.name);
          return;
        }
        if (armed) clearTimeout(armed.timer);
        for (const b of tableHost.querySelectorAll<HTMLButtonElement>('[data-testid="ckpt-delete"]')) {
          b.textContent = 'Delete';
          delete b.dataset.confirm;
        }
        del.textContent = 'Really delete?';
        del.dataset.confirm = 'true';
        armed = {
          name: c.name,
          timer: setTimeout(() => {
            armed = null;
            del.textContent = 'Delete';
            delete del.dataset.confirm;
          }, DELETE_CONFIRM_MS),
        };
      });
      actions.append(load, dl, del);
      tr.append(
        td(c.name + (c.name === AUTOSAVE_NAME ? ' (training autosave)' : '')),
        td(String(c.step)),
        td(formatCount(c.params), `${c.params} parameters`),
        td(formatBytes(c.bytes), `${c.bytes} bytes`),
        td(savedAtText(c.savedAt), new Date(c.savedAt).toISOString()),
        actions,
      );
      table.append(tr);
    }
    tableHost.replaceChildren(table);
  };

  const setState = () => {
    root.dataset.state = busy ? 'busy' : value.error ? 'error' : 'ready';
    syncButtons();
  };

  /** Reads the list and the model; redraws and fires `input` only when something changed. */
  const read = async (): Promise<boolean> => {
    const [list, model] = await Promise.all([store.list(), api.modelInfo()]);
    if (disposed) return false;
    const sig = signature(list);
    const modelSig = (m: ModelInfo | null) => (m ? `${m.params}@${m.step}@${m.config.numLayers}x${m.config.hiddenSize}` : '');
    const changed = sig !== lastSig || modelSig(model) !== modelSig(value.model);
    value.model = model;
    renderModel();
    if (sig !== lastSig) {
      lastSig = sig;
      value.checkpoints = list;
      renderTable();
    }
    return changed;
  };

  /** One action at a time; its error shows in the widget and leaves everything else as it was. */
  const act = async <T>(label: string, fn: () => Promise<T>, done: (r: T) => string): Promise<T | null> => {
    if (busy || disposed) return null;
    busy = true;
    value.error = null;
    showError(errorEl, null);
    status.textContent = `${label}…`;
    setState();
    try {
      const r = await fn();
      status.textContent = done(r);
      return r;
    } catch (e) {
      value.error = e instanceof Error ? e.message : String(e);
      showError(errorEl, `${label} failed: ${value.error}`);
      status.textContent = '';
      return null;
    } finally {
      busy = false;
      // The list and model may have changed even on failure (e.g. a save that raced an autosave).
      await read().catch(() => false);
      if (!disposed) {
        setState();
        emitInput(root);
      }
    }
  };

  root.refresh = async () => {
    try {
      const changed = await read();
      if (disposed) return;
      if (root.dataset.state === 'loading') root.dataset.state = 'ready';
      if (changed) emitInput(root);
    } catch (e) {
      value.error = e instanceof Error ? e.message : String(e);
      showError(errorEl, value.error);
    }
    if (!disposed) setState();
  };

  root.save = (raw = nameInput.value) =>
    act(
      'saving',
      async () => {
        const name = checkName(raw);
        if (!(await api.modelInfo())) throw new Error('no model to save: create one (lab.model) or load a checkpoint first');
        return lab.save(name);
      },
      (c) => `saved "${c.name}" at step ${c.step} (${formatBytes(c.bytes)})`,
    );

  // Through lab.load, like a cell's: the run it starts is recorded under `label`.
  const loadFrom = async (source: string | Uint8Array, label: string, filename?: string) => {
    const info = await lab.load(source, { name: label, filename });
    value.loaded = label;
    options.onLoad?.(info, label);
    return info;
  };

  root.load = (name) =>
    act(
      `loading "${name}"`,
      async () => {
        return loadFrom(name, name);
      },
      (m) => `loaded "${name}": step ${m.step}, ${formatCount(m.params)} params`,
    );

  root.resume = () => root.load(AUTOSAVE_NAME);

  root.deleteCheckpoint = async (name) => {
    await act(`deleting "${name}"`, () => store.delete(name), () => `deleted "${name}"`);
  };

  root.download = (name) =>
    act(
      name === undefined ? 'preparing the download' : `preparing "${name}"`,
      async () => {
        const withOpt = optimizerBox.checked;
        let bytes: Uint8Array;
        let filename: string;
        if (name === undefined) {
          const info = await api.modelInfo();
          if (!info) throw new Error('no model to download');
          bytes = await api.saveCheckpoint({ includeOptimizer: withOpt });
          filename = checkpointFilename(nameInput.value.trim() || 'model', info.step);
        } else {
          const stored = await store.load(name);
          if (!stored) throw new Error(`no checkpoint named "${name}" in this browser`);
          // Stored checkpoints always carry the optimizer; strip it unless asked for.
          bytes = withOpt ? stored : stripForReference(stored);
          filename = checkpointFilename(name, value.checkpoints.find((c) => c.name === name)?.step);
        }
        const blob = new Blob([bytes as BlobPart], { type: 'application/octet-stream' });
        download(filename, blob);
        return { filename, blob };
      },
      (r) => `downloaded ${r.filename} (${formatBytes(r.blob.size)})`,
    ).then((r) => r?.blob ?? null);

  const clusterLoaded = ({ info, notes }: { info: ModelInfo; notes: string[] }, label: string) => {
    value.loaded = label;
    options.onLoad?.(info, label);
    status.title = notes.join('\n');
    return info;
  };

  root.upload = (file, filename = (file as File).name || 'upload.safetensors') =>
    act(
      `loading ${filename}`,
      async () => {
        if (/\.zip$/i.test(filename)) return clusterLoaded(await loadClusterZip(api, file, filename), filename);
        if (!/\.(safetensors|bin|pt)$/i.test(filename)) throw new Error(`${filename}: expected a .safetensors, .bin or .pt checkpoint file`);
        // The engine checks the whole file before it replaces the model, so a bad file changes nothing.
        return loadFrom(await blobBytes(file), filename, filename);
      },
      (m) => `loaded ${filename}: step ${m.step}, ${formatCount(m.params)} params`,
    );

  root.uploadFolder = (folder) => {
    const label = `${folderName(folder)}/`;
    return act(`loading ${label}`, async () => clusterLoaded(await loadClusterFolder(api, folder), label), (m) => `loaded ${label}: step ${m.step}, ${formatCount(m.params)} params`);
  };

  root.exportCluster = () =>
    act(
      'preparing the cluster export',
      async () => {
        const r = await clusterExportZip(api);
        download(r.filename, r.blob);
        return r;
      },
      (r) => `downloaded ${r.filename} (${formatBytes(r.blob.size)}): ${r.summary.join('; ')}`,
    ).then((r) => r?.blob ?? null);

  saveBtn.addEventListener('click', () => void root.save());
  clusterBtn.addEventListener('click', () => void root.exportCluster());
  nameInput.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      void root.save();
    }
  });
  currentBtn.addEventListener('click', () => void root.download());
  resumeBtn.addEventListener('click', () => void root.resume());
  wireFileDrop(zone, fileInput, (f) => void root.upload(f));

  const stopPoll = poll(options.every ?? 5000, () => root.refresh(), () => !busy && !disposed && visible(root));
  root.dispose = () => {
    disposed = true;
    stopPoll();
    if (armed) clearTimeout(armed.timer);
  };
  onInvalidation(options.invalidation, root.dispose);
  renderModel();
  renderTable();
  syncButtons();
  void root.refresh();
  return root;
}
