import { describe, expect, it } from 'vitest';
import { sanitizeSvg } from './svg-sanitizer';

const NS = 'xmlns="http://www.w3.org/2000/svg"';
const XLINK = 'xmlns:xlink="http://www.w3.org/1999/xlink"';

const problem = (markup: string) => {
  const verdict = sanitizeSvg(markup);
  return 'problem' in verdict ? verdict.problem : null;
};

describe('the SVG profile of brand logos and favicons', () => {
  it('keeps a plain logo, local fragment references and url(#id) paint, serialized as XML that an <img> reads', () => {
    const verdict = sanitizeSvg(`<?xml version="1.0"?><!-- made by hand --><svg ${NS} ${XLINK} viewBox="0 0 20 20" role="img" aria-label="Acme"><defs><linearGradient id="g"><stop offset="0" stop-color="#123456"/></linearGradient><clipPath id="c"><circle cx="10" cy="10" r="9"/></clipPath></defs><g clip-path="url(#c)"><rect width="20" height="20" fill="url( '#g' )"/></g><text x="2" y="15">A&amp;B</text></svg>`);
    expect('svg' in verdict).toBe(true);
    if (!('svg' in verdict)) return;
    expect(verdict.svg.startsWith(`<svg ${NS}`)).toBe(true);
    expect(verdict.svg).toContain('<stop offset="0" stop-color="#123456"/>');
    expect(verdict.svg).toContain('clip-path="url(#c)"');
    expect(verdict.svg).toContain('A&amp;B');
    expect(verdict.svg).not.toContain('<!--');
    // What is stored passes the profile again unchanged.
    expect(sanitizeSvg(verdict.svg)).toEqual(verdict);
  });

  it.each([
    ['script', `<svg ${NS}><script>alert(1)</script></svg>`, /element script/],
    ['an event handler', `<svg ${NS}><rect onclick="alert(1)" width="1" height="1"/></svg>`, /attribute onclick/],
    ['onload on the root', `<svg ${NS} onload="alert(1)"/>`, /attribute onload/],
    ['foreignObject', `<svg ${NS}><foreignObject><iframe src="https://evil.example"></iframe></foreignObject></svg>`, /element foreignobject/i],
    ['a style element', `<svg ${NS}><style>rect{fill:red}</style></svg>`, /element style/],
    ['a style attribute', `<svg ${NS}><rect style="fill:red" width="1" height="1"/></svg>`, /attribute style/],
    ['a remote href', `<svg ${NS}><linearGradient id="a" href="https://evil.example/g.svg#x"/></svg>`, /attribute href/],
    ['a remote xlink:href', `<svg ${NS} ${XLINK}><linearGradient id="a" xlink:href="//evil.example/g.svg#x"/></svg>`, /attribute xlink:href/],
    ['a javascript: href', `<svg ${NS} ${XLINK}><linearGradient id="a" xlink:href="javascript:alert(1)"/></svg>`, /attribute xlink:href/],
    ['a data: href', `<svg ${NS}><linearGradient id="a" href="data:image/svg+xml,&lt;svg/&gt;"/></svg>`, /attribute href/],
    ['a remote url() in paint', `<svg ${NS}><rect fill="url(https://evil.example/p.svg#g)" width="1" height="1"/></svg>`, /attribute fill/],
    ['a url() that never closes', `<svg ${NS}><rect fill="url(#g" width="1" height="1"/></svg>`, /attribute fill/],
    ['a second, remote url()', `<svg ${NS}><rect filter="url(#f) url(https://evil.example/f)" width="1" height="1"/></svg>`, /attribute filter/],
    ['a CSS escape', `<svg ${NS}><rect fill="\\75rl(https://evil.example)" width="1" height="1"/></svg>`, /attribute fill/],
    ['an <a> link', `<svg ${NS}><a href="#x"><rect width="1" height="1"/></a></svg>`, /element a/],
    ['<use>', `<svg ${NS}><defs><rect id="r" width="1" height="1"/></defs><use href="#r"/></svg>`, /element use/],
    ['<image>', `<svg ${NS}><image href="#x"/></svg>`, /element image/],
    ['animation', `<svg ${NS}><set attributeName="fill" to="red"/></svg>`, /element set/],
    ['feImage', `<svg ${NS}><filter id="f"><feImage href="https://evil.example/x.png"/></filter></svg>`, /element feimage/i],
  ])('refuses %s, naming it', (_what, markup, named) => {
    expect(problem(markup)).toMatch(named);
  });

  it('refuses a DOCTYPE or entity declarations, markup that is not one <svg>, and stray text around it', () => {
    expect(problem(`<!DOCTYPE svg [<!ENTITY lol "lol">]><svg ${NS}/>`)).toMatch(/DOCTYPE/);
    expect(problem('<p>hello</p>')).toMatch(/element p/);
    expect(problem(`<svg ${NS}/><svg ${NS}/>`)).toMatch(/one <svg> element/);
    expect(problem(`hello <svg ${NS}/>`)).toMatch(/one <svg> element/);
    expect(problem('just text')).toMatch(/one <svg> element/);
  });

  it('never names a refused value, only element and attribute names', () => {
    expect(problem(`<svg ${NS}><rect fill="url(https://secret.evil.example/p)" width="1" height="1"/></svg>`)).not.toMatch(/evil/);
  });
});
