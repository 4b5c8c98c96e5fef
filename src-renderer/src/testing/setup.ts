import { cleanup } from '@testing-library/react';
import { afterEach } from 'vitest';

// Every renderer test starts unmounted and at the console's root URL: the hash router keeps the
// screen in the URL, which would otherwise carry one test's screen into the next.
afterEach(() => {
  cleanup();
  window.history.replaceState(null, '', window.location.pathname);
});
