import { describe, expect, it } from 'vitest';
import { type FleetShard, mergeShards } from '../bench/fleet-agents';

const shard = (over: Partial<FleetShard>): FleetShard => ({
  kind: 'shard',
  agents: 0,
  connected_agents: 0,
  latencies: [],
  admitted_latencies: [],
  steady_latencies: [],
  tcp_ms: [],
  tls_ms: [],
  hello_ms: [],
  done_ms: [],
  admitted: 0,
  refused: 0,
  resent: 0,
  errors: {},
  errors_by_second: {},
  errors_after: {},
  retry_after_s: {},
  closed_before_answer: {},
  connect_failures: { tcp_not_connected: 0, no_server_hello: 0, server_hello_processed: 0 },
  cpu_ms: 0,
  elapsed_ms: 0,
  event_loop_delay_ms: { p99: 0, max: 0 },
  ...over,
});

describe('mergeShards', () => {
  it("pools the processes' samples for percentiles and adds their counts", () => {
    // One fast process and one slow one: the pooled p50 falls between them, the p99 in the slow one.
    const fast = shard({ agents: 2, connected_agents: 2, latencies: Array.from({ length: 50 }, (_, i) => i + 1), tls_ms: [5, 1500], hello_ms: [3, 1400], done_ms: [2, 100], admitted: 40, refused: 10, errors: { UND_ERR_CONNECT_TIMEOUT: 1 }, errors_by_second: { '3': 1 }, cpu_ms: 500, elapsed_ms: 1000, event_loop_delay_ms: { p99: 10, max: 20 } });
    const slow = shard({ agents: 3, connected_agents: 2, latencies: Array.from({ length: 50 }, (_, i) => 1000 + i), tls_ms: [6000], hello_ms: [200], done_ms: [5800], admitted: 45, refused: 5, resent: 2, errors: { UND_ERR_CONNECT_TIMEOUT: 2, http_500: 1 }, errors_by_second: { '3': 2, '9': 1 }, connect_failures: { tcp_not_connected: 0, no_server_hello: 3, server_hello_processed: 0 }, cpu_ms: 700, elapsed_ms: 2000, event_loop_delay_ms: { p99: 900, max: 4000 } });
    const report = mergeShards([fast, slow], 50);
    expect(report).toMatchObject({
      processes: 2,
      agents: 5,
      connected_agents: 4,
      admitted: 85,
      refused_429: 15,
      results_admitted: 4250,
      resent_after_close: 2,
      // 100 answers, 2 resends, 4 errors.
      requests: 106,
      errors: { UND_ERR_CONNECT_TIMEOUT: 3, http_500: 1 },
      errors_by_second: { '3': 3, '9': 1 },
      connect_failures: { tcp_not_connected: 0, no_server_hello: 3, server_hello_processed: 0 },
      tls_handshake_ms: { count: 3, p50: 1500, max: 6000, over_1s: 2, over_5s: 1, to_server_hello: { p50: 200, p99: 1400, over_1s: 1 }, server_hello_to_done: { p50: 100, p99: 5800, over_1s: 1 } },
      // 1.2 s of CPU over the longer process's 2 s.
      cpu_percent: 60,
      event_loop_delay_ms: { p99: 900, max: 4000 },
    });
    expect(report.latency_ms.p50).toBe(50);
    expect(report.latency_ms.p99).toBe(1048);
  });
});
