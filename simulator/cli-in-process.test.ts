import { describe, expect, it } from 'vitest';
import { simulateInProcess } from './cli-in-process';

describe('the CLI in process', () => {
  it('answers with the exit code and what went to stdout and stderr', async () => {
    expect(await simulateInProcess('--version-of-nothing')).toMatchObject({ code: 2, stdout: '', stderr: expect.stringMatching(/^simulate: unknown option/) as unknown });
    expect((await simulateInProcess('--help')).stdout).toMatch(/^Usage: simulate/);
  });
});
