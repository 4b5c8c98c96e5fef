/** An answer as the probe compares it: status, the body's text and where a redirect points. */
export interface Observed {
  status: number;
  body: string;
  location?: string;
}

/** Something of the victim's that must never appear in another tenant's answer, and what it is. */
export interface Marker {
  value: string;
  what: string;
}

/**
 * `public`: a route that takes no credential answered as it answers anyone (its baseline is the
 * same request without a credential).
 */
export type Verdict = 'leak' | 'refused' | 'own-scope' | 'public' | 'inconclusive';

export interface Judgement {
  verdict: Verdict;
  reason: string;
}

export interface JudgeInput {
  /** Where the victim's value went and how it is compared (see slots.ts). */
  slot: { in: 'path' | 'query' | 'body'; mode: 'reference' | 'opaque' };
  /** The value the attempt carried, and the nonexistent value its baseline carried. */
  value: string;
  baselineValue: string | null;
  /** Everything the attempt sent (path, query, body): a marker the attempt sent itself is no finding when echoed. */
  requestText: string;
  answer: Observed;
  /** The same request with a nonexistent value instead (null for opaque slots). */
  baseline: Observed | null;
  markers: readonly Marker[];
  /**
   * On a route that answers without a credential (it declares none, or serves loopback callers by
   * design): the same two requests without a credential. What they say is public, not a leak.
   */
  anonymous?: { victim: Observed; nonexistent: Observed | null };
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const INSTANT = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z/g;

/** An answer with what legitimately differs between two otherwise equal answers (the value sent, fresh ids, instants) blanked. */
export function normalized(observed: Observed, value: string | null): string {
  // A redirect's query carries fresh state, nonce and PKCE challenge: where it goes is the origin and path.
  const location = observed.location === undefined ? '' : observed.location.split('?')[0];
  let text = `${observed.status}\n${location}\n${observed.body}`;
  if (value !== null && value !== '') {
    text = text.split(value).join('<value>').split(encodeURIComponent(value)).join('<value>');
  }
  return text.replace(UUID, '<uuid>').replace(INSTANT, '<time>');
}

function errorCode(observed: Observed): string {
  try {
    const json = JSON.parse(observed.body) as { error?: { code?: unknown }; scimType?: unknown; detail?: unknown };
    if (typeof json.error?.code === 'string') return json.error.code;
    if (typeof json.scimType === 'string') return json.scimType;
  } catch {
    // Not JSON: the status says it.
  }
  return '';
}

/** `404 not_found`: an answer's status and error code. */
export const describe = (observed: Observed) => `${observed.status}${errorCode(observed) === '' ? '' : ` ${errorCode(observed)}`}`;

/**
 * Whether one cross-tenant attempt leaked, from its answer alone and beside the answer to the same
 * request with a nonexistent value. A leak is:
 * - an answer that carries anything of the victim's it was not sent (an id, a slug, a user name);
 * - any 2xx to a request that names the victim's object in its path;
 * - for a reference, any difference from the nonexistent value's answer (status, code, body with
 *   ids and instants blanked): the difference tells the attacker that the victim's object exists.
 * Otherwise a 2xx answered within the attacker's own tenant (a filter that matched nothing of its
 * own), and anything else was refused. 429 and 5xx that do not differ are inconclusive.
 */
export function judge(input: JudgeInput): Judgement {
  const { answer, baseline, anonymous } = input;
  const haystack = (observed: Observed) => `${observed.body}\n${observed.location ?? ''}`.toLowerCase();
  const sent = input.requestText.toLowerCase();
  // What the same request without a credential also says is public, not a leak of the attacker's credential.
  const publicText = anonymous === undefined ? '' : haystack(anonymous.victim);
  for (const marker of input.markers) {
    const needle = marker.value.toLowerCase();
    if (needle !== '' && !sent.includes(needle) && !publicText.includes(needle) && haystack(answer).includes(needle)) {
      return { verdict: 'leak', reason: `the answer (${describe(answer)}) carries the other tenant's ${marker.what}` };
    }
  }
  const success = answer.status >= 200 && answer.status < 300;
  if (anonymous !== undefined) return judgePublic(answer, baseline, anonymous);
  const differs = baseline !== null && normalized(answer, input.value) !== normalized(baseline, input.baselineValue);
  if (input.slot.mode === 'reference' && input.slot.in === 'path' && success) {
    return { verdict: 'leak', reason: `answered ${describe(answer)} to a request naming the other tenant's object in its path` };
  }
  if (input.slot.mode === 'reference' && differs) {
    const same = answer.status === baseline.status && errorCode(answer) === errorCode(baseline);
    return {
      verdict: 'leak',
      reason: same
        ? `answered the other tenant's id and a nonexistent one alike (${describe(answer)}) but with different bodies: the difference tells them apart`
        : `answered ${describe(answer)} for the other tenant's id but ${describe(baseline)} for a nonexistent one: that tells the attacker it exists`,
    };
  }
  if (success) return { verdict: 'own-scope', reason: `answered ${describe(answer)} within the attacker's own tenant` };
  if (answer.status === 429 || answer.status >= 500) return { verdict: 'inconclusive', reason: `answered ${describe(answer)}` };
  return { verdict: 'refused', reason: describe(answer) };
}

const opens = (observed: Observed) => observed.status >= 200 && observed.status < 400;

/**
 * A route that answers without a credential, judged by status and code (its bodies may change from
 * one request to the next, as metrics do): the attacker's credential must not open what stays shut
 * without one, nor tell the victim's value from a nonexistent one where an anonymous caller cannot.
 */
function judgePublic(answer: Observed, baseline: Observed | null, anonymous: { victim: Observed; nonexistent: Observed | null }): Judgement {
  if (opens(answer) && !opens(anonymous.victim)) {
    return { verdict: 'leak', reason: `answered ${describe(answer)} with the attacker's credential but ${describe(anonymous.victim)} without one: the credential opened it` };
  }
  const credentialTells = baseline !== null && describe(answer) !== describe(baseline);
  const anyoneTells = anonymous.nonexistent !== null && describe(anonymous.victim) !== describe(anonymous.nonexistent);
  if (credentialTells && !anyoneTells) {
    return { verdict: 'leak', reason: `with the attacker's credential it answers ${describe(answer)} for the other tenant's id but ${describe(baseline)} for a nonexistent one; without a credential it cannot tell them apart` };
  }
  if (answer.status === 429 || answer.status >= 500) return { verdict: 'inconclusive', reason: `answered ${describe(answer)}` };
  return { verdict: 'public', reason: `answered ${describe(answer)}; without a credential ${describe(anonymous.victim)}` };
}
