import { mkdir, open } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { SavedFile } from '../../contracts/ipc';

/**
 * Saves a file the console fetched (a usage export or report). The renderer never names a path:
 * the main process picks the folder (a save dialog in Electron, the downloads folder in browser
 * mode) and the file name comes from the control plane, cleaned by `safeFilename`.
 */
export type FileSaver = (suggestedName: string, bytes: Uint8Array) => Promise<SavedFile>;

/** A plain file name: no directories, no dot files, nothing but letters, digits, `.`, `-` and `_`. */
export function safeFilename(name: string, fallback = 'bulkhead-download'): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const cleaned = base.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[.]+/, '').slice(0, 120);
  return cleaned === '' ? fallback : cleaned;
}

/**
 * Browser mode and tests: files go to one folder given at launch (`--downloads`), a name already
 * there gets ` (2)`, ` (3)`… so nothing is overwritten.
 */
export function folderSaver(folder: string): FileSaver {
  return async (suggestedName, bytes) => {
    await mkdir(folder, { recursive: true });
    const name = safeFilename(suggestedName);
    const extension = extname(name);
    const stem = name.slice(0, name.length - extension.length);
    for (let attempt = 1; attempt < 1000; attempt += 1) {
      const candidate = attempt === 1 ? name : `${stem} (${attempt})${extension}`;
      try {
        // 'wx': created here, never an existing file (or a link planted in its place) overwritten.
        const handle = await open(join(folder, candidate), 'wx', 0o600);
        try {
          await handle.writeFile(bytes);
        } finally {
          await handle.close();
        }
        return { saved: true, filename: candidate, bytes: bytes.byteLength };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
    throw new Error(`no free file name for ${name} in the downloads folder`);
  };
}
