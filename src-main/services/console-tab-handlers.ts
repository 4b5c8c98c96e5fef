import type { z } from 'zod';
import { TenantBranding } from '../../contracts/branding';
import { LicenseView } from '../../contracts/license';
import { ConsoleError } from '../console-error';
import type { IpcHandlers } from '../ipc/router';
import type { FileSaver } from './file-saver';

type Method = 'GET' | 'PUT';

/** What the console tabs' handlers need of the console service. */
export interface ConsoleTabPort {
  asOperator<S extends z.ZodType>(method: Method, path: string, schema: S, body?: unknown): Promise<z.output<S>>;
  downloadAsOperator(path: string): Promise<{ bytes: Buffer; filename: string | null }>;
  saveFile: FileSaver;
}

export type ConsoleTabChannel = 'branding:get' | 'branding:set' | 'usage:export' | 'usage:report' | 'license:replace';

const tenantPath = (tenant: string, rest = '') => `/provider/v1/tenants/${encodeURIComponent(tenant)}${rest}`;

function queryOf(values: Record<string, string | undefined>): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined) query.set(key, value);
  }
  return query.toString();
}

/**
 * The Branding and Usage tabs' and the License screen's handlers (#21). Exports and reports come
 * back to the main process as bytes and are saved here (the save dialog, or browser mode's
 * downloads folder); the renderer learns the file's name and size, never picks a path.
 */
export function consoleTabHandlers(port: ConsoleTabPort): Pick<IpcHandlers, ConsoleTabChannel> {
  const save = async (path: string, fallback: string) => {
    const file = await port.downloadAsOperator(path);
    return port.saveFile(file.filename ?? fallback, file.bytes);
  };
  return {
    'branding:get': (request) => port.asOperator('GET', tenantPath(request.tenant, '/branding'), TenantBranding),
    'branding:set': ({ tenant, ...brand }) => port.asOperator('PUT', tenantPath(tenant, '/branding'), TenantBranding, brand),
    'usage:export': (request) => save(`/provider/v1/usage/export?${queryOf(request)}`, `bulkhead-usage.${request.format}`),
    'usage:report': (request) => save(`/provider/v1/usage/report?${queryOf(request)}`, 'bulkhead-usage-report.pdf'),
    'license:replace': (request) => {
      let document: unknown;
      try {
        document = JSON.parse(request.license);
      } catch {
        throw new ConsoleError('license_invalid', 'This file is not a Bulkhead license: it is not JSON.', { issues: [{ path: 'license', message: 'not a license file (not JSON)' }] });
      }
      return port.asOperator('PUT', '/provider/v1/license', LicenseView, document);
    },
  };
}
