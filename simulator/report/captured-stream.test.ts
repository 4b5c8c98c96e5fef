import { describe, expect, it } from 'vitest';
import { capturedStream } from './captured-stream';

describe('a captured stream', () => {
  it('keeps what is written, and says whether it is a terminal', () => {
    const pipe = capturedStream();
    pipe.stream.write('a');
    pipe.stream.write(Buffer.from('b'));
    expect(pipe.text()).toBe('ab');
    expect(pipe.stream.isTTY).toBe(false);
    expect(capturedStream(true).stream.isTTY).toBe(true);
  });
});
