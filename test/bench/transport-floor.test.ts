import { Agent, request } from 'undici';
import { describe, expect, it } from 'vitest';
import { startTransportFloor, type FloorMode } from './transport-floor';

/** Whether a process of this id is still there (signal 0 only asks). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const ANSWER = { batch_id: 'floor', admitted_units: 500, duplicate: false };

/** Starts a floor in `mode`, sends it each body over HTTPS on loopback (expecting the status paired with it), and stops it. */
async function floorRound(mode: FloorMode, sent: [body: string, status: number][]): Promise<void> {
  const bodies = sent.map(([body]) => body);
  const floor = await startTransportFloor(mode);
  expect(floor.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  expect(alive(floor.pid)).toBe(true);
  const dispatcher = new Agent({ connect: { ca: floor.ca } });
  try {
    for (const [body, status] of sent) {
      const response = await request(`${floor.url}/agent/v1/ingest`, { method: 'POST', dispatcher, headers: { 'content-type': 'application/json' }, body });
      expect(response.statusCode).toBe(status);
      const answer: unknown = await response.body.json();
      if (status === 202) expect(answer).toEqual(ANSWER);
      else expect(answer).toEqual({ error: 'body is not JSON' });
    }
  } finally {
    await dispatcher.close();
  }
  const count = await floor.close();
  expect(count).toEqual({ bodies: bodies.length, bytes: bodies.reduce((sum, body) => sum + Buffer.byteLength(body), 0) });
  expect(alive(floor.pid)).toBe(false);
  await expect(floor.close()).rejects.toThrow(/already exited/);
}

describe('transport floor servers', () => {
  const bodies = [JSON.stringify({ batch_id: 'b-1', results: [{ test_id: 't', ts: 1, latency_ms: 2, ok: true }] }), JSON.stringify({ batch_id: 'b-2', results: [] })];
  const big = JSON.stringify({ big: 'y'.repeat(100_000) });

  it('answers the bodies in both modes (only json parses them), counts what it was sent, and stops', async () => {
    // Both at once: each starts a process of its own (tsx and a certificate), the slow part.
    await Promise.all([
      floorRound('read', [...bodies.map((body): [string, number] => [body, 202]), ['not json', 202]]),
      floorRound('json', [...bodies.map((body): [string, number] => [body, 202]), [big, 202], ['not json', 400]]),
    ]);
  });
});
