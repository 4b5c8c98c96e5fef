import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { ConnectionBounds } from './connection-bounds';

class FakeConnection extends EventEmitter {
  destroyed = false;
  close(): void {
    this.destroyed = true;
    this.emit('close');
  }
}

describe('ConnectionBounds', () => {
  it('counts a connection once for the token and tenant of its first request, refuses past either bound, and frees a slot on close', () => {
    const bounds = new ConnectionBounds({ perAgent: 2, perTenant: 3 });
    const [a1, a2, a3, b1, b2, c1] = [new FakeConnection(), new FakeConnection(), new FakeConnection(), new FakeConnection(), new FakeConnection(), new FakeConnection()];
    expect(bounds.claim(a1, 'token-a', 'tenant-1')).toBeNull();
    expect(bounds.claim(a1, 'token-a', 'tenant-1'), 'the same connection again is not counted twice').toBeNull();
    expect(bounds.claim(a2, 'token-a', 'tenant-1')).toBeNull();
    expect(bounds.claim(a3, 'token-a', 'tenant-1')).toEqual({ scope: 'agent', limit: 2 });
    expect(bounds.open('token-a', 'tenant-1')).toEqual({ agent: 2, tenant: 2 });
    // Another token of the same tenant: its own bound, but the tenant's is shared.
    expect(bounds.claim(b1, 'token-b', 'tenant-1')).toBeNull();
    expect(bounds.claim(b2, 'token-b', 'tenant-1')).toEqual({ scope: 'tenant', limit: 3 });
    // Another tenant is not affected.
    expect(bounds.claim(c1, 'token-c', 'tenant-2')).toBeNull();

    a1.close();
    expect(bounds.open('token-a', 'tenant-1')).toEqual({ agent: 1, tenant: 2 });
    expect(bounds.claim(a3, 'token-a', 'tenant-1'), 'a closed connection frees its slot').toBeNull();
    // A counted connection carrying another token later is still allowed (a shared pool).
    expect(bounds.claim(a2, 'token-b', 'tenant-1')).toBeNull();
  });

  it('does not count a connection that is already closed (its close event has passed)', () => {
    const bounds = new ConnectionBounds({ perAgent: 1, perTenant: 1 });
    const gone = new FakeConnection();
    gone.close();
    expect(bounds.claim(gone, 'token-a', 'tenant-1')).toBeNull();
    expect(bounds.open('token-a', 'tenant-1')).toEqual({ agent: 0, tenant: 0 });
    expect(bounds.claim(new FakeConnection(), 'token-a', 'tenant-1')).toBeNull();
  });
});
