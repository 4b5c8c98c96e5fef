import { describe, expect, it } from 'vitest';
import { openInBrowser, systemOpener } from './open-in-browser';

describe('opening the launch link in the system browser', () => {
  it('picks the opener of each OS', () => {
    const url = 'http://127.0.0.1:1/launch?secret=x';
    expect(systemOpener('darwin', {})?.args(url)).toEqual([url]);
    expect(systemOpener('win32', {})?.args(url).at(-1)).toBe(`start "" "${url}"`);
    expect(systemOpener('linux', { DISPLAY: ':0' })?.args(url)).toEqual([url]);
    expect(systemOpener('linux', { WAYLAND_DISPLAY: 'wayland-0' })?.command).toBe('xdg-open');
  });

  it('asks nobody on Linux without a graphical session (xdg-open could take over the terminal)', () => {
    expect(systemOpener('linux', {})).toBeNull();
    expect(openInBrowser('http://127.0.0.1:1/launch?secret=x', 'linux', {})).toBeNull();
  });

  it('never throws when the opener does not exist', () => {
    // A graphical session is claimed but PATH holds no xdg-open: the spawn error is swallowed.
    expect(() => openInBrowser('http://127.0.0.1:1/launch?secret=x', 'linux', { DISPLAY: ':0', PATH: '/nonexistent' })).not.toThrow();
  });
});
