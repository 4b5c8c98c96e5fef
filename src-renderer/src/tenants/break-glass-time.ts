// Break-glass times as the tab shows them.

/** "12:05" (minutes:seconds) or "1 h 02 min" left until `until`; "0:00" once it has passed. */
export function timeLeft(until: string, now: number): string {
  const seconds = Math.max(0, Math.floor((Date.parse(until) - now) / 1000));
  if (seconds >= 3600) {
    const minutes = Math.floor(seconds / 60);
    return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
  }
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

/** Whether a request can still change without the operator (so the list keeps being polled). */
export function isOpen(state: string): boolean {
  return state === 'pending' || state === 'approved' || state === 'active';
}
