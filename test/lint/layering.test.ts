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
    ['src-portal/src/layering-probe.ts', "import { readFileSync } from 'node:fs';\nexport const probe = readFileSync;\n"],
    ['src-portal/src/layering-probe.ts', "import { createApi } from '../../src-renderer/src/api';\nexport const probe = createApi;\n"],
    ['control-plane/storage/layering-probe.ts', "import { BrandResolver } from '../branding/brand-resolver';\nexport const probe = BrandResolver;\n"],
    ['simulator/layering-probe.ts', "import { buildApp } from '../control-plane/app';\nexport const probe = buildApp;\n"],
    ['control-plane/layering-probe.ts', "import { createIpcRouter } from '../src-main/ipc/router';\nexport const probe = createIpcRouter;\n"],
    ['src-preload/layering-probe.ts', "import { join } from 'node:path';\nexport const probe = join;\n"],
    ['contracts/layering-probe.ts', "import { buildApp } from '../control-plane/app';\nexport const probe = buildApp;\n"],
    // Errors live below HTTP: only http/ and app.ts import http/.
    ['control-plane/auth/layering-probe.ts', "import { registerErrorHandling } from '../http/errors';\nexport const probe = registerErrorHandling;\n"],
    ['control-plane/tenancy/layering-probe.ts', "import { parseWith } from '../http/validation';\nexport const probe = parseWith;\n"],
    ['control-plane/server.ts', "import { operatorWith } from './http/context';\nexport const probe = operatorWith;\n"],
    // Storage stands below the CLI, the server and the services.
    ['control-plane/storage/layering-probe.ts', "import { serve } from '../server';\nexport const probe = serve;\n"],
    ['control-plane/storage/sqlite/layering-probe.ts', "import { promptHidden } from '../../prompt';\nexport const probe = promptHidden;\n"],
    ['control-plane/storage/layering-probe.ts', "import { TenantService } from '../tenancy/tenant-service';\nexport const probe = TenantService;\n"],
    // Nothing but tests imports test/.
    ['control-plane/tenancy/layering-probe.ts', "import { buildTestApp } from '../../test/helpers/control-plane-harness';\nexport const probe = buildTestApp;\n"],
    ['src-main/services/layering-probe.ts', "import { foreignCaPem } from '../../test/helpers/control-plane-harness';\nexport const probe = foreignCaPem;\n"],
    ['simulator/layering-probe.ts', "import { startTestIdp } from '../test/helpers/test-idp';\nexport const probe = startTestIdp;\n"],
  ])('%s: a forbidden import fails lint (%#)', async (path, code) => {
    const errors = await layeringErrors(eslint, path, code);
    expect(errors.length).toBeGreaterThan(0);
  });

  it.each([
    ['src-main/app/layering-probe.ts', "import { app } from 'electron';\nexport const probe = app;\n"],
    ['src-preload/layering-probe.ts', "import { contextBridge } from 'electron';\nexport const probe = contextBridge;\n"],
    ['control-plane/layering-probe.ts', "import { ErrorCode } from '../contracts/errors';\nimport { readFileSync } from 'node:fs';\nexport const probe = [ErrorCode, readFileSync];\n"],
    ['src-renderer/src/layering-probe.ts', "import { ErrorCode } from '../../contracts/errors';\nexport const probe = ErrorCode;\n"],
    ['src-portal/src/layering-probe.ts', "import { brandCss } from '../../contracts/branding';\nexport const probe = brandCss;\n"],
    ['control-plane/http/provider/layering-probe.ts', "import { ApiError } from '../../errors';\nimport { parseWith } from '../validation';\nexport const probe = [ApiError, parseWith];\n"],
    ['control-plane/app.ts', "import { registerErrorHandling } from './http/errors';\nexport const probe = registerErrorHandling;\n"],
    ['control-plane/tenancy/layering-probe.ts', "import { ApiError } from '../errors';\nexport const probe = ApiError;\n"],
    ['control-plane/storage/layering-probe.ts', "import { prepareAppend } from '../audit/ledger-chain';\nimport { StartupError } from '../errors';\nexport const probe = [prepareAppend, StartupError];\n"],
    ['control-plane/tenancy/layering-probe.test.ts', "import { buildTestApp } from '../../test/helpers/control-plane-harness';\nexport const probe = buildTestApp;\n"],
    ['control-plane/storage/layering-probe.test.ts', "import { newRequest } from '../breakglass/break-glass-rules';\nexport const probe = newRequest;\n"],
  ])('%s: an allowed import passes (%#)', async (path, code) => {
    expect(await layeringErrors(eslint, path, code)).toEqual([]);
  });
});
