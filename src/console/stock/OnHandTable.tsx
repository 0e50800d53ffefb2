/** Rows of stock on hand as a table: where, what, lot, serial, expiry, status and how many; each row's actions when offered. */
import type { ComponentChildren } from 'preact';
import { formatDate } from '../shared/format.js';
import type { ExpiringRow, OnHand } from './types.js';

export const STATUS_TEXT: Record<OnHand['status'], string> = { available: 'Available', quarantined: 'Quarantined' };

/** This device's date, YYYY-MM-DD. */
export function localToday(): string {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** A stable name for a row (the page's keys and ids): where and what. */
export const rowKey = (r: OnHand) => [r.location?.gln ?? 'unlocated', r.location?.glnExtension ?? '', r.di, r.lotNumber ?? '', r.serialNumber ?? '', r.expirationDate ?? '', r.status, r.consignment ? 'c' : ''].join('|');

export function LocationCell({ location }: { location: OnHand['location'] }) {
  if (location === null) return <span class="hint">Unlocated</span>;
  const gln = `GLN ${location.gln}${location.glnExtension ? ` ext. ${location.glnExtension}` : ''}`;
  // A location registered on first use is named by its GLN: said once.
  if (location.name === `GLN ${location.gln}`) return <>{gln}</>;
  return (
    <>
      {location.name}
      <span class="hint small">{gln}</span>
    </>
  );
}

export function ProductCell({ row }: { row: Pick<OnHand, 'brand' | 'model' | 'gtin' | 'di' | 'issuingAgency'> }) {
  const name = [row.brand, row.model].filter(Boolean).join(' ');
  const id = row.gtin ? `GTIN ${row.gtin}` : `${row.issuingAgency} ${row.di}`;
  // A product the catalogue does not know yet is named by its identifier alone.
  if (!name) return <>{id}</>;
  return (
    <>
      {name}
      <span class="hint small">{id}</span>
    </>
  );
}

export function StatusBadge({ status }: { status: OnHand['status'] }) {
  return <span class={`badge stock-${status}`}>{STATUS_TEXT[status]}</span>;
}

/** The expiry, and for the expiring report whether it has passed: said in words, not colour only. */
export function ExpiryCell({ row }: { row: OnHand | ExpiringRow }) {
  // The expiring report says it (the service's date); elsewhere, a date before this device's today.
  const expiry = 'expiry' in row ? row.expiry : row.expirationDate !== null && row.expirationDate < localToday() ? 'expired' : null;
  return (
    <>
      <span class="nowrap">{formatDate(row.expirationDate)}</span>
      {expiry === 'expired' && <span class="badge expired">Expired</span>}
      {expiry === 'expiring' && <span class="badge expiring">Expires soon</span>}
      {row.consignment && <span class="hint small">Consignment</span>}
    </>
  );
}

interface Props {
  readonly rows: readonly (OnHand | ExpiringRow)[];
  readonly caption: string;
  /** The actions of a row (buttons), and what opens under it (a form); none when absent. */
  readonly actions?: (row: OnHand, index: number) => ComponentChildren;
  readonly editor?: (row: OnHand, index: number) => ComponentChildren;
}

export function OnHandTable({ rows, caption, actions, editor }: Props) {
  const columns = actions ? 8 : 7;
  return (
    <div class="table-wrap">
      <table class="on-hand">
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Location</th>
            <th scope="col">Product</th>
            <th scope="col">Lot</th>
            <th scope="col">Serial</th>
            <th scope="col">Expiry</th>
            <th scope="col">Status</th>
            <th scope="col" class="num">
              Quantity
            </th>
            {actions && <th scope="col">Actions</th>}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, i) => {
            const open = editor?.(row, i);
            const expired = 'expiry' in row ? row.expiry === 'expired' : row.expirationDate !== null && row.expirationDate < localToday();
            return [
              <tr key={rowKey(row)} class={[expired ? 'expired' : '', row.status === 'quarantined' ? 'quarantined' : ''].join(' ').trim() || undefined}>
                <td>
                  <LocationCell location={row.location} />
                </td>
                <td>
                  <ProductCell row={row} />
                </td>
                <td>{row.lotNumber ?? '—'}</td>
                <td>{row.serialNumber ?? '—'}</td>
                <td>
                  <ExpiryCell row={row} />
                </td>
                <td>
                  <StatusBadge status={row.status} />
                </td>
                <td class="num">{row.quantity}</td>
                {actions && <td class="row-actions">{actions(row, i)}</td>}
              </tr>,
              open ? (
                <tr key={`${rowKey(row)}-editor`} class="editor-row">
                  <td colSpan={columns}>{open}</td>
                </tr>
              ) : null,
            ];
          })}
        </tbody>
      </table>
    </div>
  );
}
