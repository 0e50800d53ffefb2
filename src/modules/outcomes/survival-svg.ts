/**
 * A standalone SVG of cumulative revision (%) by years since implantation,
 * one Kaplan–Meier step curve per group with its confidence band, a legend
 * and a number-at-risk table. Pure: builds a string, no I/O.
 *
 * Drawn from the yearly points of survivalTable(): the curve steps at whole
 * years, as the table under it does. Each group has its own colour and dash
 * pattern, so a greyscale print still tells them apart. Every text is XML-escaped.
 */
import { type SurvivalGroup } from './kaplan-meier.js';

export interface SurvivalSvgOptions {
  readonly title: string;
  readonly subtitle?: string;
  /** Shown in the footer as given, e.g. an ISO timestamp. */
  readonly generatedAt: string;
}

/** At most this many groups are drawn; a note says when more were given. */
export const MAX_DRAWN_GROUPS = 12;

/** Colour-blind-friendly colours, dark enough on white. */
const COLOURS = [
  '#0072B2',
  '#D55E00',
  '#009E73',
  '#CC79A7',
  '#E69F00',
  '#000000',
  '#56B4E9',
  '#8C564B',
  '#7F7F7F',
  '#9467BD',
  '#808000',
  '#17BECF',
] as const;

/** One pattern per colour, all different: solid first. */
const DASHES = [
  'none',
  '10 4',
  '2 3',
  '12 3 2 3',
  '5 5',
  '16 4 2 4 2 4',
  '1 5',
  '20 5',
  '8 3 2 3 2 3 2 3',
  '4 2',
  '14 3 6 3',
  '3 8',
] as const;

const VIEW_W = 1000;
const VIEW_H = 700;
const PLOT = { left: 210, right: 750, top: 100, bottom: 400 } as const;
const LEGEND = { x: 770, y: 104, row: 22, chars: 25 } as const;
/** Row labels end well left of the year-0 column, whose numbers are centred on the y axis. */
const RISK = { titleY: 462, firstRowY: 484, row: 16, labelRight: PLOT.left - 24, labelChars: 19 } as const;

/** Y ceilings (%) and their tick steps. */
const Y_SCALES: readonly (readonly [number, number])[] = [
  [5, 1],
  [10, 2],
  [15, 5],
  [20, 5],
  [25, 5],
  [30, 5],
  [40, 10],
  [50, 10],
  [60, 10],
  [80, 20],
  [100, 20],
];

/** Whether XML 1.0 allows this code point in a document. */
function isXmlChar(cp: number): boolean {
  if (cp < 0x20) return cp === 0x09 || cp === 0x0a || cp === 0x0d;
  if (cp >= 0xd800 && cp <= 0xdfff) return false; // a lone surrogate
  return cp !== 0xfffe && cp !== 0xffff;
}

/** Text safe inside an element or a quoted attribute; characters XML 1.0 forbids are dropped. */
export function escapeXml(text: string): string {
  let out = '';
  for (const ch of text) {
    if (!isXmlChar(ch.codePointAt(0) as number)) continue;
    if (ch === '&') out += '&amp;';
    else if (ch === '<') out += '&lt;';
    else if (ch === '>') out += '&gt;';
    else if (ch === '"') out += '&quot;';
    else if (ch === "'") out += '&apos;';
    else out += ch;
  }
  return out;
}

