import { z } from 'zod';

/**
 * SCIM 2.0 (RFC 7643/7644) as the served API describes it. The resources follow the RFC's own
 * schemas, which the server itself publishes at /scim/v2/Schemas; here they are open objects.
 */
export const ScimResource = z.record(z.string(), z.unknown()).describe('A SCIM resource (RFC 7643): a User, a Group, a PatchOp request, or a discovery document');

export const ScimListResponse = z
  .strictObject({
    schemas: z.array(z.string()),
    totalResults: z.number().int(),
    itemsPerPage: z.number().int(),
    startIndex: z.number().int(),
    Resources: z.array(ScimResource),
  })
  .describe('urn:ietf:params:scim:api:messages:2.0:ListResponse');

export const ScimIdParam = z.strictObject({ id: z.string() });

/** RFC 7644 §3.4.2: filtering, paging and attribute selection of list requests. */
export const ScimListQuery = z.looseObject({
  filter: z.string().optional(),
  startIndex: z.string().optional(),
  count: z.string().optional(),
  attributes: z.string().optional(),
  excludedAttributes: z.string().optional(),
});
