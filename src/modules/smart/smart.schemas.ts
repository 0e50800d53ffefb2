import { z } from 'zod';
import { SCOPES_SUPPORTED } from '../../domain/smart-scopes.js';
import { OdsCodeSchema, RegistryCodeSchema } from '../../shared/schemas.js';

const ClientIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/, 'letters, digits and . _ : -, starting with a letter or digit, at most 100')
  .describe('The OAuth client_id (the iss and sub of its assertions). Given, or a UUID chosen by the service. Never reused.');

const JwkSchema = z
  .looseObject({
    kty: z.enum(['RSA', 'EC']),
    kid: z.string().min(1).max(200),
  })
  .describe('A public JWK: RSA (n, e) for RS384 or EC P-384 (crv, x, y) for ES384, with a kid unique in the set.');

export const JwksSchema = z
  .strictObject({ keys: z.array(JwkSchema).min(1).max(20) })
  .meta({ id: 'Jwks' })
  .describe('A JSON Web Key Set (RFC 7517) of public keys.');

export const CreateSmartClientBody = z
  .strictObject({
    clientId: ClientIdSchema.optional(),
    registry: RegistryCodeSchema.describe('The registry whose feed and Bulk Data export the client reads (e.g. NJR).'),
    organisation: OdsCodeSchema.optional().describe('ODS code: the client reads this organisation only.'),
    national: z.boolean().optional().describe('true: the client reads every organisation (a national registry).'),
    jwksUrl: z.string().max(2000).optional().describe('Where the client publishes its public keys (https; strongly preferred: it rotates its own keys).'),
    jwks: JwksSchema.optional().describe('The public keys themselves, when the client cannot publish them (register again to rotate).'),
  })
  .refine((b) => (b.jwksUrl === undefined) !== (b.jwks === undefined), { message: 'give exactly one of jwksUrl or jwks', path: ['jwksUrl'] })
  .refine((b) => (b.national === true) !== (b.organisation !== undefined), {
    message: 'give exactly one of organisation (an ODS code) or national: true',
    path: ['organisation'],
  })
  .meta({ id: 'CreateSmartClientBody' });

export const SmartClientSchema = z
  .object({
    id: z.uuid(),
    clientId: z.string(),
    registry: z.string(),
    national: z.boolean(),
    organisation: z.string().nullable().describe('ODS code; null for a national client.'),
    keyId: z.uuid().describe('The principal the client acts as: its actions and audit rows name this API key id (kind smart-client).'),
    jwksUrl: z.string().nullable(),
    jwks: JwksSchema.nullable(),
    createdAt: z.iso.datetime(),
    revokedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'SmartClient' });

export const SmartClientListSchema = z.object({ items: z.array(SmartClientSchema) }).meta({ id: 'SmartClientList' });

export const TokenRequestBody = z
  .looseObject({
    grant_type: z.string().optional().describe('client_credentials'),
    client_assertion_type: z.string().optional().describe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer'),
    client_assertion: z.string().max(16_384).optional().describe('The signed authentication JWT (RS384 or ES384).'),
    scope: z.string().max(4000).optional().describe('Space-separated, e.g. `system/*.rs`.'),
  })
  .meta({ id: 'TokenRequest' });

export const TokenResponseSchema = z
  .object({
    access_token: z.string().describe('Opaque; send it as `Authorization: Bearer <access_token>`.'),
    token_type: z.literal('bearer'),
    expires_in: z.number().int().describe('Seconds: 300.'),
    scope: z.string().describe('The scopes granted: those asked for, all of them.'),
  })
  .meta({ id: 'TokenResponse' });

export const SmartConfigurationSchema = z
  .object({
    token_endpoint: z.string(),
    token_endpoint_auth_methods_supported: z.array(z.string()),
    token_endpoint_auth_signing_alg_values_supported: z.array(z.string()),
    grant_types_supported: z.array(z.string()),
    scopes_supported: z.array(z.string()).describe(`The scopes a registry client may ask for: ${SCOPES_SUPPORTED.join(', ')}.`),
    response_types_supported: z.array(z.string()),
    capabilities: z.array(z.string()),
  })
  .meta({ id: 'SmartConfiguration' });
