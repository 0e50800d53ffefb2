import { z } from 'zod';
import { OdsCodeSchema } from '../../shared/schemas.js';

export const CreateOrganisationBody = z
  .strictObject({
    odsCode: OdsCodeSchema,
    name: z.string().trim().min(1).max(200).describe('e.g. "Example Hospitals NHS Foundation Trust".'),
  })
  .meta({ id: 'CreateOrganisationBody' });

export const OrganisationSchema = z
  .object({
    id: z.uuid(),
    odsCode: z.string(),
    name: z.string(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'Organisation' });

export const OrganisationListSchema = z.object({ items: z.array(OrganisationSchema) }).meta({ id: 'OrganisationList' });
