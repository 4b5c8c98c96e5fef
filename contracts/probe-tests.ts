import { z } from 'zod';
import { Timestamp, Uuid } from './common';

export const ProbeKind = z.enum(['http', 'dns', 'icmp']);

/** A probe target: an http(s) URL for http tests, a host name or IP address for dns and icmp. */
export const CreateProbeTestRequest = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    target: z.string().trim().min(1).max(2048),
    kind: ProbeKind,
    interval_s: z.number().int().min(10).max(86_400),
  })
  .superRefine((test, context) => {
    const ok =
      test.kind === 'http'
        ? /^https?:\/\/[^\s/?#]+[^\s]*$/i.test(test.target)
        : /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$|^[0-9a-f:.]+$/i.test(test.target);
    if (!ok) {
      context.addIssue({ code: 'custom', path: ['target'], message: test.kind === 'http' ? 'an http(s) URL' : 'a host name or IP address' });
    }
  });

export const ProbeTest = z.strictObject({
  id: Uuid,
  name: z.string(),
  target: z.string(),
  kind: ProbeKind,
  interval_s: z.number().int(),
  created_at: Timestamp,
});
export type ProbeTest = z.infer<typeof ProbeTest>;
