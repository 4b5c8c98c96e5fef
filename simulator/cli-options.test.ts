import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { decimal, parseBoolean, parseControlPlaneUrl, parseDuration, parseEnvName, wholeNumber } from './cli-options';

describe('CLI option parsers', () => {
  it('reads durations with units, and refuses the rest', () => {
    expect(parseDuration('60s')).toBe(60_000);
    expect(parseDuration('1.5m')).toBe(90_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDuration('45')).toBe(45_000);
    for (const bad of ['', 'soon', '-5s', '10 minutes', '5d', '50ms', '25h']) {
      expect(() => parseDuration(bad), bad).toThrow(InvalidArgumentError);
    }
  });

  it('reads whole numbers and decimals within bounds', () => {
    const tenants = wholeNumber(1, 25);
    expect(tenants('3')).toBe(3);
    for (const bad of ['0', '26', '2.5', 'three', '', '1e3', '-1']) {
      expect(() => tenants(bad), bad).toThrow(InvalidArgumentError);
    }
    expect(decimal(1, 1000)('2.5')).toBe(2.5);
    for (const bad of ['0.5', 'x', '', 'Infinity']) {
      expect(() => decimal(1, 1000)(bad), bad).toThrow(InvalidArgumentError);
    }
  });

  it('reads booleans as people write them', () => {
    expect(['true', 'YES', 'on', '1'].map(parseBoolean)).toEqual([true, true, true, true]);
    expect(['false', 'No', 'off', '0'].map(parseBoolean)).toEqual([false, false, false, false]);
    expect(() => parseBoolean('maybe')).toThrow(InvalidArgumentError);
  });

  it('accepts a control plane origin over https only, without credentials or a path', () => {
    expect(parseControlPlaneUrl('https://127.0.0.1:8443/')).toBe('https://127.0.0.1:8443');
    for (const bad of ['http://127.0.0.1:8443', 'https://user:pw@cp.example', 'https://cp.example/api', 'https://cp.example/?token=x', 'not a url']) {
      expect(() => parseControlPlaneUrl(bad), bad).toThrow(InvalidArgumentError);
    }
  });

  it('takes the name of an environment variable, not a secret', () => {
    expect(parseEnvName('SIM_PASSWORD')).toBe('SIM_PASSWORD');
    expect(() => parseEnvName('hunter2 is my password')).toThrow(InvalidArgumentError);
  });
});
