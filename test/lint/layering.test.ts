import { resolve } from 'node:path';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');

/** Lints `code` as if it were a file at `path` in the repository, returning the layering violations. */
async function layeringErrors(eslint: ESLint, path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: resolve(root, path) });
  const messages = result?.messages ?? [];
  // A parse failure would make every case look clean: fail loudly instead.
  expect(messages.filter((message) => message.fatal === true)).toEqual([]);
  return messages.filter((message) => message.ruleId === 'no-restricted-imports').map((message) => message.message);
}

describe('layering of ARCHITECTURE.md, enforced by lint', () => {
  let eslint: ESLint;
  beforeAll(() => {
    // The probes are not files on disk, so they are parsed without type information and only the
    // layering rule runs; the rule's configuration comes from the real eslint.config.js.
    eslint = new ESLint({
      cwd: root,
      overrideConfig: { languageOptions: { parserOptions: { projectService: false, project: null } } },
      ruleFilter: ({ ruleId }) => ruleId === 'no-restricted-imports',
    });
  });

  it.each([
    ['control-plane/layering-probe.ts', "import { app } from 'electron';\nexport const probe = app;\n"],
    ['simulator/layering-probe.ts', "import { app } from 'electron';\nexport const probe = app;\n"],
    ['src-main/services/layering-probe.ts', "import { app } from 'electron';\nexport const probe = app;\n"],
    ['contracts/layering-probe.ts', "import { readFileSync } from 'node:fs';\nexport const probe = readFileSync;\n"],
    ['src-renderer/src/layering-probe.ts', "import { readFileSync } from 'node:fs';\nexport const probe = readFileSync;\n"],
    ['src-renderer/src/layering-probe.ts', "import { buildApp } from '../../control-plane/app';\nexport const probe = buildApp;\n"],
    ['simulator/layering-probe.ts', "import { buildApp } from '../control-plane/app';\nexport const probe = buildApp;\n"],
    ['control-plane/layering-probe.ts', "import { createIpcRouter } from '../src-main/ipc/router';\nexport const probe = createIpcRouter;\n"],
    ['src-preload/layering-probe.ts', "import { join } from 'node:path';\nexport const probe = join;\n"],
    ['contracts/layering-probe.ts', "import { buildApp } from '../control-plane/app';\nexport const probe = buildApp;\n"],
  ])('%s: a forbidden import fails lint (%#)', async (path, code) => {
    const errors = await layeringErrors(eslint, path, code);
    expect(errors.length).toBeGreaterThan(0);
  });

  it.each([
    ['src-main/app/layering-probe.ts', "import { app } from 'electron';\nexport const probe = app;\n"],
    ['src-preload/layering-probe.ts', "import { contextBridge } from 'electron';\nexport const probe = contextBridge;\n"],
    ['control-plane/layering-probe.ts', "import { ErrorCode } from '../contracts/errors';\nimport { readFileSync } from 'node:fs';\nexport const probe = [ErrorCode, readFileSync];\n"],
    ['src-renderer/src/layering-probe.ts', "import { ErrorCode } from '../../contracts/errors';\nexport const probe = ErrorCode;\n"],
  ])('%s: an allowed import passes (%#)', async (path, code) => {
    expect(await layeringErrors(eslint, path, code)).toEqual([]);
  });
});
