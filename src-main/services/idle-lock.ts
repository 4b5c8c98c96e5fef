import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { IDLE_LOCK_MINUTES, type IdleLockView, type IpcChannel, type IpcEvent, type IpcEventPayload } from '../../contracts/ipc';
import { ConsoleError } from '../console-error';
import type { IpcHandlers } from '../ipc/router';

/**
 * Calls that are no sign of a person at the console: the renderer's own polling (the session
 * check every minute, app:info while the control plane starts). They never keep a session awake.
 */
const passiveChannels: ReadonlySet<IpcChannel> = new Set<IpcChannel>(['app:info', 'session:status', 'lock:settings']);

const SettingsFile = z.object({ idle_lock_minutes: z.number().int().min(IDLE_LOCK_MINUTES.min).max(IDLE_LOCK_MINUTES.max) });

type Emit = <E extends IpcEvent>(event: E, payload: IpcEventPayload<E>) => void;

export interface IdleLockOptions {
  /** Where the chosen minutes are kept (JSON, 0600), or null to keep them in memory only. */
  settingsFile: string | null;
  /** A launch flag's value (browser mode's --idle-lock-seconds): wins over the settings, cannot be changed from the console. */
  overrideSeconds?: number | undefined;
  /** Drops the session (signs out) once the console was idle for the set time. */
  onIdle: (idleLockSeconds: number) => Promise<void>;
  now?: () => number;
  log?: (message: string, error?: unknown) => void;
}

/**
 * The console's idle lock. The main process, which holds the session, signs it out after a set
 * time (default 15 minutes) without a call from the renderer; the renderer then shows sign-in
 * saying why. The control plane's own 30-minute idle expiry stays as the backstop.
 */
export class IdleLock {
  private seconds: number;
  private source: IdleLockView['source'];
  private lastActivity = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly now: () => number;

  constructor(private readonly options: IdleLockOptions) {
    this.now = options.now ?? (() => Date.now());
    if (options.overrideSeconds !== undefined) {
      this.seconds = options.overrideSeconds;
      this.source = 'flag';
    } else {
      const saved = this.readSettings();
      this.seconds = (saved ?? IDLE_LOCK_MINUTES.default) * 60;
      this.source = saved === null ? 'default' : 'settings';
    }
  }

  settings(): IdleLockView {
    return { idle_lock_seconds: this.seconds, source: this.source };
  }

  /** Sets the idle time in minutes and keeps it for the next start; a running countdown restarts. */
  configure(minutes: number): IdleLockView {
    if (this.source === 'flag') {
      throw new ConsoleError('conflict', 'The idle lock was set when the console was started (--idle-lock-seconds); restart it without the flag to change it here.');
    }
    if (this.options.settingsFile !== null) {
      writeJsonAtomically(this.options.settingsFile, { idle_lock_minutes: minutes });
    }
    this.seconds = minutes * 60;
    this.source = 'settings';
    if (this.timer !== null) this.arm();
    return this.settings();
  }

  /** Starts counting (a session began); any call from the renderer starts the count again. */
  arm(): void {
    this.lastActivity = this.now();
    this.schedule(this.seconds * 1000);
  }

  /** Stops counting (signed out). */
  disarm(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  get armed(): boolean {
    return this.timer !== null;
  }

  /** Someone used the console. */
  touch(): void {
    this.lastActivity = this.now();
  }

  /**
   * Wraps the emitter: a session starting arms the lock, the last one ending disarms it. With
   * several connections, the one shown may be signed out while another still holds a session.
   */
  observe(emit: Emit, signedInElsewhere: () => boolean = () => false): Emit {
    return (event, payload) => {
      if (event === 'session:changed') {
        if ((payload as IpcEventPayload<'session:changed'>).signed_in || signedInElsewhere()) this.arm();
        else this.disarm();
      }
      emit(event, payload);
    };
  }

  /** Wraps the handlers: every call but the renderer's own polling counts as activity. */
  watch<H extends Partial<IpcHandlers>>(handlers: H): H {
    const watched: Record<string, (request: never) => Promise<unknown>> = {};
    for (const [channel, handler] of Object.entries(handlers) as [IpcChannel, (request: never) => Promise<unknown>][]) {
      watched[channel] = passiveChannels.has(channel)
        ? handler
        : (request) => {
            this.touch();
            return handler(request);
          };
    }
    return watched as H;
  }

  private schedule(delayMs: number): void {
    if (this.timer !== null) clearTimeout(this.timer);
    // One timer per lock, not per call: when it fires early (there was activity), it waits the rest.
    this.timer = setTimeout(() => {
      this.timer = null;
      const idleMs = this.now() - this.lastActivity;
      const limitMs = this.seconds * 1000;
      if (idleMs < limitMs) {
        this.schedule(limitMs - idleMs);
        return;
      }
      this.options.onIdle(this.seconds).catch((error: unknown) => this.options.log?.('idle lock: signing out failed', error));
    }, Math.max(0, delayMs));
    this.timer.unref();
  }

  private readSettings(): number | null {
    if (this.options.settingsFile === null) return null;
    let text: string;
    try {
      text = readFileSync(this.options.settingsFile, 'utf8');
    } catch {
      return null;
    }
    try {
      return SettingsFile.parse(JSON.parse(text)).idle_lock_minutes;
    } catch (error) {
      // A damaged file falls back to the default (the stricter choice) rather than stopping the console.
      this.options.log?.(`idle lock: ignoring ${this.options.settingsFile}`, error);
      return null;
    }
  }
}

function writeJsonAtomically(file: string, value: unknown): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.tmp`;
  writeFileSync(temporary, JSON.stringify(value, null, 2) + '\n', { mode: 0o600 });
  renameSync(temporary, file);
}

/** The lock:* channels over an idle lock. */
export function idleLockHandlers(lock: IdleLock): Pick<IpcHandlers, 'lock:settings' | 'lock:configure'> {
  return {
    'lock:settings': () => Promise.resolve(lock.settings()),
    'lock:configure': (request) => Promise.resolve(lock.configure(request.idle_lock_minutes)),
  };
}
