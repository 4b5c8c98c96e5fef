import { spawn } from 'node:child_process';

export type Opener = { command: string; args: (url: string) => string[]; verbatim?: boolean };

/**
 * How this OS opens a URL in the user's browser, or null where there is none to ask: `open` on
 * macOS, `start` on Windows, `xdg-open` on Linux and the BSDs, but only with a graphical session
 * (DISPLAY or WAYLAND_DISPLAY): without one xdg-open may start a text browser in this very terminal.
 */
export function systemOpener(platform: NodeJS.Platform, env: NodeJS.ProcessEnv): Opener | null {
  switch (platform) {
    case 'darwin':
      return { command: 'open', args: (url) => [url] };
    case 'win32':
      // `start` is a cmd built-in; its first quoted argument is a window title, hence the empty one.
      // Passed verbatim so Node does not escape the quotes; the URL is ours (loopback, base64url secret).
      return { command: 'cmd', args: (url) => ['/d', '/s', '/c', `start "" "${url}"`], verbatim: true };
    default:
      return env.DISPLAY || env.WAYLAND_DISPLAY ? { command: 'xdg-open', args: (url) => [url] } : null;
  }
}

/**
 * Asks the system to open `url`, detached and without waiting. Never throws and never fails the
 * caller: a missing opener or browser only means the operator clicks the printed link instead.
 * Returns the opener's name when it was asked, null when there was none.
 */
export function openInBrowser(url: string, platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): string | null {
  const opener = systemOpener(platform, env);
  if (opener === null) {
    return null;
  }
  try {
    const child = spawn(opener.command, opener.args(url), { detached: true, stdio: 'ignore', windowsHide: true, windowsVerbatimArguments: opener.verbatim ?? false });
    child.on('error', () => {
      // ENOENT and the like: the printed link is still there.
    });
    child.unref();
    return opener.command === 'cmd' ? 'start' : opener.command;
  } catch {
    return null;
  }
}
