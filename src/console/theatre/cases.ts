/**
 * The cases opened on this device, so the team can switch between them and
 * come back after a reload. Nothing about the patient is kept here (the
 * device is shared): the procedure id, where and when. The patient is shown
 * from the service when a case is opened.
 */
export interface RecentCase {
  readonly id: string;
  readonly location: string | null;
  readonly startedAt: string;
}

const KEY = (organisation: string | null) => `implant-trace.cases.${organisation ?? 'national'}`;
const KEEP = 12;
const MAX_AGE_MS = 24 * 60 * 60 * 1000;

export function recentCases(organisation: string | null, now = Date.now()): RecentCase[] {
  try {
    const list = JSON.parse(localStorage.getItem(KEY(organisation)) ?? '[]') as RecentCase[];
    return Array.isArray(list) ? list.filter((c) => typeof c.id === 'string' && now - Date.parse(c.startedAt) < MAX_AGE_MS) : [];
  } catch {
    return [];
  }
}

export function rememberCase(organisation: string | null, c: RecentCase): void {
  const list = [c, ...recentCases(organisation).filter((x) => x.id !== c.id)].slice(0, KEEP);
  try {
    localStorage.setItem(KEY(organisation), JSON.stringify(list));
  } catch {
    // Storage full or disabled: the list is a convenience, the case is on the service.
  }
}

export function forgetCase(organisation: string | null, id: string): void {
  try {
    localStorage.setItem(KEY(organisation), JSON.stringify(recentCases(organisation).filter((x) => x.id !== id)));
  } catch {
    // As above.
  }
}
