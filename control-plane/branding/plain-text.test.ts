import { describe, expect, it } from 'vitest';
import { plainTextProblem } from './plain-text';

describe('plain text in a brand', () => {
  it('accepts ordinary text in any script, with lines where the field has them', () => {
    for (const text of ['Acme Cloud', 'Müller & Söhne — Überwachung', '株式会社アクメ', 'Sign in: use your SSO; call +1 555 0100 (24/7).']) {
      expect(plainTextProblem(text, { lines: false }), text).toBeNull();
    }
    expect(plainTextProblem('Line one\nLine two', { lines: true })).toBeNull();
  });

  it.each([
    ['<b>bold</b>', /</],
    ['</style>', /</],
    ['a > b', /</],
    ['\\75rl(x)', /\\/],
    ['see url(https://x.example)', /url\(/],
    ['URL (x)', /url\(/],
    ['ｕｒｌ(x)', /url\(/],
    ['expression(alert(1))', /expression/],
    ['@IMPORT x', /@import/],
    ['javascript:alert(1)', /script URIs/],
    ['tab\there', /control/],
    ['bell\u0007', /control/],
    ['c1\u0085', /control/],
    ['evil\u202egnp.exe', /bidirectional/],
    ['   ', /white space/],
  ])('refuses %j', (text, expected) => {
    expect(plainTextProblem(text, { lines: false })).toMatch(expected);
  });

  it('refuses a line feed in a one-line field', () => {
    expect(plainTextProblem('a\nb', { lines: false })).toMatch(/control/);
  });
});
