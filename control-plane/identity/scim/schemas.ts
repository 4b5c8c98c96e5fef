/**
 * The SCIM schemas this server implements (RFC 7643): the attributes it stores, with the
 * characteristics that decide how they are compared (caseExact), changed (mutability) and
 * returned. The same definitions drive /Schemas, filtering and PATCH.
 */

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE_USER_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const LIST_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const PATCH_OP_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const SERVICE_PROVIDER_CONFIG_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';
export const RESOURCE_TYPE_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType';
export const SCHEMA_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Schema';

export type AttributeType = 'string' | 'boolean' | 'complex' | 'reference' | 'dateTime';

export interface AttributeDef {
  name: string;
  type: AttributeType;
  multiValued: boolean;
  description: string;
  required: boolean;
  caseExact: boolean;
  mutability: 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
  returned: 'always' | 'never' | 'default' | 'request';
  uniqueness: 'none' | 'server' | 'global';
  canonicalValues?: string[];
  referenceTypes?: string[];
  subAttributes?: AttributeDef[];
}

function attr(name: string, type: AttributeType, description: string, more: Partial<AttributeDef> = {}): AttributeDef {
  return { name, type, multiValued: false, description, required: false, caseExact: false, mutability: 'readWrite', returned: 'default', uniqueness: 'none', ...more };
}

/** A resource type: its core schema, its attributes, and the common attributes every resource has (RFC 7643 §3.1). */
export interface ResourceDef {
  name: 'User' | 'Group';
  endpoint: '/Users' | '/Groups';
  schema: string;
  description: string;
  attributes: AttributeDef[];
}

/** id, externalId and meta: on every resource, not part of the core schema's attribute list. */
export const commonAttributes: AttributeDef[] = [
  attr('id', 'string', 'Unique identifier of the resource, issued by this server.', { caseExact: true, mutability: 'readOnly', returned: 'always', uniqueness: 'server' }),
  attr('externalId', 'string', 'Identifier of the resource in the provisioning client.', { caseExact: true }),
  attr('meta', 'complex', 'Resource metadata.', {
    mutability: 'readOnly',
    subAttributes: [
      attr('resourceType', 'string', 'The resource type.', { caseExact: true, mutability: 'readOnly' }),
      attr('created', 'dateTime', 'When the resource was added.', { mutability: 'readOnly' }),
      attr('lastModified', 'dateTime', 'When the resource was last changed.', { mutability: 'readOnly' }),
      attr('location', 'reference', 'The URI of the resource.', { caseExact: true, mutability: 'readOnly', referenceTypes: ['uri'] }),
      attr('version', 'string', 'The version (ETag) of the resource.', { caseExact: true, mutability: 'readOnly' }),
    ],
  }),
];

export const userResource: ResourceDef = {
  name: 'User',
  endpoint: '/Users',
  schema: USER_SCHEMA,
  description: 'User Account',
  attributes: [
    attr('userName', 'string', 'Unique identifier of the user, typically its sign-in name. Unique per tenant, compared case-insensitively.', { required: true, uniqueness: 'server' }),
    attr('name', 'complex', 'The components of the user\'s name.', {
      subAttributes: [attr('givenName', 'string', 'Given (first) name.'), attr('familyName', 'string', 'Family (last) name.')],
    }),
    attr('displayName', 'string', 'The name of the user, suitable for display.'),
    attr('active', 'boolean', 'Whether the user may sign in. Setting it to false deactivates the user.'),
    attr('emails', 'complex', 'E-mail addresses of the user.', {
      multiValued: true,
      subAttributes: [
        attr('value', 'string', 'The e-mail address.'),
        attr('display', 'string', 'A human-readable name.'),
        attr('type', 'string', 'A label: work, home or other.', { canonicalValues: ['work', 'home', 'other'] }),
        attr('primary', 'boolean', 'Whether this is the preferred address (at most one).'),
      ],
    }),
    attr('groups', 'complex', 'The groups the user belongs to (change memberships through /Groups).', {
      multiValued: true,
      mutability: 'readOnly',
      subAttributes: [
        attr('value', 'string', 'The id of the group.', { caseExact: true, mutability: 'readOnly' }),
        attr('$ref', 'reference', 'The URI of the group.', { caseExact: true, mutability: 'readOnly', referenceTypes: ['Group'] }),
        attr('display', 'string', 'The displayName of the group.', { mutability: 'readOnly' }),
      ],
    }),
  ],
};

