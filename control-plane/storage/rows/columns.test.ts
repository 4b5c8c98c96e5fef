import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { bytes, count, flag, integer, json, optionalInteger } from './columns';

describe('row columns', () => {
  it('reads a boolean as SQLite (0/1) and PostgreSQL (boolean) give it', () => {
    expect([flag.parse(1), flag.parse(true), flag.parse(0), flag.parse(false)]).toEqual([true, true, false, false]);
    expect(() => flag.parse(2)).toThrow();
    expect(() => flag.parse('true')).toThrow();
  });

  it('reads an integer from a number (SQLite) or a bigint string (PostgreSQL), and keeps NULL apart from 0', () => {
    expect([integer.parse(7), integer.parse('7'), count('12')]).toEqual([7, 7, 12]);
    expect(optionalInteger.parse(null)).toBeNull();
    expect(() => integer.parse('seven')).toThrow();
    expect(() => integer.parse(1.5)).toThrow();
  });

  it('parses a JSON text column against its schema, and a blob only as bytes', () => {
    expect(json(z.array(z.string())).parse('["a","b"]')).toEqual(['a', 'b']);
    expect(() => json(z.array(z.string())).parse('[1]')).toThrow();
    expect(bytes.parse(Buffer.from([1, 2]))).toEqual(Buffer.from([1, 2]));
    expect(() => bytes.parse('0102')).toThrow();
  });
});
