/** Runs `fn` repeatedly for about `ms` (after a warm-up) and reports operations per second and the median time per call. */
export async function measure(name: string, fn: () => unknown, ms = 1_000): Promise<{ name: string; ops_per_sec: number; median_us: number; samples: number }> {
  for (let i = 0; i < 20; i++) {
    await fn();
  }
  const times: number[] = [];
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    const started = performance.now();
    await fn();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const total = times.reduce((sum, t) => sum + t, 0);
  const median = times[Math.floor(times.length / 2)] ?? 0;
  return { name, ops_per_sec: Math.round((times.length / total) * 1000), median_us: Math.round(median * 1000 * 10) / 10, samples: times.length };
}