export const groupResource: ResourceDef = {
  name: 'Group',
  endpoint: '/Groups',
  schema: GROUP_SCHEMA,
  description: 'Group',
  attributes: [
    attr('displayName', 'string', 'The name of the group. Unique per tenant, compared case-insensitively; group → role mappings refer to it.', { required: true, uniqueness: 'server' }),
    attr('members', 'complex', 'The users in the group.', {
      multiValued: true,
      subAttributes: [
        attr('value', 'string', 'The id of the member user.', { caseExact: true, mutability: 'immutable' }),
        attr('$ref', 'reference', 'The URI of the member.', { caseExact: true, mutability: 'immutable', referenceTypes: ['User'] }),
        attr('display', 'string', 'The member\'s displayName or userName.', { mutability: 'readOnly' }),
        attr('type', 'string', 'The member\'s resource type.', { mutability: 'immutable', canonicalValues: ['User'] }),
      ],
    }),
  ],
};

/** An attribute by name, case-insensitively (RFC 7643 §2.1: attribute names are case-insensitive). */
export function findAttribute(list: readonly AttributeDef[], name: string): AttributeDef | undefined {
  const wanted = name.toLowerCase();
  return list.find((candidate) => candidate.name.toLowerCase() === wanted);
}

/** A top-level attribute of a resource, common attributes included. */
export function resourceAttribute(resource: ResourceDef, name: string): AttributeDef | undefined {
  return findAttribute(resource.attributes, name) ?? findAttribute(commonAttributes, name);
}

function schemaView(resource: ResourceDef, location: string): Record<string, unknown> {
  return {
    schemas: [SCHEMA_SCHEMA],
    id: resource.schema,
    name: resource.name,
    description: resource.description,
    attributes: resource.attributes,
    meta: { resourceType: 'Schema', location: `${location}/Schemas/${resource.schema}` },
  };
}

function resourceTypeView(resource: ResourceDef, location: string): Record<string, unknown> {
  return {
    schemas: [RESOURCE_TYPE_SCHEMA],
    id: resource.name,
    name: resource.name,
    endpoint: resource.endpoint,
    description: resource.description,
    schema: resource.schema,
    schemaExtensions: [],
    meta: { resourceType: 'ResourceType', location: `${location}/ResourceTypes/${resource.name}` },
  };
}

export const resources: readonly ResourceDef[] = [userResource, groupResource];

/** /Schemas entries by id (the schema URN). */
export function schemaViews(base: string): Record<string, unknown>[] {
  return resources.map((resource) => schemaView(resource, base));
}

export function resourceTypeViews(base: string): Record<string, unknown>[] {
  return resources.map((resource) => resourceTypeView(resource, base));
}

/** What this server supports (RFC 7643 §5). */
export function serviceProviderConfig(base: string, maxResults: number): Record<string, unknown> {
  return {
    schemas: [SERVICE_PROVIDER_CONFIG_SCHEMA],
    documentationUri: 'https://datatracker.ietf.org/doc/html/rfc7644',
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: true },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'OAuth Bearer Token',
        description: 'A SCIM token of the tenant (bhs_...), minted by a tenant admin at POST /v1/directory/scim-tokens, sent as Authorization: Bearer.',
        specUri: 'https://www.rfc-editor.org/info/rfc6750',
        primary: true,
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${base}/ServiceProviderConfig` },
  };
}