/** At most max characters (code points), an ellipsis marking a cut. */
function truncate(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

/** A coordinate: two decimals at most, no trailing zeros. */
function num(value: number): string {
  const rounded = Math.round(value * 100) / 100;
  return Object.is(rounded, -0) ? '0' : String(rounded);
}

function percent(value: number): string {
  return `${value.toFixed(1)}%`;
}

function yScale(maxPercent: number): readonly [number, number] {
  for (const scale of Y_SCALES) if (scale[0] >= maxPercent - 1e-9) return scale;
  return [100, 20];
}

function yearStep(years: number): number {
  if (years <= 20) return 1;
  if (years <= 40) return 2;
  if (years <= 100) return 5;
  return Math.ceil(years / 20);
}

function isDrawable(g: SurvivalGroup): boolean {
  return g.n > 0 && g.points.length > 0;
}

/** The SVG document, starting with <svg and ending with </svg>. */
export function renderSurvivalSvg(groups: readonly SurvivalGroup[], options: SurvivalSvgOptions): string {
  const drawable = groups.filter(isDrawable);
  const drawn = drawable.slice(0, MAX_DRAWN_GROUPS);

  const lastYear = Math.max(1, ...drawn.map((g) => g.points[g.points.length - 1]?.year ?? 0));
  const maxUpper = Math.max(0, ...drawn.flatMap((g) => g.points.map((p) => p.cumulativeRevisionUpper)));
  const [yMax, yStep] = yScale(maxUpper);
  const step = yearStep(lastYear);
  const xMax = Math.ceil(lastYear / step) * step;
  const x = (year: number): number => PLOT.left + ((PLOT.right - PLOT.left) * year) / xMax;
  const y = (pct: number): number => PLOT.bottom - ((PLOT.bottom - PLOT.top) * Math.min(Math.max(pct, 0), yMax)) / yMax;

  const out: string[] = [];
  const titleId = 'km-title';
  const descId = 'km-desc';
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" version="1.1" viewBox="0 0 ${VIEW_W} ${VIEW_H}" width="297mm" height="207.9mm"` +
      ` role="img" aria-labelledby="${titleId} ${descId}" font-family="Helvetica, Arial, sans-serif">`,
  );
  out.push(`<title id="${titleId}">${escapeXml(options.title)}</title>`);
  out.push(`<desc id="${descId}">${escapeXml(describe(drawn, drawable.length, options))}</desc>`);
  out.push(`<rect x="0" y="0" width="${VIEW_W}" height="${VIEW_H}" fill="#ffffff"/>`);
  out.push(`<text x="${VIEW_W / 2}" y="40" text-anchor="middle" font-size="22" font-weight="bold" fill="#000000">${escapeXml(options.title)}</text>`);
  if (options.subtitle !== undefined && options.subtitle !== '') {
    out.push(`<text x="${VIEW_W / 2}" y="66" text-anchor="middle" font-size="14" fill="#333333">${escapeXml(options.subtitle)}</text>`);
  }

  if (drawn.length === 0) {
    out.push(
      `<text class="km-no-data" x="${VIEW_W / 2}" y="${VIEW_H / 2}" text-anchor="middle" font-size="18" fill="#555555">No data: no items to draw.</text>`,
    );
    out.push(footer(options, false));
    out.push('</svg>');
    return out.join('\n');
  }

  // Gridlines, ticks and axes.
  out.push('<g class="km-grid" stroke="#d9d9d9" stroke-width="1">');
  for (let v = yStep; v <= yMax; v += yStep) out.push(`<line x1="${PLOT.left}" y1="${num(y(v))}" x2="${PLOT.right}" y2="${num(y(v))}"/>`);
  for (let yr = step; yr <= xMax; yr += step) out.push(`<line x1="${num(x(yr))}" y1="${PLOT.top}" x2="${num(x(yr))}" y2="${PLOT.bottom}"/>`);
  out.push('</g>');
  out.push('<g class="km-axes" font-size="12" fill="#000000">');
  for (let v = 0; v <= yMax; v += yStep) {
    out.push(`<text x="${PLOT.left - 8}" y="${num(y(v) + 4)}" text-anchor="end">${v}</text>`);
  }
  for (let yr = 0; yr <= xMax; yr += step) {
    out.push(`<text x="${num(x(yr))}" y="${PLOT.bottom + 18}" text-anchor="middle">${yr}</text>`);
  }
  out.push(
    `<path d="M${PLOT.left} ${PLOT.top}V${PLOT.bottom}H${PLOT.right}" fill="none" stroke="#000000" stroke-width="1.2"/>`,
    `<text x="${(PLOT.left + PLOT.right) / 2}" y="${PLOT.bottom + 40}" text-anchor="middle" font-size="14">Years since implantation</text>`,
    `<text x="${PLOT.left - 50}" y="${(PLOT.top + PLOT.bottom) / 2}" text-anchor="middle" font-size="14" transform="rotate(-90 ${PLOT.left - 50} ${(PLOT.top + PLOT.bottom) / 2})">Cumulative revision (%)</text>`,
  );
  out.push('</g>');

  // Bands first, so that every curve is drawn over every band.
  out.push(
    `<defs><clipPath id="km-plot-clip"><rect x="${PLOT.left}" y="${PLOT.top}" width="${PLOT.right - PLOT.left}" height="${PLOT.bottom - PLOT.top}"/></clipPath></defs>`,
  );
  out.push(`<g class="km-bands" clip-path="url(#km-plot-clip)">`);
  drawn.forEach((g, i) => {
    out.push(`<path class="km-band" data-group="${escapeXml(g.group)}" d="${bandPath(g, x, y)}" fill="${colour(i)}" fill-opacity="0.15" stroke="none"/>`);
  });
  out.push('</g>');
  out.push('<g class="km-curves" fill="none" stroke-width="2.2" stroke-linejoin="miter" stroke-linecap="butt">');
  drawn.forEach((g, i) => {
    out.push(
      `<path class="km-curve" data-group="${escapeXml(g.group)}" d="${curvePath(g, x, y)}" stroke="${colour(i)}" stroke-dasharray="${dash(i)}"/>`,
    );
  });
  out.push('</g>');

  // Legend.
  out.push('<g class="km-legend" font-size="11" fill="#000000">');
  drawn.forEach((g, i) => {
    const rowY = LEGEND.y + i * LEGEND.row;
    const suffix = ` (n=${g.n})`;
    const text = truncate(g.label, Math.max(8, LEGEND.chars - suffix.length)) + suffix;
    out.push(
      `<g class="km-legend-item"><title>${escapeXml(`${g.label}: n=${g.n}, revisions=${g.revisions}`)}</title>` +
        `<line x1="${LEGEND.x}" y1="${rowY}" x2="${LEGEND.x + 34}" y2="${rowY}" stroke="${colour(i)}" stroke-width="2.2" stroke-dasharray="${dash(i)}"/>` +
        `<text x="${LEGEND.x + 40}" y="${rowY + 4}">${escapeXml(text)}</text></g>`,
    );
  });
  if (drawable.length > drawn.length) {
    const noteY = LEGEND.y + drawn.length * LEGEND.row + 6;
    out.push(
      `<text class="km-note" x="${LEGEND.x}" y="${noteY}" font-size="11" font-style="italic" fill="#555555">Showing ${drawn.length} of ${drawable.length} groups.</text>`,
    );
  }
  out.push('</g>');

  // Number at risk, one row per group, one column per tick year.
  out.push('<g class="km-risk-table" font-size="11" fill="#000000">');
  out.push(`<text x="10" y="${RISK.titleY}" font-size="13" font-weight="bold">Number at risk</text>`);
  drawn.forEach((g, i) => {
    const rowY = RISK.firstRowY + i * RISK.row;
    const cells: string[] = [];
    for (let yr = 0; yr <= xMax; yr += step) {
      const p = g.points.find((pt) => pt.year === yr);
      if (p !== undefined) cells.push(`<text x="${num(x(yr))}" y="${rowY}" text-anchor="middle">${p.atRisk}</text>`);
    }
    out.push(
      `<g class="km-risk-row" data-group="${escapeXml(g.group)}">` +
        `<line x1="10" y1="${rowY - 4}" x2="40" y2="${rowY - 4}" stroke="${colour(i)}" stroke-width="2" stroke-dasharray="${dash(i)}"/>` +
        `<text x="${RISK.labelRight}" y="${rowY}" text-anchor="end">${escapeXml(truncate(g.label, RISK.labelChars))}</text>` +
        cells.join('') +
        '</g>',
    );
  });
  out.push('</g>');

  out.push(footer(options, true));
  out.push('</svg>');
  return out.join('\n');
}

