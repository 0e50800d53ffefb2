/**
 * What the case's list shows, one line per thing the team needs to see:
 * scans still waiting to be sent (read on the device, not yet checked by the
 * service), scans the service refused, and the items on record with the
 * warnings their scans raised. Pure, so the merging rules are plain to read.
 */
import { parseBarcode, type ParseResult } from '../../barcode/index.js';
import type { Problem } from '../shared/problem.js';
import type { QueuedScan } from './queue.js';
import type { Item, ProcedureItem, ScanResult, Warning } from './types.js';

export type Outcome =
  | { readonly kind: 'recorded'; readonly scan: QueuedScan; readonly result: ScanResult }
  | { readonly kind: 'refused'; readonly scan: QueuedScan; readonly problem: Problem };

export type Line =
  | { readonly kind: 'pending'; readonly scan: QueuedScan; readonly parsed: ParseResult | null; readonly sending: boolean }
  | { readonly kind: 'refused'; readonly scan: QueuedScan; readonly problem: Problem }
  | {
      readonly kind: 'item';
      readonly item: Item;
      readonly product: ProcedureItem['product'];
      readonly warnings: readonly Warning[];
      /** The scan a Void would void: the item's latest product scan still standing. */
      readonly voidableScanId: string | null;
    };

const SEVERITY_ORDER = { critical: 0, warning: 1, info: 2 } as const;

/** The latest product scan of an item that no void scan has voided. */
export function voidableScanOf(item: ProcedureItem): string | null {
  const voided = new Set(item.history.filter((s) => s.kind === 'void').map((s) => s.voidsScanId));
  const standing = item.history.filter((s) => s.kind === 'product' && !voided.has(s.id));
  return standing.at(-1)?.id ?? null;
}

export function linesOf(args: {
  readonly procedureId: string;
  readonly pending: readonly QueuedScan[];
  readonly sending: string | null;
  readonly outcomes: readonly Outcome[];
  readonly items: readonly ProcedureItem[];
  readonly today: Date;
}): Line[] {
  const { procedureId } = args;
  const lines: Line[] = [];
  for (const scan of [...args.pending].reverse()) {
    if (scan.procedureId !== procedureId) continue;
    lines.push({ kind: 'pending', scan, parsed: scan.body.barcode === undefined ? null : parseBarcode(scan.body.barcode, { today: args.today }), sending: args.sending === scan.key });
  }
  const ours = args.outcomes.filter((o) => o.scan.procedureId === procedureId);
  const warningsByItem = new Map<string, Warning[]>();
  for (const o of ours) {
    if (o.kind !== 'recorded') continue;
    const list = warningsByItem.get(o.result.item.id) ?? [];
    for (const w of o.result.warnings) if (!list.some((x) => x.code === w.code && x.message === w.message)) list.push(w);
    warningsByItem.set(o.result.item.id, list);
  }
  const sortWarnings = (ws: readonly Warning[]) => [...ws].sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);

  // Items on record, newest first; an item recorded moments ago that the last fetch of the case did not have yet comes from its scan's answer.
  const items = new Map<string, Line & { kind: 'item' }>();
  for (const item of args.items) {
    items.set(item.id, { kind: 'item', item, product: item.product, warnings: sortWarnings(warningsByItem.get(item.id) ?? []), voidableScanId: item.status === 'active' ? voidableScanOf(item) : null });
  }
  for (const o of ours) {
    if (o.kind !== 'recorded' || items.has(o.result.item.id)) continue;
    const { item, scan } = o.result;
    items.set(item.id, { kind: 'item', item, product: null, warnings: sortWarnings(warningsByItem.get(item.id) ?? []), voidableScanId: item.status === 'active' ? scan.id : null });
  }
  const refused = ours.filter((o): o is Outcome & { kind: 'refused' } => o.kind === 'refused').reverse();
  lines.push(...refused.map((o) => ({ kind: 'refused' as const, scan: o.scan, problem: o.problem })));
  lines.push(...[...items.values()].sort((a, b) => (a.item.firstScannedAt < b.item.firstScannedAt ? 1 : a.item.firstScannedAt > b.item.firstScannedAt ? -1 : 0)));
  return lines;
}
