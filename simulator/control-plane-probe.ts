import { Agent, request } from 'undici';

export interface ProbeResult {
  url: string;
  healthz: { status: number; ms: number } | { error: string };
  readyz: { status: number; ms: number; body: unknown } | { error: string };
}

/**
 * Checks that a control plane answers on its public API (health and readiness), trusting only
 * the given CA. The simulator reaches control planes this way only: never through their code.
 */
export async function probeControlPlane(url: string, caPem: string): Promise<ProbeResult> {
  const agent = new Agent({ connect: { ca: caPem }, connectTimeout: 5_000, headersTimeout: 10_000, bodyTimeout: 10_000 });
  const timed = async (path: string) => {
    const started = performance.now();
    try {
      const response = await request(new URL(path, url), { dispatcher: agent });
      const text = await response.body.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // keep the text
      }
      return { status: response.statusCode, ms: Math.round((performance.now() - started) * 100) / 100, body };
    } catch (error) {
      return { error: error instanceof Error ? error.message : 'request failed' };
    }
  };
  try {
    const healthz = await timed('/healthz');
    const readyz = await timed('/readyz');
    return { url, healthz: 'error' in healthz ? healthz : { status: healthz.status, ms: healthz.ms }, readyz };
  } finally {
    await agent.close();
  }
}
