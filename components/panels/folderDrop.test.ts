// @vitest-environment jsdom
// Reading a dropped or picked folder with fake File and Directory entries: batched listings, the limits on hostile
// folders (checked from metadata, before any content is read), and the drop zone handing folders and files apart.
import { File as NodeFile } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { folderFileSet, readDirectoryEntry, readFolder, readPickedFiles, wireFolderDrop, type DirectoryEntryLike, type EntryLike, type FileEntryLike, type FolderInput, type FolderLimits } from './folderDrop';

type Tree = { [name: string]: Tree | File | NodeFile };

const fileEntry = (name: string, f: File): FileEntryLike => ({ name, isFile: true, isDirectory: false, file: (ok) => setTimeout(() => ok(f), 0) });

/** A directory entry whose reader hands out `batch` entries per call, then an empty batch, as Chromium does with 100. */
function dirEntry(name: string, tree: Tree, batch = 2): DirectoryEntryLike {
  const kids = (): EntryLike[] => Object.entries(tree).map(([n, v]) => (v instanceof File || v instanceof NodeFile ? fileEntry(n, v as File) : dirEntry(n, v as Tree, batch)));
  return {
    name,
    isFile: false,
    isDirectory: true,
    createReader: () => {
      const all = kids();
      let at = 0;
      return { readEntries: (ok) => setTimeout(() => ok(all.slice(at, (at += batch))), 0) };
    },
  };
}

/** A file that claims `size` bytes and fails if anything reads it. */
function unreadable(name: string, size: number): File {
  const f = new File([], name);
  Object.defineProperty(f, 'size', { value: size });
  for (const m of ['slice', 'arrayBuffer', 'text', 'stream']) Object.defineProperty(f, m, { value: () => { throw new Error(`${name} was read`); } });
  return f;
}

function picked(path: string, content: string | File): File {
  const f = content instanceof File ? content : new File([content], path.split('/').pop()!);
  Object.defineProperty(f, 'webkitRelativePath', { value: path });
  return f;
}

const LIMITS: FolderLimits = { maxEntries: 10, maxBytes: 1000, maxDepth: 2 };
const text = (s: string, name = 'x') => new File([s], name);

describe('reading a dropped folder', () => {
  it('lists every level through batched readEntries, keeps the folder name in the paths, and reads nothing', async () => {
    const tree: Tree = { latest: text('global_step7'), global_step7: { 'mp_rank_00_model_states.pt': unreadable('mp', 300), configs: { 'model.yml': text('{}'), 'extra.yml': text('{a: 1}') } } };
    const folder = await readDirectoryEntry(dirEntry('seq', tree), LIMITS);
    expect(folder.name).toBe('seq');
    expect([...folder.files.keys()].sort()).toEqual(['seq/global_step7/configs/extra.yml', 'seq/global_step7/configs/model.yml', 'seq/global_step7/mp_rank_00_model_states.pt', 'seq/latest']);
    expect(folder.bytes).toBe(300 + 12 + 2 + 6);
  });

  it('the file set reads a file only when asked, piece by piece', async () => {
    // jsdom's Blob cannot hand out its bytes; Node's File reads like a browser's.
    const folder = await readDirectoryEntry(dirEntry('global_step3', { 'a.yml': new NodeFile(['hello world'], 'a.yml') }), LIMITS);
    const set = folderFileSet(folder);
    expect(set.paths).toEqual(['global_step3/a.yml']);
    const src = await set.read('global_step3/a.yml');
    expect(src instanceof Uint8Array ? src.length : src.size).toBe(11);
    if (!(src instanceof Uint8Array)) expect(new TextDecoder().decode(await src.read(6, 5))).toBe('world');
    await expect(set.read('global_step3/b.yml')).rejects.toThrow(/not in folder global_step3/);
  });

  it('stops listing an endless folder at the entry limit', async () => {
    let listed = 0;
    const endless: DirectoryEntryLike = {
      name: 'huge',
      isFile: false,
      isDirectory: true,
      createReader: () => ({ readEntries: (ok) => setTimeout(() => ok(Array.from({ length: 4 }, () => fileEntry(`f${listed++}`, text('')))), 0) }),
    };
    await expect(readDirectoryEntry(endless, LIMITS)).rejects.toThrow('folder huge holds more than 10 files and folders: drop one global_stepN folder');
    expect(listed).toBeLessThanOrEqual(12);
  });

  it('stops at the depth limit in an endlessly nested folder', async () => {
    const deep = (n: number): DirectoryEntryLike => ({
      name: `d${n}`,
      isFile: false,
      isDirectory: true,
      createReader: () => {
        let done = false;
        return { readEntries: (ok) => setTimeout(() => ok(done ? [] : ((done = true), [deep(n + 1)])), 0) };
      },
    });
    await expect(readDirectoryEntry(deep(0), LIMITS)).rejects.toThrow('folder d0 nests deeper than 2 levels (d0/d1/d2/d3/d4)');
  });

  it('refuses a folder whose files add up past the byte limit, from their sizes alone', async () => {
    const tree: Tree = { global_step1: { a: unreadable('a', 600), b: unreadable('b', 600) } };
    await expect(readDirectoryEntry(dirEntry('ckpts', tree), LIMITS)).rejects.toThrow('folder ckpts holds more than 1000 B: drop one global_stepN folder');
    await expect(readDirectoryEntry(dirEntry('ckpts', tree), { ...LIMITS, maxBytes: 1200 })).resolves.toMatchObject({ bytes: 1200 });
  });

  it('a listing or file error becomes a message', async () => {
    const broken: DirectoryEntryLike = { name: 'b', isFile: false, isDirectory: true, createReader: () => ({ readEntries: (_ok, fail) => fail?.(new DOMException('gone', 'NotFoundError')) }) };
    await expect(readDirectoryEntry(broken, LIMITS)).rejects.toThrow('cannot list b: gone');
    const lost: FileEntryLike = { name: 'x.pt', isFile: true, isDirectory: false, file: (_ok, fail) => fail?.({}) };
    const dir: DirectoryEntryLike = { name: 'c', isFile: false, isDirectory: true, createReader: () => { let n = 0; return { readEntries: (ok) => ok(n++ ? [] : [lost]) }; } };
    await expect(readDirectoryEntry(dir, LIMITS)).rejects.toThrow(/^cannot open c\/x.pt$/);
  });
});

