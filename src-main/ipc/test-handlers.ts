import { ipcChannelNames } from '../../contracts/ipc';
import { ConsoleError } from '../console-error';
import type { IpcHandlers } from './router';

/** For tests: every channel answers not_found unless `overrides` gives it a handler. */
export function testHandlers(overrides: Partial<IpcHandlers>): IpcHandlers {
  const fallback = () => Promise.reject(new ConsoleError('not_found', 'not handled in this test'));
  return Object.fromEntries(ipcChannelNames.map((channel) => [channel, overrides[channel] ?? fallback])) as unknown as IpcHandlers;
}
