import { useEffect, useState } from 'react';
import { copyText } from './copy-text';

/** A button that copies `text`, then says whether it did (announced politely to screen readers). */
export function CopyButton({ text, label, copiedLabel = 'Copied' }: { text: string; label: string; copiedLabel?: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  useEffect(() => {
    if (state !== 'copied') return;
    const timer = setTimeout(() => setState('idle'), 4000);
    return () => clearTimeout(timer);
  }, [state]);
  return (
    <span className="copy-row">
      <button
        type="button"
        className="button"
        onClick={() => {
          void copyText(text).then((ok) => setState(ok ? 'copied' : 'failed'));
        }}
      >
        {label}
      </button>
      <span className="copy-status" role="status">
        {state === 'copied' ? copiedLabel : state === 'failed' ? 'Copying is not allowed here: select the text and copy it yourself.' : ''}
      </span>
    </span>
  );
}
