import type { z } from 'zod';
import { FairnessWhatIf } from '../../contracts/fairness';
import type { IpcHandlers } from '../ipc/router';

/** What the what-if handler needs of the console service: a provider-plane GET as the signed-in operator. */
export interface WhatIfPort {
  asOperator<S extends z.ZodType>(method: 'GET', path: string, schema: S): Promise<z.output<S>>;
}

/** `fairness:what-if` (#21): one GET of the tenant's what-if, the proposed limits in its query. */
export function fairnessWhatIfHandler(port: WhatIfPort): Pick<IpcHandlers, 'fairness:what-if'> {
  return {
    'fairness:what-if': ({ tenant, ...limits }) => {
      const query = new URLSearchParams();
      for (const [key, value] of Object.entries(limits)) query.set(key, String(value));
      const text = query.toString();
      return port.asOperator('GET', `/provider/v1/tenants/${encodeURIComponent(tenant)}/fairness/what-if${text === '' ? '' : `?${text}`}`, FairnessWhatIf);
    },
  };
}
