import { readdirSync, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { cpuPerResult, meanCpu, statCpuSeconds, threadCpuSeconds } from './thread-cpu';

/** Lines as Linux writes /proc/<pid>/task/<tid>/stat: utime 250 and stime 30 ticks (2.8 s) in each. */
const SAMPLES = {
  plain: '29596 (node) S 29595 29596 29596 0 -1 4194560 14294 1868284 0 69 250 30 11962 2843 20 0 11 0 1258031 5255168 981 18446744073709551615 0 0 0 0 0 0 65536 4 0 0 0 0 17 0 0 0 0 0 0',
  // A thread's name may hold spaces and parentheses: only the last ')' ends it.
  awkward: '29601 (V8 (Worker) x) R 29595 29596 29596 0 -1 4194368 10 0 0 0 250 30 0 0 20 0 11 0 1258035 5255168 981 18446744073709551615 0 0 0 0 0 0 0 4 0 0 0 0 -1 1 0 0 0 0 0',
};

/** Keeps the calling thread busy until `seconds` of this process's CPU have gone by. */
function burn(seconds: number): void {
  const start = process.cpuUsage();
  for (;;) {
    const used = process.cpuUsage(start);
    if ((used.user + used.system) / 1e6 >= seconds) return;
  }
}

describe('thread CPU from /proc', () => {
  it('reads utime + stime from a stat line, whatever the command name holds', () => {
    expect(statCpuSeconds(SAMPLES.plain)).toBeCloseTo(2.8, 10);
    expect(statCpuSeconds(SAMPLES.awkward)).toBeCloseTo(2.8, 10);
    expect(statCpuSeconds(SAMPLES.plain.replace(' 250 30 ', ' 0 7 '))).toBeCloseTo(0.07, 10);
    expect(() => statCpuSeconds('29596 (node) S 1 2 3')).toThrow(/not a \/proc stat line/);
  });

  it('reads the stat lines of this process as /proc has them', () => {
    const tids = readdirSync(`/proc/${process.pid}/task`);
    expect(tids).toContain(String(process.pid));
    let total = 0;
    for (const tid of tids) {
      const seconds = statCpuSeconds(readFileSync(`/proc/${process.pid}/task/${tid}/stat`, 'utf8'));
      expect(seconds).toBeGreaterThanOrEqual(0);
      total += seconds;
    }
    // Vitest has loaded this file: the main thread has used some CPU, and the sum matches threadCpuSeconds.
    const cpu = threadCpuSeconds(process.pid);
    expect(cpu?.main).toBeGreaterThan(0);
    expect((cpu?.main ?? 0) + (cpu?.others ?? 0)).toBeGreaterThanOrEqual(total - 0.05);
  });

  it('counts the main thread apart from a busy worker thread, and null for a process that is gone', async () => {
    const before = threadCpuSeconds(process.pid);
    burn(0.2);
    const afterMain = threadCpuSeconds(process.pid);
    // A worker that spins for 0.3 s of wall time, then waits (alive, so its /proc entry stays) to be ended.
    const worker = new Worker('const end = Date.now() + 300; while (Date.now() < end); require("node:worker_threads").parentPort.postMessage("done"); setInterval(() => {}, 1000);', { eval: true });
    try {
      await once(worker, 'message');
      const afterWorker = threadCpuSeconds(process.pid);
      if (before === null || afterMain === null || afterWorker === null) throw new Error('no /proc for this process');
      expect(afterMain.main - before.main).toBeGreaterThanOrEqual(0.1);
      // The loaded shared machine may give the worker less than its 0.3 s: some of it, not all.
      expect(afterWorker.others - afterMain.others).toBeGreaterThanOrEqual(0.05);
      expect(afterWorker.main - afterMain.main).toBeLessThan(afterWorker.others - afterMain.others);
    } finally {
      await worker.terminate();
    }
    expect(threadCpuSeconds(2 ** 31 - 1)).toBeNull();
  });

  it('gives CPU µs per result over a window, null without results or without the server', () => {
    const end = cpuPerResult(process.pid);
    burn(0.05);
    const window = end(1000);
    expect(window).not.toBeNull();
    // 0.05 s over 1,000 results: 50 µs each or more for this process (the client), most of it on its main thread.
    expect(window?.client_us).toBeGreaterThanOrEqual(50);
    expect(window?.server_main_us).toBeGreaterThanOrEqual(30);
    expect(window?.server_other_us).toBeLessThan(window?.server_main_us ?? 0);
    expect(end(0)).toBeNull();
    expect(cpuPerResult(2 ** 31 - 1)(1000)).toBeNull();
  });

  it('means each figure over the windows that have one', () => {
    expect(meanCpu([])).toBeNull();
    expect(meanCpu([null, null])).toBeNull();
    expect(
      meanCpu([
        { client_us: 1, server_main_us: 10, server_other_us: 100 },
        null,
        { client_us: 2, server_main_us: 20, server_other_us: 201 },
      ]),
    ).toEqual({ client_us: 1.5, server_main_us: 15, server_other_us: 150.5 });
  });
});
