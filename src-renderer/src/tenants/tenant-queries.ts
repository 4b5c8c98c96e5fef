// The tenant screens' queries: keys in one place, so a change invalidates what it touched.
import { useInfiniteQuery } from '@tanstack/react-query';
import { useEffect, useMemo } from 'react';
import { useApi } from '../api-context';

export const tenantKeys = {
  all: ['tenants'] as const,
  summaries: ['tenants', 'summaries'] as const,
  one: (slug: string) => ['tenants', 'one', slug] as const,
  fairness: (slug: string) => ['tenants', 'fairness', slug] as const,
  audit: (slug: string, event: string) => ['tenants', 'audit', slug, event] as const,
  license: ['license'] as const,
};

/** The first page is small so the first rows show at once; the rest come a thousand at a time. */
export const FIRST_PAGE = 200;
export const NEXT_PAGE = 1000;

/**
 * Every tenant's summary, page after page until the last: the rows loaded so far are shown while
 * the rest load, and sorting and filtering run in memory over them.
 */
export function useTenantSummaries() {
  const api = useApi();
  const query = useInfiniteQuery({
    queryKey: tenantKeys.summaries,
    queryFn: ({ pageParam }) => api.call('tenants:summaries', pageParam === null ? { limit: FIRST_PAGE } : { limit: NEXT_PAGE, cursor: pageParam }),
    initialPageParam: null as string | null,
    getNextPageParam: (page) => page.next_cursor,
  });
  const { hasNextPage, isFetching, isError, fetchNextPage } = query;
  const loadedPages = query.data?.pages.length ?? 0;
  // After each page (and not while any fetch is under way): the next one.
  useEffect(() => {
    if (hasNextPage && !isFetching && !isError) {
      void fetchNextPage();
    }
  }, [hasNextPage, isFetching, isError, fetchNextPage, loadedPages]);
  const tenants = useMemo(() => query.data?.pages.flatMap((page) => page.items) ?? [], [query.data]);
  return { query, tenants, loadingMore: hasNextPage };
}
