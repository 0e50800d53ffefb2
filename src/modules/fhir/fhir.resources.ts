import { parseBarcode } from '../../barcode/index.js';
import type { ItemAction } from '../../domain/vocabulary.js';

/**
 * FHIR R4 (4.0.1) resources for registry exports, as pure functions of the
 * rows the export streams. Identifier systems and codes, with their sources:
 * - NHS number: https://fhir.nhs.uk/Id/nhs-number (NHS England / UK Core).
 * - GLN: http://www.gs1.org/gln (HL7 Terminology NamingSystem GLN).
 * - ODS code: https://fhir.nhs.uk/Id/ods-organization-code.
 * - Device.udiCarrier.issuer: the R4 element definition's URIs
 *   http://hl7.org/fhir/NamingSystem/gs1-di, …/hibcc-dI, …/iccbba-other-di.
 * - Procedure.focalDevice.action (preferred binding, SNOMED CT "Action"
 *   descendants): 129336009 Implantation - action, 129303008 Removal - action.
 * - udiCarrier.entryType: barcode | manual; Device.status: active | inactive |
 *   entered-in-error.
 */

export const NHS_NUMBER_SYSTEM = 'https://fhir.nhs.uk/Id/nhs-number';
export const GLN_SYSTEM = 'http://www.gs1.org/gln';
export const ODS_SYSTEM = 'https://fhir.nhs.uk/Id/ods-organization-code';
/** By analogy with HL7's GLN system URI; GS1 publishes no FHIR NamingSystem for GSRN. */
export const GSRN_SYSTEM = 'http://www.gs1.org/gsrn';
const SNOMED = 'http://snomed.info/sct';

export const UDI_ISSUERS: Readonly<Record<string, string>> = {
  GS1: 'http://hl7.org/fhir/NamingSystem/gs1-di',
  HIBCC: 'http://hl7.org/fhir/NamingSystem/hibcc-dI',
  ICCBBA: 'http://hl7.org/fhir/NamingSystem/iccbba-other-di',
};

const DEVICE_ACTIONS: Partial<Record<ItemAction, { code: string; display: string }>> = {
  implanted: { code: '129336009', display: 'Implantation - action' },
  explanted: { code: '129303008', display: 'Removal - action' },
};

/** Identifier system of a registry's pseudonyms. */
export const pseudonymSystem = (registry: string) => `urn:implant-trace:registry:${registry.toLowerCase()}:pseudonym`;

type Json = Record<string, unknown>;

// Members left undefined are dropped by JSON serialisation, so resources carry no empty elements (FHIR forbids them).

export interface PatientRow {
  readonly pseudonym: string;
  readonly registry: string;
  /** Present only when the patient consented to this registry. */
  readonly nhsNumber: string | null;
  readonly dateOfBirth: string | null;
}

export function patientResource(p: PatientRow): Json {
  return ({
    resourceType: 'Patient',
    id: p.pseudonym,
    identifier:
      p.nhsNumber === null
        ? [{ system: pseudonymSystem(p.registry), value: p.pseudonym }]
        : [{ system: NHS_NUMBER_SYSTEM, value: p.nhsNumber }, { system: pseudonymSystem(p.registry), value: p.pseudonym }],
    birthDate: p.nhsNumber === null ? undefined : (p.dateOfBirth ?? undefined),
  });
}

export interface ProcedureRow {
  readonly id: string;
  readonly pseudonym: string;
  readonly status: 'open' | 'completed';
  readonly procedureCode: string | null;
  readonly startedAt: Date;
  readonly completedAt: Date | null;
  readonly locationId: string | null;
  readonly odsCode: string;
  readonly clinician: { gsrn: string | null; localId: string | null; name: string | null } | null;
  /** Items put in or taken out (not voided). */
  readonly devices: readonly { itemId: string; action: ItemAction }[];
}

