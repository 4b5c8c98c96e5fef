import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The Electron binary's path, or null where its download failed at install (the electron package throws then). */
export function electronBinary(): string | null {
  try {
    return require('electron') as string;
  } catch {
    return null;
  }
}
