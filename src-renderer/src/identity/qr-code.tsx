import { useMemo } from 'react';
import { create } from 'qrcode';

/** Modules of blank border around the code, as the QR standard asks, so every reader finds it. */
const QUIET_ZONE = 4;

/**
 * A QR code drawn as inline SVG from `qrcode`'s module matrix: no canvas, no data URL, no markup
 * from a string, so it fits the console's CSP as it is. Dark modules are one path.
 */
export function QrCode({ value, label, size = 232 }: { value: string; label: string; size?: number }) {
  const { path, extent } = useMemo(() => {
    const { modules } = create(value, { errorCorrectionLevel: 'M' });
    const parts: string[] = [];
    for (let row = 0; row < modules.size; row++) {
      for (let col = 0; col < modules.size; col++) {
        if (modules.get(row, col)) parts.push(`M${col} ${row}h1v1h-1z`);
      }
    }
    return { path: parts.join(''), extent: modules.size + QUIET_ZONE * 2 };
  }, [value]);
  return (
    <svg className="qr-code" role="img" aria-label={label} width={size} height={size} viewBox={`${-QUIET_ZONE} ${-QUIET_ZONE} ${extent} ${extent}`} shapeRendering="crispEdges">
      <rect x={-QUIET_ZONE} y={-QUIET_ZONE} width={extent} height={extent} fill="#ffffff" />
      <path d={path} fill="#000000" />
    </svg>
  );
}
