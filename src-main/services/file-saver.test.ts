import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { folderSaver, safeFilename } from './file-saver';

describe('saving exports and reports', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'bulkhead-saver-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('keeps a plain file name: no directories, no dot files, no odd characters', () => {
    expect(safeFilename('bulkhead-usage-2026-11-01-2026-11-30.csv')).toBe('bulkhead-usage-2026-11-01-2026-11-30.csv');
    expect(safeFilename('../../etc/passwd')).toBe('passwd');
    expect(safeFilename('..\\..\\evil.pdf')).toBe('evil.pdf');
    expect(safeFilename('.bashrc')).toBe('bashrc');
    expect(safeFilename('a b;c$(x).csv')).toBe('a_b_c__x_.csv');
    expect(safeFilename('../')).toBe('bulkhead-download');
  });

  it('writes into its folder only, never over an existing file or through a planted link', async () => {
    const folder = join(tempDir(), 'downloads');
    const save = folderSaver(folder);
    expect(await save('report.pdf', Buffer.from('%PDF-1'))).toEqual({ saved: true, filename: 'report.pdf', bytes: 6 });
    expect(await save('report.pdf', Buffer.from('%PDF-2'))).toEqual({ saved: true, filename: 'report (2).pdf', bytes: 6 });
    expect(await save('../outside.csv', Buffer.from('x'))).toMatchObject({ filename: 'outside.csv' });
    const target = join(tempDir(), 'victim');
    writeFileSync(target, 'untouched');
    symlinkSync(target, join(folder, 'linked.csv'));
    expect(await save('linked.csv', Buffer.from('overwrite?'))).toMatchObject({ filename: 'linked (2).csv' });
    expect(readFileSync(target, 'utf8')).toBe('untouched');
    expect(readFileSync(join(folder, 'report.pdf'), 'utf8')).toBe('%PDF-1');
    expect(readdirSync(folder).toSorted()).toEqual(['linked (2).csv', 'linked.csv', 'outside.csv', 'report (2).pdf', 'report.pdf']);
  });
});
