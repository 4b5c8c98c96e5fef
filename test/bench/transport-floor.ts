// P1's floor: what the same agents, sending the same bodies over HTTPS from the same process, reach
// against a server that does nothing with them. Run in a process of its own, as `serve` is, so the
// bench's agents and the server share the machine's two cores exactly as they do end to end.
// `read` answers 202 once the body is read; `json` also JSON.parses it (the least any JSON ingest does).
import { fork } from 'node:child_process';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createCertificateAuthority, createServerCertificate } from '../../control-plane/tls/certificates';
import { exitWithParentArgs } from '../helpers/cli-process';

export type FloorMode = 'read' | 'json';

interface Ready {
  port: number;
  ca: string;
}

/** What the floor server received, sent as it stops (so a test sees it served the bodies it was sent). */
export interface FloorCount {
  bodies: number;
  bytes: number;
}

function isFloorCount(message: unknown): message is FloorCount {
  return typeof message === 'object' && message !== null && 'bodies' in message && 'bytes' in message;
}

/** Starts the floor server in a child process; `close` ends it and gives what it received. */
export async function startTransportFloor(mode: FloorMode): Promise<{ url: string; ca: string; pid: number; close: () => Promise<FloorCount> }> {
  const child = fork(fileURLToPath(import.meta.url), [mode], { execArgv: ['--import', 'tsx', ...exitWithParentArgs], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ready = await new Promise<Ready>((resolve, reject) => {
    child.once('message', (message) => resolve(message as Ready));
    child.once('exit', (code) => reject(new Error(`the transport floor server exited (${String(code)}) before it listened`)));
  });
  return {
    url: `https://127.0.0.1:${ready.port}`,
    ca: ready.ca,
    pid: child.pid ?? 0,
    close: () =>
      new Promise<FloorCount>((resolve, reject) => {
        if (child.exitCode !== null || child.signalCode !== null) {
          reject(new Error('the transport floor server had already exited'));
          return;
        }
        let count: FloorCount | null = null;
        child.on('message', (message) => {
          if (isFloorCount(message)) count = message;
        });
        child.once('exit', (code) => (count === null ? reject(new Error(`the transport floor server exited (${String(code)}) without its count`)) : resolve(count)));
        child.kill('SIGTERM');
      }),
  };
}

function parses(body: Buffer): boolean {
  try {
    JSON.parse(body.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}

async function serveFloor(mode: FloorMode): Promise<void> {
  const ca = await createCertificateAuthority('Bulkhead bench floor CA');
  const pair = await createServerCertificate(ca, ['127.0.0.1', 'localhost']);
  const answer = Buffer.from('{"batch_id":"floor","admitted_units":500,"duplicate":false}');
  const refusal = Buffer.from('{"error":"body is not JSON"}');
  const count: FloorCount = { bodies: 0, bytes: 0 };
  const server = createServer({ key: pair.keyPem, cert: pair.certPem, keepAliveTimeout: 65_000 }, (request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      count.bytes += chunk.length;
    });
    request.on('end', () => {
      count.bodies += 1;
      if (mode === 'json' && !parses(Buffer.concat(chunks))) {
        // As an ingest would: a 400, not a crash of the floor mid-bench.
        response.writeHead(400, { 'content-type': 'application/json', 'content-length': refusal.length });
        response.end(refusal);
        return;
      }
      response.writeHead(202, { 'content-type': 'application/json', 'content-length': answer.length });
      response.end(answer);
    });
  });
  server.listen(0, '127.0.0.1', () => {
    process.send?.({ port: (server.address() as AddressInfo).port, ca: ca.certPem } satisfies Ready);
  });
  process.once('SIGTERM', () =>
    server.close(() => {
      if (process.send === undefined) process.exit(0);
      else process.send(count, () => process.exit(0));
    }),
  );
  // The bench ends this process; should it die, so does the floor (no orphan on the machine).
  process.once('disconnect', () => process.exit(0));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const mode = process.argv[2] === 'json' ? 'json' : 'read';
  void serveFloor(mode);
}
