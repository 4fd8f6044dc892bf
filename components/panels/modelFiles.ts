// The three files of a published TokenFormer (pytorch_model.bin, eval YAML, tokenizer.json): dropped, chosen, or fetched
// from URLs with a progress bar and kept in the browser's Cache API so a reload does not download them again.
import { h, resolveDocument, type DocumentOption } from '@/components/viz/dom';
import { browserSizeError, GPT_NEOX_TOKENIZER_URL, MODEL_ZOO, type PublishedFiles } from '@/lib/engine/published';
import { button, emitInput, errorBox, onInvalidation, ownInputOnly, showError, type PanelElement } from './panelKit';

export type FileSlot = 'checkpoint' | 'config' | 'tokenizer';
const SLOTS: readonly FileSlot[] = ['checkpoint', 'config', 'tokenizer'];
const WHAT: Record<FileSlot, string> = {
  checkpoint: 'weights (pytorch_model.bin)',
  config: 'model config (*_eval.yml)',
  tokenizer: 'tokenizer (tokenizer.json)',
};
/** Config and tokenizer files are small; anything larger in those slots is the wrong file. */
const MAX_TEXT_FILE = 32 * 1024 * 1024;
export const MODEL_CACHE = 'tokenformer-models';

export interface ModelFilesValue extends Partial<PublishedFiles> {
  /** The slots still empty, in words ("weights (pytorch_model.bin)"). */
  missing: string[];
  /** All three files are here. */
  ready: boolean;
}

export interface ModelFilesOptions extends DocumentOption {
  invalidation?: PromiseLike<unknown>;
  /** Pre-filled download links (default: TokenFormer-150M and the GPT-NeoX-20B tokenizer; the config has none). */
  urls?: Partial<Record<FileSlot, string>>;
}

export interface ModelFilesElement extends PanelElement<ModelFilesValue> {
  /** Takes files as if dropped: each goes to the slot its name and content say. */
  addFiles(files: Iterable<File>): Promise<void>;
  /** Downloads every slot with a URL (from the cache when it is there). */
  fetchAll(): Promise<void>;
}

/** Which slot a file belongs in: weights by extension, YAML is a config, JSON by whether it holds a BPE model. */
export function slotOf(name: string, head: string): FileSlot {
  if (/\.(bin|pt|pth|safetensors)$/i.test(name)) return 'checkpoint';
  if (/\.ya?ml$/i.test(name)) return 'config';
  return /"added_tokens"|"merges"/.test(head) || /tokenizer/i.test(name) ? 'tokenizer' : 'config';
}

/** A URL's bytes, from the Cache API when stored there, else fetched with progress and stored. */
export async function fetchCached(url: string, onProgress: (done: number, total: number) => void, limit: number): Promise<Uint8Array> {
  const cache = typeof caches !== 'undefined' ? await caches.open(MODEL_CACHE).catch(() => null) : null;
  const hit = await cache?.match(url);
  if (hit) {
    const bytes = new Uint8Array(await hit.arrayBuffer());
    onProgress(bytes.length, bytes.length);
    return bytes;
  }
  const res = await fetch(url);
  if (!res.ok || !res.body) throw new Error(`${url}: the server answered ${res.status} ${res.statusText}`);
  const total = Number(res.headers.get('content-length')) || 0;
  if (total > limit) throw new Error(browserSizeError(total, url.split('/').pop()) ?? `${url} is too large`);
  // With a known length the bytes land in one buffer (no second full copy while assembling).
  let out = new Uint8Array(total || 1 << 20);
  let done = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { value, done: end } = await reader.read();
    if (end) break;
    if (done + value.length > limit) {
      await reader.cancel();
      throw new Error(browserSizeError(done + value.length, url.split('/').pop()) ?? `${url} is too large`);
    }
    if (done + value.length > out.length) {
      const grown = new Uint8Array(Math.max(out.length * 2, done + value.length));
      grown.set(out.subarray(0, done));
      out = grown;
    }
    out.set(value, done);
    done += value.length;
    onProgress(done, total || done);
  }
  const bytes = done === out.length ? out : out.slice(0, done);
  await cache?.put(url, new Response(bytes, { headers: { 'content-type': 'application/octet-stream' } })).catch(() => undefined);
  return bytes;
}

/** The cached copy as a Blob (kept on disk by the browser) when there is one. */
export async function cachedBlob(url: string): Promise<Blob | null> {
  const cache = typeof caches !== 'undefined' ? await caches.open(MODEL_CACHE).catch(() => null) : null;
  return (await cache?.match(url))?.blob() ?? null;
}

