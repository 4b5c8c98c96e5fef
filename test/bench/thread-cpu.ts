// CPU time of a process, its main thread apart from the rest (worker threads, libuv's pool, V8's
// helpers), read from Linux's /proc. CPU seconds per result do not depend on how busy the shared
// machine is, where results per second do: the bench reports both.
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's utime and stime (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

export interface ThreadCpu {
  /** The main thread (its thread id is the process id). */
  main: number;
  /** Every other thread of the process. */
  others: number;
}

/** CPU seconds (user + system) of one line of /proc/<pid>/task/<tid>/stat (or /proc/<pid>/stat). */
export function statCpuSeconds(stat: string): number {
  // Fields after the command name (which may hold spaces and parentheses): utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  if (!Number.isFinite(ticks)) throw new Error(`not a /proc stat line: ${stat.slice(0, 80)}`);
  return ticks / TICKS_PER_SECOND;
}

/** CPU seconds (user + system) a process's threads have used so far; null where /proc is missing. */
export function threadCpuSeconds(pid: number): ThreadCpu | null {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return null;
  }
  const cpu: ThreadCpu = { main: 0, others: 0 };
  for (const tid of tids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended between the listing and the read
    }
    const seconds = statCpuSeconds(stat);
    if (tid === String(pid)) cpu.main += seconds;
    else cpu.others += seconds;
  }
  return cpu;
}

/** CPU µs per result of this process (the agents) and of the server's main thread and its other threads. */
export interface CpuPerResult {
  client_us: number;
  server_main_us: number;
  server_other_us: number;
}

/** Starts a window; the function it returns ends it, given the results acknowledged in it. */
export function cpuPerResult(serverPid: number): (results: number) => CpuPerResult | null {
  const server = threadCpuSeconds(serverPid);
  const client = process.cpuUsage();
  return (results) => {
    const after = threadCpuSeconds(serverPid);
    if (server === null || after === null || results === 0) return null;
    const used = process.cpuUsage(client);
    const perResult = (seconds: number) => Math.round((seconds * 1e6 * 100) / results) / 100;
    return {
      client_us: perResult((used.user + used.system) / 1e6),
      server_main_us: perResult(after.main - server.main),
      server_other_us: perResult(after.others - server.others),
    };
  };
}

/** The mean of each figure over the windows that have one (null when none has). */
export function meanCpu(windows: (CpuPerResult | null)[]): CpuPerResult | null {
  const measured = windows.filter((window): window is CpuPerResult => window !== null);
  if (measured.length === 0) return null;
  const mean = (pick: (window: CpuPerResult) => number) => Math.round((measured.reduce((sum, window) => sum + pick(window), 0) / measured.length) * 100) / 100;
  return { client_us: mean((window) => window.client_us), server_main_us: mean((window) => window.server_main_us), server_other_us: mean((window) => window.server_other_us) };
}
