import { main } from './cli-program';
import { capturedStream } from './report/captured-stream';

/** Runs the CLI in this process (as `simulate <args>`) and keeps what it writes: for tests of its commands. */
export async function simulateInProcess(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const [stdout, stderr] = [capturedStream(), capturedStream()];
  const code = await main(['node', 'simulate', ...args], { stdout: stdout.stream, stderr: stderr.stream });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}
