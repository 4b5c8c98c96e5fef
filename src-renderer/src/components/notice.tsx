import { type ReactNode } from 'react';

/**
 * A message that is not an error: `success` (green, announced politely: "Ledger verified"),
 * `warning` (amber: something the operator must act on, "shown only once") or `info` (neutral).
 * Errors use FormAlert (red, role=alert).
 */
export function Notice({ tone, title, children }: { tone: 'success' | 'warning' | 'info'; title?: string; children?: ReactNode }) {
  return (
    <div className={`notice notice-${tone}`} role={tone === 'success' ? 'status' : 'note'}>
      {title ? <p className="notice-title">{title}</p> : null}
      {children}
    </div>
  );
}
