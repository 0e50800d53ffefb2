import { z } from 'zod';
import { ROLES } from '../../domain/vocabulary.js';
import { OdsCodeSchema, RegistryCodeSchema } from '../../shared/schemas.js';

export const RoleSchema = z.enum(ROLES).meta({ id: 'Role' }).describe(
  'admin: organisations and keys. scanner: theatre capture. procurement: catalogue, recalls, reports. registry: feeds and outcomes.',
);

export const CreateApiKeyBody = z
  .strictObject({
    name: z.string().trim().min(1).max(100).describe('What the key is for, e.g. "Theatre 3 scanner".'),
    role: RoleSchema,
    organisation: OdsCodeSchema.optional().describe('ODS code of the organisation the key belongs to.'),
    national: z.boolean().optional().describe('A national key reads across organisations. National admins only.'),
    registry: RegistryCodeSchema.optional().describe(
      'Registry keys only: the registry (e.g. NJR) whose feeds and exports the key reads. A registry key without one reads outcomes only.',
    ),
  })
  .refine((b) => (b.national === true) !== (b.organisation !== undefined), {
    message: 'give exactly one of organisation (an ODS code) or national: true',
    path: ['organisation'],
  })
  .refine((b) => b.registry === undefined || b.role === 'registry', {
    message: 'only a key with role registry can be bound to a registry',
    path: ['registry'],
  })
  .meta({ id: 'CreateApiKeyBody' });

export const ApiKeySchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    role: RoleSchema,
    national: z.boolean(),
    organisation: z.string().nullable().describe('ODS code; null for national keys.'),
    registry: z.string().nullable().describe('The registry a registry key reads; null otherwise.'),
    prefix: z.string().describe('The first characters of the key, to tell keys apart. Not a secret.'),
    createdAt: z.iso.datetime(),
    revokedAt: z.iso.datetime().nullable(),
    kind: z
      .enum(['api-key', 'smart-client'])
      .describe('`smart-client`: the principal a SMART Backend Services client acts as (its actions and audit rows name this id). It has no secret; revoke it here or at DELETE /v1/smart/clients/{id}.'),
  })
  .meta({ id: 'ApiKey' });

export const CreatedApiKeySchema = ApiKeySchema.extend({
  key: z.string().describe('The secret. Shown this once; store it now. Send it as `Authorization: Bearer <key>`.'),
}).meta({ id: 'CreatedApiKey' });

export const ApiKeyListSchema = z.object({ items: z.array(ApiKeySchema) }).meta({ id: 'ApiKeyList' });

export const MeSchema = z
  .object({
    keyId: z.uuid(),
    keyName: z.string(),
    role: RoleSchema,
    national: z.boolean(),
    organisation: z.string().nullable().describe('ODS code; null for national keys.'),
    registry: z.string().nullable().describe('The registry a registry key reads; null otherwise.'),
    person: z
      .object({ provider: z.string(), subject: z.string(), name: z.string() })
      .optional()
      .describe('A person signed in with OpenID Connect: in their session, or at the device whose key sent the request (their session cookie with it, same organisation). Absent for a key alone.'),
    csrfToken: z.string().optional().describe('With a session: the token every change must carry in the `X-CSRF-Token` header. Absent for keys.'),
  })
  .meta({ id: 'Me' });
