import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { app, BrowserWindow, dialog, ipcMain, protocol, safeStorage, session } from 'electron';
import { ipcChannelNames, type IpcEvent, type IpcEventPayload } from '../../contracts/ipc';
import { CONSOLE_CSP } from '../security/csp';
import { safeFilename, type FileSaver } from '../services/file-saver';
import { createConsoleHost, type ConsoleHost } from '../console-host';
import { resolveControlPlaneCommand, resolveSimulatorWorker } from '../control-plane/cli-command';
import { APP_ORIGIN, APP_SCHEME, contentTypeFor, isTrustedSenderUrl, resolveRendererAsset } from '../security/renderer-assets';

// out/main/index.js → the app root is two levels up.
const appRoot = join(import.meta.dirname, '..', '..');
const rendererDir = join(appRoot, 'out', 'renderer');
const preloadPath = join(appRoot, 'out', 'preload', 'index.cjs');

app.enableSandbox();
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

let mainWindow: BrowserWindow | null = null;
let host: ConsoleHost | null = null;

function emit<E extends IpcEvent>(event: E, payload: IpcEventPayload<E>): void {
  if (mainWindow && !mainWindow.isDestroyed()) {
    mainWindow.webContents.send(event, payload);
  }
}

/** App-wide denials: no navigation, no new windows, no webviews, no permissions but writing the clipboard. */
function hardenWebContents(): void {
  app.on('web-contents-created', (_event, contents) => {
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
    contents.on('will-navigate', (event) => event.preventDefault());
    contents.on('will-redirect', (event) => event.preventDefault());
    contents.on('will-attach-webview', (event) => event.preventDefault());
  });
  // One exception: writing (never reading) the clipboard, for the enrollment secret and recovery codes' copy buttons.
  session.defaultSession.setPermissionRequestHandler((_contents, permission, callback) => callback(permission === 'clipboard-sanitized-write'));
  session.defaultSession.setPermissionCheckHandler((_contents, permission) => permission === 'clipboard-sanitized-write');
  session.defaultSession.setDevicePermissionHandler(() => false);
}

function serveRenderer(): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const file = resolveRendererAsset(rendererDir, request.url);
    if (file === null) {
      return new Response('not found', { status: 404 });
    }
    try {
      const body = await readFile(file);
      return new Response(body, {
        headers: { 'content-type': contentTypeFor(file), 'content-security-policy': CONSOLE_CSP, 'x-content-type-options': 'nosniff' },
      });
    } catch {
      return new Response('not found', { status: 404 });
    }
  });
}

/** Exports and reports: the operator picks where in the system's save dialog; the renderer never names a path. */
const saveWithDialog: FileSaver = async (suggestedName, bytes) => {
  const options = { defaultPath: join(app.getPath('downloads'), safeFilename(suggestedName)) };
  const choice = mainWindow ? await dialog.showSaveDialog(mainWindow, options) : await dialog.showSaveDialog(options);
  if (choice.canceled || choice.filePath === '') return { saved: false };
  await writeFile(choice.filePath, bytes);
  return { saved: true, filename: choice.filePath.split(/[\\/]/).pop() ?? '', bytes: bytes.byteLength };
};

function registerIpc(consoleHost: ConsoleHost): void {
  for (const channel of ipcChannelNames) {
    ipcMain.handle(channel, (event, payload: unknown) => {
      const frame = event.senderFrame;
      const trusted = frame !== null && mainWindow !== null && event.sender === mainWindow.webContents && frame === event.sender.mainFrame && isTrustedSenderUrl(frame.url, true);
      return consoleHost.router.handle(channel, payload, { trustedSender: trusted });
    });
  }
}

function createWindow(): BrowserWindow {
  const window = new BrowserWindow({
    width: 1280,
    height: 820,
    show: false,
    title: 'Bulkhead',
    webPreferences: {
      preload: preloadPath,
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
      navigateOnDragDrop: false,
      // Middle-click opens nothing: new windows are denied anyway, this keeps the event from firing at all.
      disableBlinkFeatures: 'Auxclick',
    },
  });
  window.once('ready-to-show', () => window.show());
  void window.loadURL(`${APP_ORIGIN}/index.html`);
  return window;
}

void app.whenReady().then(async () => {
  hardenWebContents();
  serveRenderer();
  const version = app.getVersion();
  host = createConsoleHost({
    mode: 'electron',
    version,
    consoleDataDir: join(app.getPath('userData'), 'console'),
    // Electron's own binary is not a Node with the control plane's native modules: use the Node that ran npm.
    controlPlaneCli: resolveControlPlaneCommand(appRoot, process.env.npm_node_execpath ?? 'node'),
    simulatorWorker: resolveSimulatorWorker(appRoot, process.env.npm_node_execpath ?? 'node'),
    emit,
    log: (message, error) => {
      console.error(message, error instanceof Error ? error.message : '');
    },
    // Usable once the app is ready: the deployment key is kept sealed by the OS keychain.
    keySealer: safeStorage,
    saveFile: saveWithDialog,
  });
  registerIpc(host);
  mainWindow = createWindow();
  await host.start();
});

app.on('window-all-closed', () => {
  app.quit();
});

app.on('will-quit', (event) => {
  if (host) {
    const stopping = host;
    host = null;
    event.preventDefault();
    void stopping.stop().finally(() => app.quit());
  }
});
