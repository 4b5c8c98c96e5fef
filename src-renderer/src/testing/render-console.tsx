import { render } from '@testing-library/react';
import { createApi } from '../api';
import { ConsoleRoot } from '../console-root';
import { createQueryClient } from '../queries';
import { createFakeConsole, type FakeHandlers } from './fake-bridge';

/** Renders the whole console over a fake bridge; returns the fake to inspect calls and emit events. */
export function renderConsole(handlers: FakeHandlers) {
  const fake = createFakeConsole(handlers);
  const queryClient = createQueryClient();
  const view = render(<ConsoleRoot api={createApi(fake.bridge)} queryClient={queryClient} />);
  return { fake, queryClient, ...view };
}