export function procedureResource(p: ProcedureRow): Json {
  const focalDevice = p.devices.flatMap((d) => {
    const action = DEVICE_ACTIONS[d.action];
    return action === undefined ? [] : [{ action: { coding: [{ system: SNOMED, ...action }] }, manipulated: { reference: `Device/${d.itemId}` } }];
  });
  const clinician = p.clinician;
  return ({
    resourceType: 'Procedure',
    id: p.id,
    status: p.status === 'completed' ? 'completed' : 'in-progress',
    code: p.procedureCode === null ? undefined : { text: p.procedureCode },
    subject: { reference: `Patient/${p.pseudonym}` },
    performedPeriod: ({ start: p.startedAt.toISOString(), end: p.completedAt?.toISOString() }),
    performer:
      clinician === null
        ? undefined
        : [
            {
              actor: ({
                identifier: clinician.gsrn === null ? undefined : { system: GSRN_SYSTEM, value: clinician.gsrn },
                display: clinician.name ?? clinician.localId ?? clinician.gsrn ?? undefined,
              }),
            },
          ],
    location: p.locationId === null ? undefined : { reference: `Location/${p.locationId}` },
    focalDevice: focalDevice.length === 0 ? undefined : focalDevice,
  });
}

export interface DeviceRow {
  readonly id: string;
  readonly pseudonym: string;
  readonly status: 'active' | 'voided';
  /** An implant since removed. */
  readonly explanted: boolean;
  readonly issuingAgency: string | null;
  readonly di: string | null;
  readonly lotNumber: string | null;
  readonly serialNumber: string | null;
  readonly expirationDate: string | null;
  readonly manufacturingDate: string | null;
  readonly entryType: 'barcode' | 'manual';
  /** The barcode as scanned (the first product scan of the item). */
  readonly raw: string | null;
  readonly brand: string | null;
  readonly model: string | null;
  readonly manufacturer: string | null;
}

/** The human-readable form of a scanned carrier: GS1 bracketed HRI, HIBC between asterisks, else the data as read. */
export function carrierHrf(raw: string): string {
  const parsed = parseBarcode(raw);
  if (parsed.hri !== undefined) return parsed.hri;
  const data = parsed.symbologyId !== undefined ? raw.slice(parsed.symbologyId.length) : raw;
  return parsed.carrier === 'hibc' ? `*${data}*` : data;
}

export function deviceResource(d: DeviceRow): Json {
  const issuer = d.issuingAgency === null ? undefined : UDI_ISSUERS[d.issuingAgency];
  const names = [
    ...(d.brand === null ? [] : [{ name: d.brand, type: 'user-friendly-name' }]),
    ...(d.model === null ? [] : [{ name: d.model, type: 'model-name' }]),
  ];
  return ({
    resourceType: 'Device',
    id: d.id,
    udiCarrier:
      d.di === null
        ? undefined
        : [
            ({
              deviceIdentifier: d.di,
              issuer,
              carrierHRF: d.raw === null ? undefined : carrierHrf(d.raw),
              carrierAIDC: d.raw === null ? undefined : Buffer.from(d.raw, 'utf8').toString('base64'),
              entryType: d.entryType,
            }),
          ],
    status: d.status === 'voided' ? 'entered-in-error' : d.explanted ? 'inactive' : 'active',
    manufacturer: d.manufacturer ?? undefined,
    manufactureDate: d.manufacturingDate ?? undefined,
    expirationDate: d.expirationDate ?? undefined,
    lotNumber: d.lotNumber ?? undefined,
    serialNumber: d.serialNumber ?? undefined,
    deviceName: names.length === 0 ? undefined : names,
    modelNumber: d.model ?? undefined,
    patient: { reference: `Patient/${d.pseudonym}` },
  });
}

export interface LocationRow {
  readonly id: string;
  readonly gln: string;
  readonly glnExtension: string;
  readonly name: string;
  readonly odsCode: string;
}

export function locationResource(l: LocationRow): Json {
  return {
    resourceType: 'Location',
    id: l.id,
    identifier: [{ system: GLN_SYSTEM, value: l.gln }],
    status: 'active',
    name: l.glnExtension === '' ? l.name : `${l.name} (${l.glnExtension})`,
    managingOrganization: { identifier: { system: ODS_SYSTEM, value: l.odsCode } },
  };
}
