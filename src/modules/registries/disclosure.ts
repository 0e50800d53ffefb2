import { createHmac } from 'node:crypto';
import type { ConsentStatus } from '../../domain/vocabulary.js';
import type { Registry } from './registry.repository.js';

/**
 * What a registry may learn about a patient.
 * - identified: consent granted and not withdrawn: NHS number and date of birth.
 * - pseudonymous: no consent in force, and the registry takes pseudonymous
 *   records: the procedure and devices under the patient's pseudonym only.
 * - withheld: no consent in force, and the registry takes nothing without it.
 */
export type Disclosure = 'identified' | 'pseudonymous' | 'withheld';

export function disclosureFor(registry: Registry, consent: ConsentStatus | undefined): Disclosure {
  if (consent === 'granted') return 'identified';
  return registry.withoutConsent === 'pseudonymous' ? 'pseudonymous' : 'withheld';
}

/**
 * The patient's stable pseudonym for one registry: HMAC-SHA-256 of the NHS
 * number under the registry's secret, 128 bits in hex (a valid FHIR id). The
 * same patient always gets the same pseudonym from one registry, so records
 * link up over time and across hospitals; two registries cannot link theirs,
 * and nobody without the secret can test an NHS number against it.
 */
export function pseudonymFor(registry: Registry, nhsNumber: string): string {
  return createHmac('sha256', registry.pseudonymSecret).update(nhsNumber, 'utf8').digest('hex').slice(0, 32);
}

export type ConsentState = ConsentStatus | 'not-recorded';
