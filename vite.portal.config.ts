import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * The tenant portal: its own entry, served by the control plane at /portal/ (and resolved by host
 * like branding). Built into out/portal, which the control plane reads (control-plane/http/portal-route.ts).
 */
export default defineConfig({
  root: resolve(import.meta.dirname, 'src-portal'),
  base: '/portal/',
  plugins: [react()],
  build: {
    outDir: resolve(import.meta.dirname, 'out/portal'),
    emptyOutDir: true,
    minify: true,
    // No inline script or style anywhere: the CSP is script-src 'self' and style-src 'self'.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
});
