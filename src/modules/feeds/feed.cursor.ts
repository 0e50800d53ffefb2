import { ProblemError } from '../../shared/problem.js';
import type { FeedPosition } from './feed.repository.js';

/**
 * Feed cursors are opaque to clients: `v1.` + base64url of `<xid>.<seq>`.
 * The version prefix lets the encoding change without breaking pollers that
 * hold an old cursor.
 */
const PREFIX = 'v1.';
const DIGITS = /^(\d{1,20})\.(\d{1,19})$/;

export function encodeCursor(position: FeedPosition): string {
  return PREFIX + Buffer.from(`${position.xid}.${position.seq}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): FeedPosition {
  const match = cursor.startsWith(PREFIX) ? DIGITS.exec(Buffer.from(cursor.slice(PREFIX.length), 'base64url').toString('utf8')) : null;
  const xid = match?.[1];
  const seq = match?.[2];
  if (xid === undefined || seq === undefined || BigInt(xid) > 0xffff_ffff_ffff_ffffn || BigInt(seq) > 0x7fff_ffff_ffff_ffffn) {
    throw new ProblemError('CURSOR_INVALID', 'The cursor is not one this feed issued. Resume from the last nextCursor received, or start without `after`.');
  }
  return { xid, seq };
}
