import { Writable } from 'node:stream';

/**
 * A stream that keeps what is written, as a terminal (`isTTY`) or as a pipe: what tests of the CLI,
 * the progress view and the report give as stdout and stderr.
 */
export function capturedStream(isTTY = false): { stream: NodeJS.WriteStream; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  }) as unknown as NodeJS.WriteStream;
  Object.assign(stream, { isTTY, columns: 120, rows: 40 });
  return { stream, text: () => text };
}