function colour(i: number): string {
  return COLOURS[i % COLOURS.length] as string;
}

function dash(i: number): string {
  return DASHES[i % DASHES.length] as string;
}

/** Steps at whole years: the value at year k holds until year k+1, where it jumps. */
function curvePath(g: SurvivalGroup, x: (year: number) => number, y: (pct: number) => number): string {
  const [first, ...rest] = g.points;
  if (first === undefined) return '';
  let d = `M${num(x(first.year))} ${num(y(first.cumulativeRevisionPercent))}`;
  for (const p of rest) d += `H${num(x(p.year))}V${num(y(p.cumulativeRevisionPercent))}`;
  return d;
}

/** The band between the step curves of the lower and upper limits, as one closed shape. */
function bandPath(g: SurvivalGroup, x: (year: number) => number, y: (pct: number) => number): string {
  const pts = g.points;
  const [first] = pts;
  if (first === undefined) return '';
  let d = `M${num(x(first.year))} ${num(y(first.cumulativeRevisionUpper))}`;
  for (const p of pts.slice(1)) d += `H${num(x(p.year))}V${num(y(p.cumulativeRevisionUpper))}`;
  const last = pts[pts.length - 1] as (typeof pts)[number];
  d += `V${num(y(last.cumulativeRevisionLower))}`;
  for (let i = pts.length - 1; i > 0; i--) {
    const prev = pts[i - 1] as (typeof pts)[number];
    d += `V${num(y(prev.cumulativeRevisionLower))}H${num(x(prev.year))}`;
  }
  return `${d}Z`;
}

function describe(drawn: readonly SurvivalGroup[], drawable: number, options: SurvivalSvgOptions): string {
  if (drawn.length === 0) return `${options.title}: no data to draw.`;
  const parts = drawn.map((g) => {
    const last = g.points[g.points.length - 1];
    if (last === undefined) return `${g.label}: n=${g.n}`;
    return (
      `${g.label}: n=${g.n}, ${g.revisions} revised; at ${last.year} year${last.year === 1 ? '' : 's'} ` +
      `cumulative revision ${percent(last.cumulativeRevisionPercent)} ` +
      `(confidence interval ${percent(last.cumulativeRevisionLower)} to ${percent(last.cumulativeRevisionUpper)}), ${last.atRisk} at risk`
    );
  });
  const shown = drawable > drawn.length ? ` Showing ${drawn.length} of ${drawable} groups.` : '';
  return `Kaplan–Meier cumulative revision (%) by years since implantation, ${drawn.length} group${drawn.length === 1 ? '' : 's'}.${shown} ${parts.join('. ')}.`;
}

function footer(options: SurvivalSvgOptions, plotted: boolean): string {
  const method = plotted ? 'Kaplan–Meier estimate; shaded: pointwise confidence band (log-log). ' : '';
  return `<text class="km-footer" x="10" y="${VIEW_H - 12}" font-size="10" fill="#555555">${method}Generated ${escapeXml(options.generatedAt)}.</text>`;
}
