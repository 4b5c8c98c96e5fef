// Panels and dialogs close with Escape and give focus back to the control that opened them.
import { useCallback, useEffect, useRef, useState } from 'react';

/** Open panels, innermost last: Escape closes only the innermost one. */
const escapeStack: (() => void)[] = [];

function onKeyDown(event: KeyboardEvent): void {
  if (event.key !== 'Escape' || event.defaultPrevented) {
    return;
  }
  const close = escapeStack.at(-1);
  if (close) {
    event.preventDefault();
    close();
  }
}

/** While `active`, Escape calls `onEscape` (unless a panel opened later is still open). */
export function useEscape(active: boolean, onEscape: () => void): void {
  const latest = useRef(onEscape);
  useEffect(() => {
    latest.current = onEscape;
  });
  useEffect(() => {
    if (!active) {
      return;
    }
    const entry = () => {
      latest.current();
    };
    escapeStack.push(entry);
    if (escapeStack.length === 1) {
      document.addEventListener('keydown', onKeyDown);
    }
    return () => {
      escapeStack.splice(escapeStack.indexOf(entry), 1);
      if (escapeStack.length === 0) {
        document.removeEventListener('keydown', onKeyDown);
      }
    };
  }, [active]);
}

export type Panel<T> = {
  /** What the panel is open for, or null when closed. */
  value: T | null;
  /** Opens it for `value`; focus returns to `opener` (by default the focused element) on close. */
  open: (value: T, opener?: HTMLElement | null) => void;
  close: () => void;
};

/** An inline panel or dialog: one value at a time, closed by `close()` or Escape. */
export function usePanel<T>(onClose?: () => void): Panel<T> {
  const [value, setValue] = useState<T | null>(null);
  const opener = useRef<HTMLElement | null>(null);
  const closed = useRef(onClose);
  useEffect(() => {
    closed.current = onClose;
  });
  const open = useCallback((next: T, from?: HTMLElement | null) => {
    opener.current = from ?? (document.activeElement instanceof HTMLElement ? document.activeElement : null);
    setValue(next);
  }, []);
  const close = useCallback(() => {
    setValue(null);
    closed.current?.();
    const target = opener.current;
    opener.current = null;
    // The opener may be gone (a Suspend button becomes Resume once the tenant is suspended).
    if (target?.isConnected) {
      target.focus();
    }
  }, []);
  useEscape(value !== null, close);
  return { value, open, close };
}
