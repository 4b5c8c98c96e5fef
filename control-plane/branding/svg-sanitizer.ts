import createDOMPurify, { type Config } from 'dompurify';
import { JSDOM } from 'jsdom';

/**
 * The SVG profile of a brand's logo and favicon, enforced with DOMPurify (a maintained sanitizer)
 * over jsdom: SVG elements and attributes only; no script, no event handlers, no foreignObject, no
 * style elements or attributes, no animation (it can rewrite an href), no links, images or <use>;
 * href and xlink:href only to a fragment of the same document (`#id`), and url(...) only to one
 * (`url(#gradient)`). Nothing outside the document is ever referenced.
 *
 * A logo that breaks the profile is refused, not silently trimmed: the provider learns what was
 * wrong (element and attribute names, never their values) and the brand shows what was uploaded or
 * nothing. What is stored is DOMPurify's output serialized as XML, which shows in an <img> the way
 * the upload did. Comments and an XML declaration are dropped without refusing: they never render.
 */

const FORBIDDEN_TAGS = ['script', 'style', 'foreignObject', 'a', 'image', 'feImage', 'use', 'animate', 'animateMotion', 'animateTransform', 'set', 'mpath', 'iframe', 'embed', 'object', 'audio', 'video', 'canvas'];

const PROFILE: Config = {
  USE_PROFILES: { svg: true, svgFilters: true },
  FORBID_TAGS: FORBIDDEN_TAGS,
  FORBID_ATTR: ['style', 'xml:base', 'xlink:actuate', 'xlink:show', 'target'],
  ALLOW_DATA_ATTR: false,
  ALLOW_ARIA_ATTR: true,
  ADD_ATTR: ['role'],
};

/** `#id`: a fragment of the same document. */
const LOCAL_FRAGMENT = /^#[A-Za-z_][\w.:-]*$/;
/** Every url(...) in a value, with what it points at. */
const URL_FUNCTION = /url\s*\(\s*(['"]?)(.*?)\1\s*\)/gi;
/** What no attribute value may carry: CSS escapes, script URIs, CSS that loads or runs things. */
const ACTIVE_VALUE = /\\|javascript\s*:|vbscript\s*:|expression\s*\(|@import|data\s*:/i;

/** Whether every url(...) in a value points at a local fragment (and an unterminated one does not slip by). */
function onlyLocalUrls(value: string): boolean {
  const calls = [...value.matchAll(URL_FUNCTION)];
  const mentions = value.match(/url\s*\(/gi)?.length ?? 0;
  return calls.length === mentions && calls.every((call) => LOCAL_FRAGMENT.test((call[2] ?? '').trim()));
}

interface Sanitizer {
  purify: ReturnType<typeof createDOMPurify>;
  window: JSDOM['window'];
}

let sanitizer: Sanitizer | undefined;

/** One jsdom window and one DOMPurify for the process (jsdom is slow to start; sanitizing is synchronous). */
function instance(): Sanitizer {
  if (sanitizer !== undefined) return sanitizer;
  const { window } = new JSDOM('');
  const purify = createDOMPurify(window);
  purify.addHook('uponSanitizeAttribute', (_node, data) => {
    const name = data.attrName.toLowerCase();
    const value = data.attrValue;
    if (name === 'href' || name === 'xlink:href' || name.endsWith(':href')) {
      if (!LOCAL_FRAGMENT.test(value.trim())) data.keepAttr = false;
      return;
    }
    if (ACTIVE_VALUE.test(value) || (/url\s*\(/i.test(value) && !onlyLocalUrls(value))) data.keepAttr = false;
  });
  sanitizer = { purify, window };
  return sanitizer;
}

export type SvgVerdict = { svg: string } | { problem: string };

/** What the removed node was, for the refusal: an element's or an attribute's name, never a value. */
function removedName(entry: unknown): string | null {
  const removed = entry as { element?: { nodeName?: string }; attribute?: { name?: string } | null };
  if (removed.attribute !== undefined) return removed.attribute === null ? 'an attribute' : `attribute ${removed.attribute.name ?? '?'}`;
  const nodeName = removed.element?.nodeName ?? '?';
  // The parser's wrapper and comments (an XML declaration parses as one) never render: not a refusal.
  if (nodeName === 'BODY' || nodeName === '#comment') return null;
  return `element ${nodeName.toLowerCase()}`;
}

/** The sanitized SVG, or why the markup breaks the profile. */
export function sanitizeSvg(markup: string): SvgVerdict {
  // The HTML parser ignores these, but an XML consumer would expand entities (and fetch external ones).
  if (/<!DOCTYPE|<!ENTITY|<\?xml-stylesheet/i.test(markup)) return { problem: 'DOCTYPE, entity declarations and stylesheet instructions are not accepted' };
  const { purify, window } = instance();
  const fragment = purify.sanitize(markup, { ...PROFILE, RETURN_DOM_FRAGMENT: true });
  const removed = [...new Set(purify.removed.map(removedName).filter((name): name is string => name !== null))];
  if (removed.length > 0) {
    return { problem: `not allowed in a brand's SVG: ${removed.slice(0, 5).join(', ')}${removed.length > 5 ? ', ...' : ''}` };
  }
  const elements = [...fragment.childNodes].filter((node) => node.nodeType === window.Node.ELEMENT_NODE);
  const strayText = [...fragment.childNodes].some((node) => node.nodeType === window.Node.TEXT_NODE && (node.textContent ?? '').trim() !== '');
  const root = elements[0] as Element | undefined;
  if (elements.length !== 1 || root === undefined || root.namespaceURI !== 'http://www.w3.org/2000/svg' || root.localName !== 'svg' || strayText) {
    return { problem: 'one <svg> element, and nothing around it' };
  }
  if (root.querySelectorAll('*').length > 5000) return { problem: 'more than 5,000 elements' };
  return { svg: new window.XMLSerializer().serializeToString(root) };
}
