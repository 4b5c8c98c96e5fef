import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { z } from 'zod';
import { App } from './app';
import './portal.css';

// The CSP allows no eval: tell zod not to even probe for it (the probe is reported as a violation).
z.config({ jitless: true });

const container = document.getElementById('root');
if (!container) {
  throw new Error('The portal: #root is missing from index.html.');
}

createRoot(container).render(
  <StrictMode>
    <App loadBrand={() => fetchBrand(window.fetch.bind(window))} />
  </StrictMode>,
);

/** The brand of the host this page is on: the control plane resolves it from the request's Host. */
async function fetchBrand(fetcher: typeof fetch): Promise<unknown> {
  const response = await fetcher('/v1/branding/resolve', { headers: { accept: 'application/json' }, credentials: 'omit', cache: 'no-store' });
  if (!response.ok) throw new Error(`brand: ${response.status}`);
  return response.json();
}
