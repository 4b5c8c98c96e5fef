import { cleanup, configure } from '@testing-library/react';
import { afterEach } from 'vitest';

// findBy and waitFor give up after 5 s rather than 1 s: under CI's load (every project at once on
// two cores) a screen can take over a second to settle; one that never does still fails.
configure({ asyncUtilTimeout: 5_000 });

// Every renderer test starts unmounted and at the console's root URL: the hash router keeps the
// screen in the URL, which would otherwise carry one test's screen into the next.
afterEach(() => {
  cleanup();
  window.history.replaceState(null, '', window.location.pathname);
});
