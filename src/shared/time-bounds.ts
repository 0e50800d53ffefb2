/**
 * Time is checked, never trusted. A client's clock can be wrong (a tablet with
 * a flat battery wakes up in 2019) or chosen (a back-dated scan would hide an
 * expiry), and a value the database stores but JavaScript cannot show (year
 * 10000) would break every later read of it. So every time a client sends
 * has bounds, written here once, and out of bounds is refused (422) with the
 * field's pointer and nothing stored. Within bounds the client's time is
 * honoured: an in-date item scanned offline stays in date when its queued scan
 * arrives after midnight.
 *
 * The bounds:
 * - any date or instant: from 1900-01-01 to 2099-12-31 (UTC for instants);
 * - a scan: not after now + CLOCK_SKEW, not before its procedure started
 *   (less CLOCK_SKEW: the procedure's start may come from another clock), and
 *   not older than OFFLINE_QUEUE_MAX (how long a scanner or the theatre page
 *   may hold a scan it could not send);
 * - a procedure's start: not after now + CLOCK_SKEW. It may be long past: a
 *   trust loading its implant register from a former system, or cases written
 *   on paper during a downtime, record procedures that started years ago. That
 *   hides no expiry: scans are checked against their own (bounded) time.
 * Pure: the caller passes "now".
 */

import { ProblemError } from './problem.js';

export const EARLIEST_DATE = '1900-01-01';
export const LATEST_DATE = '2099-12-31';
const EARLIEST_MS = Date.UTC(1900, 0, 1);
const AFTER_LATEST_MS = Date.UTC(2100, 0, 1);

/** How far ahead of the service's clock a client's may run. */
export const CLOCK_SKEW_MS = 5 * 60_000;
/** How long a scan may wait in an offline queue before it is sent. */
export const OFFLINE_QUEUE_MAX_MS = 7 * 24 * 3_600_000;

const DAY_MS = 24 * 3_600_000;
const days = (ms: number) => `${Math.round(ms / DAY_MS)} days`;
const minutes = (ms: number) => `${Math.round(ms / 60_000)} minutes`;

/** Is this instant (already parsed) inside the calendar bounds every time must keep? */
export function instantInCalendarBounds(ms: number): boolean {
  return Number.isFinite(ms) && ms >= EARLIEST_MS && ms < AFTER_LATEST_MS;
}

/** Is this YYYY-MM-DD inside the calendar bounds? (Compares as text: the format is fixed-width.) */
export function dateInCalendarBounds(date: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(date) && date >= EARLIEST_DATE && date <= LATEST_DATE;
}

/** Why a time is out of bounds, for the field's validation issue. */
export interface TimeIssue {
  readonly message: string;
}

/** A scan's time against now and its procedure's start. */
export function scanTimeIssue(scannedAt: Date, now: Date, procedureStartedAt: Date): TimeIssue | undefined {
  const t = scannedAt.getTime();
  if (t > now.getTime() + CLOCK_SKEW_MS) {
    return { message: `is in the future (${scannedAt.toISOString()}; the service's time is ${now.toISOString()}): check the scanner's clock` };
  }
  if (t < procedureStartedAt.getTime() - CLOCK_SKEW_MS) {
    return { message: `is before the procedure started (${procedureStartedAt.toISOString()}): check the scanner's clock, or the procedure` };
  }
  if (t < now.getTime() - OFFLINE_QUEUE_MAX_MS) {
    return { message: `is more than ${days(OFFLINE_QUEUE_MAX_MS)} ago, longer than a scan may wait offline: omit scannedAt to record it as entered now` };
  }
  return undefined;
}

/** A procedure's start against now. */
export function procedureStartIssue(startedAt: Date, now: Date): TimeIssue | undefined {
  if (startedAt.getTime() > now.getTime() + CLOCK_SKEW_MS) {
    return { message: `is in the future (more than ${minutes(CLOCK_SKEW_MS)} after the service's time, ${now.toISOString()}): check the device's clock` };
  }
  return undefined;
}

/** A time out of bounds, as the 422 the client gets: the field's pointer and why. Nothing is stored. */
export function timeOutOfBounds(field: string, issue: TimeIssue): ProblemError {
  return new ProblemError('VALIDATION_FAILED', `${field} ${issue.message}. Nothing was stored.`, {
    errors: [{ in: 'body', pointer: `/${field}`, message: issue.message, code: 'time_out_of_bounds' }],
  });
}
