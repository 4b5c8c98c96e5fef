import { createContext, useContext, type ReactNode } from 'react';
import { type ConsoleApi } from './api';

const ApiContext = createContext<ConsoleApi | null>(null);

/** Provides the console API to the tree (the real bridge in main.tsx, a fake one in tests). */
export function ApiProvider({ api, children }: { api: ConsoleApi; children: ReactNode }) {
  return <ApiContext value={api}>{children}</ApiContext>;
}

export function useApi(): ConsoleApi {
  const api = useContext(ApiContext);
  if (!api) {
    throw new Error('useApi() needs an <ApiProvider> above it.');
  }
  return api;
}
