// Data drop zone and file picker for cells: reads a text file, enwik8.zip or raw enwik8 with progress, then loads and splits it in the engine.
import type { EngineApi, Progress } from '@/lib/engine/api';
import type { DataInfo, DataSpec } from '@/lib/engine/types';
import { h, resolveDocument, type DocumentOption } from '@/components/viz/dom';
import { formatBytes } from '@/lib/format/numbers';
import { wireFileDrop } from './panelKit';

export interface DataPickerOptions extends DocumentOption {
  /** Text shown in the drop zone. */
  label?: string;
  /** Called once the engine has the data. */
  onLoaded?: (info: DataInfo) => void;
}

/** `value` is the loaded data's info (null until loaded); an `input` event fires when it changes. */
export interface DataPickerElement extends HTMLDivElement {
  value: DataInfo | null;
  /** Loads a File (as a drop or the picker would). */
  load(file: File): Promise<DataInfo | null>;
}

/** enwik8 as a zip or as the raw 100 MB file goes through the enwik8 importer (checked, standard split). */
export function dataSpecFor(name: string, bytes: Uint8Array): DataSpec {
  const zip = bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
  if (zip || /^enwik8(\.zip)?$/i.test(name)) return { kind: 'enwik8', name, bytes };
  return { kind: 'text', name, bytes };
}

/** Reads a File into memory chunk by chunk, reporting progress (File.arrayBuffer gives no progress). */
export async function readWithProgress(file: Blob, onProgress: (done: number, total: number) => void): Promise<Uint8Array> {
  const out = new Uint8Array(file.size);
  const reader = file.stream().getReader();
  let done = 0;
  for (;;) {
    const r = await reader.read();
    if (r.done) break;
    out.set(r.value, done);
    done += r.value.length;
    onProgress(done, file.size);
  }
  return done === out.length ? out : out.subarray(0, done);
}

export function dataPicker(api: EngineApi, options: DataPickerOptions = {}): DataPickerElement {
  const doc = resolveDocument(options);
  const root = h(doc, 'div', { class: 'panel data-picker', 'data-testid': 'data-picker', 'data-state': 'empty' }) as DataPickerElement;
  root.value = null;

  const input = h(doc, 'input', { type: 'file', accept: '.txt,.md,.zip,text/plain,application/zip', 'data-testid': 'data-file-input', 'aria-label': 'choose a data file' });
  input.hidden = true;
  const zone = h(doc, 'div', { class: 'drop-zone', role: 'button', tabindex: 0, 'data-testid': 'data-drop-zone' });
  zone.append(h(doc, 'span', {}, {}, options.label ?? 'Drop a text file, enwik8.zip or raw enwik8 here, or click to choose'));
  const label = h(doc, 'div', { class: 'data-progress-label', 'data-testid': 'data-progress-label' });
  const progress = h(doc, 'progress', { class: 'data-progress', max: 1, value: 0, 'data-testid': 'data-progress' });
  progress.hidden = true;
  const info = h(doc, 'div', { class: 'data-info', 'data-testid': 'data-info' });
  root.append(input, zone, progress, label, info);

  const show = (p: Progress) => {
    progress.hidden = false;
    progress.value = p.total > 0 ? p.done / p.total : 0;
    label.textContent = `${p.label} ${p.total > 0 ? `${Math.round((100 * p.done) / p.total)}%` : ''}`;
  };

  let busy = false;
  root.load = async (file: File) => {
    if (busy) return null;
    busy = true;
    root.dataset.state = 'loading';
    info.textContent = '';
    try {
      const bytes = await readWithProgress(file, (done, total) => show({ label: `reading ${file.name}`, done, total }));
      const data = await api.loadData(dataSpecFor(file.name, bytes), show);
      root.value = data;
      root.dataset.state = 'loaded';
      progress.value = 1;
      label.textContent = `loaded ${data.name}`;
      info.replaceChildren(
        h(doc, 'div', {}, {}, `train ${formatBytes(data.trainBytes)} · val ${formatBytes(data.valBytes)} · test ${formatBytes(data.testBytes)}`),
        h(doc, 'pre', { class: 'data-sample' }, {}, data.sample),
      );
      root.dispatchEvent(new Event('input', { bubbles: true }));
      options.onLoaded?.(data);
      return data;
    } catch (e) {
      root.dataset.state = 'error';
      label.textContent = '';
      info.replaceChildren(h(doc, 'div', { class: 'trainer-error', role: 'alert' }, {}, e instanceof Error ? e.message : String(e)));
      return null;
    } finally {
      busy = false;
    }
  };

  wireFileDrop(zone, input, (f) => void root.load(f));
  return root;
}
