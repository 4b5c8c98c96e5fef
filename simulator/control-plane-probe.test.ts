import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { foreignCaPem, startControlPlane, type RunningControlPlane } from '../test/helpers/control-plane-harness';
import { probeControlPlane } from './control-plane-probe';

describe('probeControlPlane against a real control plane over HTTPS', () => {
  let controlPlane: RunningControlPlane;

  beforeAll(async () => {
    controlPlane = await startControlPlane();
  });

  afterAll(async () => {
    await controlPlane.close();
  });

  it('reports healthy and ready', async () => {
    const result = await probeControlPlane(controlPlane.url, controlPlane.caPem);
    expect(result.healthz).toMatchObject({ status: 200 });
    expect(result.readyz).toMatchObject({ status: 200, body: { status: 'ready', storage: 'sqlite' } });
  });

  it('refuses a control plane whose certificate is not from the given CA', async () => {
    const result = await probeControlPlane(controlPlane.url, await foreignCaPem());
    expect(result.healthz).toHaveProperty('error');
  });
});
