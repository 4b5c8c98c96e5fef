/** The SCIM error response schema (RFC 7644 §3.12). */
export const SCIM_ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

/** The `scimType` values of RFC 7644 §3.12 that this server answers. */
export type ScimType = 'invalidFilter' | 'invalidValue' | 'uniqueness' | 'mutability' | 'invalidSyntax' | 'invalidPath' | 'noTarget' | 'tooMany';

export interface ScimErrorBody {
  schemas: [typeof SCIM_ERROR_SCHEMA];
  status: string;
  scimType?: ScimType;
  detail: string;
}

/** An error a SCIM route throws on purpose: answered in the SCIM error schema with this HTTP status. */
export class ScimError extends Error {
  constructor(
    readonly status: number,
    readonly scimType: ScimType | undefined,
    detail: string,
  ) {
    super(detail);
    this.name = 'ScimError';
  }
}

export function scimErrorBody(status: number, detail: string, scimType?: ScimType): ScimErrorBody {
  return { schemas: [SCIM_ERROR_SCHEMA], status: String(status), ...(scimType === undefined ? {} : { scimType }), detail };
}

/** 400 with a scimType: the shorthand most checks use. */
export function badRequest(scimType: ScimType, detail: string): ScimError {
  return new ScimError(400, scimType, detail);
}

/** 404 for a user or group this tenant does not have (another tenant's id included). */
export function notFound(kind: 'User' | 'Group', id: string): ScimError {
  return new ScimError(404, undefined, `${kind} ${id.slice(0, 64)} not found.`);
}
