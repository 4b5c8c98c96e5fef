import { SqliteStorage, sqliteLayout } from './control-plane/storage/sqlite/sqlite-storage';
let t0 = performance.now();
const storage = SqliteStorage.open(sqliteLayout('/tmp/vprof/data'), Buffer.alloc(32, 7));
console.log('open ms', performance.now() - t0);
const N = 200_000;
const times: number[] = [];
for (let i = 0; i < 200; i++) {
  const from = 1 + ((i + 1) * 65_432) % N;
  const t = performance.now();
  await storage.ledgers.consistencyProof('provider', from, N);
  times.push(performance.now() - t);
}
times.sort((a, b) => a - b);
console.log('median', times[100], 'p90', times[180]);
await storage.close();
