// The sandboxed preload: exposes exactly one object, `window.bulkhead`, generated from the
// contracts channel map. Never raw ipcRenderer, never an open-ended channel string, no Node.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { createBridge, ipcError, type IpcInvoke, type IpcSubscribe } from '../contracts/ipc';

/** Calls one channel; a rejected invoke (no handler, handler threw) still answers an envelope. */
const invoke: IpcInvoke = (channel, request) =>
  ipcRenderer.invoke(channel, request).catch(() => ipcError('internal_error', `The console could not complete ${channel}.`));

/** Subscribes to one main → renderer event; the listener gets only the payload, never the IPC event. */
const subscribe: IpcSubscribe = (event, listener) => {
  const handler = (_event: IpcRendererEvent, payload: unknown): void => {
    listener(payload);
  };
  ipcRenderer.on(event, handler);
  return () => {
    ipcRenderer.removeListener(event, handler);
  };
};

contextBridge.exposeInMainWorld('bulkhead', createBridge(invoke, subscribe));
