import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { z } from 'zod';
import { createApi } from './api';
import { resolveBridge } from './bridge';
import { ConsoleRoot } from './console-root';
import { createQueryClient } from './queries';
import './styles.css';

// The CSP allows no eval: tell zod not to even probe for it (the probe is reported as a violation).
z.config({ jitless: true });

const container = document.getElementById('root');
if (!container) {
  throw new Error('Bulkhead: #root is missing from index.html.');
}

createRoot(container).render(
  <StrictMode>
    <ConsoleRoot api={createApi(resolveBridge())} queryClient={createQueryClient()} />
  </StrictMode>,
);