describe('reading a picked folder (webkitdirectory)', () => {
  it('takes the paths the browser gives, under the same limits', () => {
    const folder = readPickedFiles([picked('global_step7/mp_rank_00_model_states.pt', 'abc'), picked('global_step7/configs/model.yml', '{}')], LIMITS);
    expect(folder.name).toBe('global_step7');
    expect([...folder.files.keys()]).toEqual(['global_step7/mp_rank_00_model_states.pt', 'global_step7/configs/model.yml']);
    expect(folder.bytes).toBe(5);
    const many = Array.from({ length: 11 }, (_, i) => picked(`big/f${i}`, ''));
    expect(() => readPickedFiles(many, LIMITS)).toThrow('folder big holds more than 10 files');
    expect(() => readPickedFiles([picked('d/1/2/3/x', '')], LIMITS)).toThrow('folder d nests deeper than 2 levels (d/1/2/3/x)');
    expect(() => readPickedFiles([picked('d/x', unreadable('x', 2000))], LIMITS)).toThrow('folder d holds more than');
    expect(() => readPickedFiles([], LIMITS)).toThrow('no files in the chosen folder');
  });

  it('readFolder takes either kind', async () => {
    await expect(readFolder([picked('g/a', 'zz')], LIMITS)).resolves.toMatchObject({ name: 'g', bytes: 2 });
    await expect(readFolder(dirEntry('h', { a: text('zzz') }), LIMITS)).resolves.toMatchObject({ name: 'h', bytes: 3 });
  });
});

describe('the drop zone', () => {
  function zoneWithFileDrop() {
    const zone = document.createElement('div');
    document.body.append(zone);
    const folders: FolderInput[] = [];
    const files: string[] = [];
    const { input, pick } = wireFolderDrop(zone, (f) => folders.push(f));
    zone.addEventListener('drop', (e) => files.push((e as DragEvent).dataTransfer!.files[0].name));
    return { zone, input, pick, folders, files };
  }
  const drop = (zone: HTMLElement, entry: EntryLike, file: File) => {
    const e = new Event('drop', { bubbles: true, cancelable: true }) as Event & { dataTransfer: unknown };
    e.dataTransfer = { items: [{ webkitGetAsEntry: () => entry }], files: [file] };
    zone.dispatchEvent(e);
    return e;
  };

  it('takes a dropped folder and keeps it from the file drop; a dropped file goes on to the file drop', () => {
    const { zone, folders, files } = zoneWithFileDrop();
    const dir = dirEntry('global_step7', {});
    expect(drop(zone, dir, text('', 'global_step7')).defaultPrevented).toBe(true);
    expect(folders).toEqual([dir]);
    expect(files).toEqual([]);
    drop(zone, fileEntry('run.zip', text('', 'run.zip')), text('', 'run.zip'));
    expect(folders).toHaveLength(1);
    expect(files).toEqual(['run.zip']);
  });

  it('the folder picker is a webkitdirectory input behind a button', () => {
    const { input, pick, folders } = zoneWithFileDrop();
    expect(input.hasAttribute('webkitdirectory')).toBe(true);
    let opened = 0;
    input.click = () => void opened++;
    pick.click();
    expect(opened).toBe(1);
    const list = [picked('global_step7/a', 'x')];
    Object.defineProperty(input, 'files', { value: list, configurable: true });
    input.dispatchEvent(new Event('change'));
    expect(folders).toEqual([list]);
  });
});