export function modelFiles(options: ModelFilesOptions = {}): ModelFilesElement {
  const doc = resolveDocument(options);
  const root = h(doc, 'div', { class: 'panel model-files', 'data-testid': 'model-files' }) as ModelFilesElement;
  ownInputOnly(root);
  const files: Partial<PublishedFiles> = {};
  const update = () => {
    const missing = SLOTS.filter((s) => !files[s]).map((s) => WHAT[s]);
    root.value = { ...files, missing, ready: missing.length === 0 };
    for (const s of SLOTS) {
      const f = files[s];
      const size = f ? ('blob' in f ? f.blob.size : 'bytes' in f ? f.bytes.length : f.text.length) : 0;
      rows[s].textContent = f ? `${f.name} (${size.toLocaleString('en-US')} bytes)` : 'missing';
      rows[s].dataset.state = f ? 'ready' : 'missing';
    }
    emitInput(root);
  };

  const input = h(doc, 'input', { type: 'file', multiple: '', 'data-testid': 'model-files-input' }, { display: 'none' });
  const zone = h(doc, 'div', { class: 'drop-zone', tabindex: 0, role: 'button', 'data-testid': 'model-files-drop' }, { border: '2px dashed #aaa', padding: '14px', 'text-align': 'center', cursor: 'pointer' }, 'Drop pytorch_model.bin, the *_eval.yml and tokenizer.json here, or click to choose them');
  const list = h(doc, 'ul', {}, { 'font-family': 'ui-monospace, monospace', margin: '8px 0' });
  const rows = {} as Record<FileSlot, HTMLSpanElement>;
  for (const s of SLOTS) {
    const li = h(doc, 'li', {}, {}, `${WHAT[s]}: `);
    rows[s] = h(doc, 'span', { 'data-testid': `model-files-${s}` }, {}, 'missing');
    li.append(rows[s]);
    list.append(li);
  }
  const errorEl = errorBox(doc, 'model-files-error');

  root.addFiles = async (chosen) => {
    try {
      for (const f of chosen) {
        const head = await f.slice(0, 4096).text();
        const slot = slotOf(f.name, head);
        if (slot === 'checkpoint') {
          const tooBig = browserSizeError(f.size, f.name);
          if (tooBig) throw new Error(tooBig);
          // The File itself: its bytes are read when the model is opened, and again if the cell reruns.
          files.checkpoint = { name: f.name, blob: f };
        } else {
          if (f.size > MAX_TEXT_FILE) throw new Error(`${f.name} is ${f.size.toLocaleString('en-US')} bytes: too large for a ${slot === 'config' ? 'config' : 'tokenizer.json'}`);
          if (slot === 'config') files.config = { name: f.name, text: await f.text() };
          else files.tokenizer = { name: f.name, text: await f.text() };
        }
      }
      showError(errorEl, null);
    } catch (e) {
      showError(errorEl, e);
    }
    update();
  };
  input.addEventListener('change', () => {
    const chosen = [...(input.files ?? [])];
    input.value = '';
    void root.addFiles(chosen);
  });
  zone.addEventListener('click', () => input.click());
  zone.addEventListener('dragover', (e) => e.preventDefault());
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    void root.addFiles([...(e.dataTransfer?.files ?? [])]);
  });

  const urls = { checkpoint: MODEL_ZOO[0].checkpoint, config: '', tokenizer: GPT_NEOX_TOKENIZER_URL, ...options.urls };
  const urlInputs = {} as Record<FileSlot, HTMLInputElement>;
  const urlBox = h(doc, 'div', { class: 'model-files-urls' }, { display: 'grid', gap: '4px', margin: '8px 0' });
  for (const s of SLOTS) {
    urlInputs[s] = h(doc, 'input', { type: 'url', value: urls[s] ?? '', placeholder: `URL of the ${WHAT[s]}`, 'data-testid': `model-files-url-${s}` }, { width: '100%' });
    urlBox.append(urlInputs[s]);
  }
  const progress = h(doc, 'progress', { max: 1, value: 0, 'data-testid': 'model-files-progress' }, { width: '100%' });
  const fetchBtn = button(doc, 'Fetch from the URLs', 'model-files-fetch', 'Downloads once, then keeps the files in this browser (Cache API)');
  let aborted = false;
  root.fetchAll = async () => {
    fetchBtn.disabled = true;
    try {
      for (const s of SLOTS) {
        const url = urlInputs[s].value.trim();
        if (!url || files[s]) continue;
        const bytes = await fetchCached(url, (done, total) => {
          progress.max = total;
          progress.value = done;
        }, s === 'checkpoint' ? 2_000_000_000 : MAX_TEXT_FILE);
        if (aborted) return;
        const name = url.split('/').pop() || s;
        if (s === 'checkpoint') {
          const blob = await cachedBlob(url);
          files.checkpoint = blob ? { name, blob } : { name, bytes };
        }
        else if (s === 'config') files.config = { name, text: new TextDecoder().decode(bytes) };
        else files.tokenizer = { name, text: new TextDecoder().decode(bytes) };
        update();
      }
      showError(errorEl, null);
    } catch (e) {
      showError(errorEl, e);
    } finally {
      fetchBtn.disabled = false;
    }
  };
  fetchBtn.addEventListener('click', () => void root.fetchAll());
  root.dispose = () => {
    aborted = true;
  };
  onInvalidation(options.invalidation, () => root.dispose());

  root.append(zone, input, list, h(doc, 'details', {}, {}, ''), errorEl);
  const details = root.querySelector('details')!;
  details.append(h(doc, 'summary', {}, {}, 'or fetch them from URLs'), urlBox, fetchBtn, progress);
  update();
  return root;
}
