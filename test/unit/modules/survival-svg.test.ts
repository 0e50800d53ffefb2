import t from 'tap';
import { survivalTable, type SurvivalGroup, type SurvivalObservation } from '../../../src/modules/outcomes/kaplan-meier.js';
import { escapeXml, MAX_DRAWN_GROUPS, renderSurvivalSvg } from '../../../src/modules/outcomes/survival-svg.js';

interface XmlElement {
  readonly name: string;
  readonly attributes: ReadonlyMap<string, string>;
  /** Text directly inside, entities left as written. */
  text: string;
  readonly children: XmlElement[];
  readonly parent: XmlElement | null;
}

const NAME_START = (c: string): boolean => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_' || c === ':';
const NAME_CHAR = (c: string): boolean => NAME_START(c) || (c >= '0' && c <= '9') || c === '-' || c === '.';
const ENTITIES = new Set(['amp', 'lt', 'gt', 'quot', 'apos']);

/**
 * A small, strict XML reader for what the renderer writes: elements, attributes
 * in double quotes, text, the five predefined entities and numeric references.
 * No comments, CDATA, doctype or processing instructions. Throws on anything malformed.
 */
function parseXml(xml: string): XmlElement {
  let i = 0;
  let root: XmlElement | null = null;
  let current: XmlElement | null = null;
  const fail = (why: string): never => {
    throw new Error(`${why} at offset ${i}: ${JSON.stringify(xml.slice(Math.max(0, i - 30), i + 30))}`);
  };
  const checkEntities = (s: string, where: string): void => {
    for (let k = s.indexOf('&'); k >= 0; k = s.indexOf('&', k + 1)) {
      const end = s.indexOf(';', k);
      if (end < 0) fail(`bare & in ${where}`);
      const ref = s.slice(k + 1, end);
      const numeric = ref.startsWith('#x') ? /^#x[0-9a-fA-F]+$/.test(ref) : /^#[0-9]+$/.test(ref);
      if (!ENTITIES.has(ref) && !numeric) fail(`unknown entity &${ref}; in ${where}`);
    }
  };
  const readName = (): string => {
    const start = i;
    if (!NAME_START(xml[i] ?? '')) fail('expected a name');
    while (i < xml.length && NAME_CHAR(xml[i] as string)) i++;
    return xml.slice(start, i);
  };
  const skipSpace = (): boolean => {
    const start = i;
    while (xml[i] === ' ' || xml[i] === '\n' || xml[i] === '\t' || xml[i] === '\r') i++;
    return i > start;
  };

  while (i < xml.length) {
    if (xml[i] !== '<') {
      const end = xml.indexOf('<', i);
      const text = xml.slice(i, end < 0 ? xml.length : end);
      if (text.includes('>')) fail('raw > in text');
      checkEntities(text, 'text');
      if (current === null) {
        if (text.trim() !== '') fail('text outside the root element');
      } else current.text += text;
      i = end < 0 ? xml.length : end;
      continue;
    }
    i++;
    if (xml[i] === '/') {
      i++;
      const name = readName();
      skipSpace();
      if (xml[i] !== '>') fail('expected > after a closing tag');
      i++;
      if (current === null || current.name !== name) fail(`</${name}> does not close <${current?.name ?? 'nothing'}>`);
      current = (current as XmlElement).parent;
      continue;
    }
    if (root !== null && current === null) fail('a second root element');
    const name = readName();
    const attributes = new Map<string, string>();
    for (;;) {
      const spaced = skipSpace();
      if (xml[i] === '>' || xml[i] === '/') break;
      if (!spaced) fail('attributes need a space before them');
      const attr = readName();
      if (attributes.has(attr)) fail(`duplicate attribute ${attr}`);
      if (xml[i] !== '=' || xml[i + 1] !== '"') fail('expected ="');
      i += 2;
      const end = xml.indexOf('"', i);
      if (end < 0) fail('unterminated attribute');
      const value = xml.slice(i, end);
      if (value.includes('<')) fail('< in an attribute');
      checkEntities(value, `attribute ${attr}`);
      attributes.set(attr, value);
      i = end + 1;
    }
    const element: XmlElement = { name, attributes, text: '', children: [], parent: current };
    if (current === null) root = element;
    else current.children.push(element);
    if (xml[i] === '/') {
      if (xml[i + 1] !== '>') fail('expected /> ');
      i += 2;
    } else {
      i++;
      current = element;
    }
  }
  if (current !== null) fail(`<${current.name}> is never closed`);
  if (root === null) return fail('no root element');
  return root;
}

function all(el: XmlElement, predicate: (e: XmlElement) => boolean): XmlElement[] {
  const found: XmlElement[] = [];
  const walk = (e: XmlElement): void => {
    if (predicate(e)) found.push(e);
    e.children.forEach(walk);
  };
  walk(el);
  return found;
}
const byClass = (root: XmlElement, cls: string): XmlElement[] => all(root, (e) => e.attributes.get('class') === cls);
const textOf = (e: XmlElement): string => e.text + e.children.map(textOf).join('');

const obs = (group: string, label: string, spec: string): SurvivalObservation[] =>
  spec.split(' ').map((s) => ({ group, label, time: Number.parseFloat(s), revised: !s.endsWith('+') }));

const NASTY = `Cup <"Pinnacle"> & 'Stem' </svg>`;
const observations = [
  ...obs('a', NASTY, '0.5 1.5+ 2.2 3+ 4.7+ 5+ 5+ 6+'),
  ...obs('b', 'Exeter V40', '1 2 2.5+ 3 4+ 4.5+ 5.5+ 6.5+ 7+ 8+'),
  ...obs('c', 'Triathlon', '2.5 3.1+ 4+ 9+'),
];
const groups = survivalTable(observations);
const options = { title: 'Revision of hips & knees <2026>', subtitle: `Trust "A" & 'B'`, generatedAt: '2026-11-21T08:00:00Z' };

t.test('the parser used here refuses malformed XML', async (t) => {
  t.throws(() => parseXml('<svg><g></svg>'));
  t.throws(() => parseXml('<svg><g/></svg><svg/>'));
  t.throws(() => parseXml('<svg>a & b</svg>'));
  t.throws(() => parseXml('<svg x="<"/>'));
  t.throws(() => parseXml('<svg x="1" x="2"/>'));
  t.throws(() => parseXml('<svg><text>1 > 0</text></svg>'));
  t.throws(() => parseXml('<svg>'));
  t.equal(parseXml('<svg a="&amp;"><g>x &lt; y</g></svg>').children[0]?.text, 'x &lt; y');
});

t.test('a well-formed, standalone, accessible SVG', async (t) => {
  const svg = renderSurvivalSvg(groups, options);
  t.ok(svg.startsWith('<svg'), 'starts with <svg');
  t.ok(svg.endsWith('</svg>'), 'ends with </svg>');
  const root = parseXml(svg);
  t.equal(root.name, 'svg');
  t.equal(root.attributes.get('xmlns'), 'http://www.w3.org/2000/svg');
  t.equal(root.attributes.get('viewBox'), '0 0 1000 700');
  t.equal(root.attributes.get('role'), 'img');
  const title = root.children.find((c) => c.name === 'title');
  const desc = root.children.find((c) => c.name === 'desc');
  t.ok(title !== undefined && desc !== undefined, 'title and desc');
  t.equal(root.attributes.get('aria-labelledby'), `${title?.attributes.get('id')} ${desc?.attributes.get('id')}`);
  t.equal(title?.text, 'Revision of hips &amp; knees &lt;2026&gt;');
  t.match(desc?.text ?? '', /Exeter V40: n=10/);
  const background = root.children.find((c) => c.name === 'rect');
  t.equal(background?.attributes.get('fill'), '#ffffff', 'a white background');
  t.match(svg, /Years since implantation/);
  t.match(svg, /Cumulative revision \(%\)/);
  t.match(svg, /2026-11-21T08:00:00Z/);
});

t.test('every label is escaped', async (t) => {
  const svg = renderSurvivalSvg(groups, options);
  t.notOk(svg.includes(NASTY), 'the raw label is nowhere');
  t.notOk(svg.includes('<"Pinnacle">'));
  t.notOk(svg.includes('Trust "A"'));
  t.ok(svg.includes('Cup &lt;&quot;Pinnacle&quot;&gt; &amp; &apos;Stem&apos;'), 'the legend shows it escaped');
  t.ok(svg.includes('Trust &quot;A&quot; &amp; &apos;B&apos;'), 'the subtitle too');
  t.equal(svg.match(/<\/svg>/g)?.length, 1, 'the label cannot close the document');
  t.equal(escapeXml(`<&>"'`), '&lt;&amp;&gt;&quot;&apos;');
  t.equal(escapeXml('a\u0000b\u001Fc\uD800d'), 'abcd', 'characters XML forbids are dropped');
  const hostile = renderSurvivalSvg(survivalTable(obs('x"><script>', 'bad\u0001label', '1 2+')), { title: '\u0007', generatedAt: '<now>' });
  t.doesNotThrow(() => parseXml(hostile), 'still well-formed');
  t.notOk(hostile.includes('<script>'));
});

t.test('one curve and one band per group, with distinct colours and dashes', async (t) => {
  const root = parseXml(renderSurvivalSvg(groups, options));
  const curves = byClass(root, 'km-curve');
  const bands = byClass(root, 'km-band');
  t.equal(curves.length, 3, 'three curves');
  t.equal(bands.length, 3, 'three bands');
  t.ok(curves.every((c) => c.name === 'path' && c.attributes.get('fill') === undefined), 'curves are paths');
  t.ok(bands.every((b) => b.name === 'path' && Number(b.attributes.get('fill-opacity')) < 1), 'bands are translucent');
  const dashes = curves.map((c) => c.attributes.get('stroke-dasharray'));
  t.equal(new Set(dashes).size, 3, `dash patterns differ: ${dashes.join(' | ')}`);
  t.equal(new Set(curves.map((c) => c.attributes.get('stroke'))).size, 3, 'colours differ');
  t.same(
    curves.map((c) => c.attributes.get('data-group')),
    groups.map((g) => g.group),
  );
  // A step function: only horizontal and vertical moves after the start.
  for (const c of curves) t.match(c.attributes.get('d') ?? '', /^M[\d.]+ [\d.]+([HV][\d.]+)*$/, 'a step path');
  for (const b of bands) t.match(b.attributes.get('d') ?? '', /^M[\d.]+ [\d.]+([HV][\d.]+)*Z$/, 'a closed step band');
  // Group b: one vertical move per yearly point after year 0.
  const curveB = curves[1]?.attributes.get('d') ?? '';
  const groupB = groups[1] as SurvivalGroup;
  t.equal(curveB.split('V').length - 1, groupB.points.length - 1);
});

t.test('the legend shows label and n; the risk table the numbers at risk', async (t) => {
  const root = parseXml(renderSurvivalSvg(groups, options));
  const legend = byClass(root, 'km-legend-item').map(textOf);
  t.equal(legend.length, 3);
  t.match(legend[1] ?? '', /Exeter V40 \(n=10\)/);
  t.match(legend[2] ?? '', /Triathlon \(n=4\)/);
  t.match(legend[0] ?? '', /\(n=8\)/, 'n kept even when a long label is cut');
  const riskTable = byClass(root, 'km-risk-table')[0] as XmlElement;
  t.match(textOf(riskTable), /Number at risk/);
  const rows = byClass(riskTable, 'km-risk-row');
  t.equal(rows.length, 3, 'one row per group');
  groups.forEach((g, i) => {
    const row = rows[i] as XmlElement;
    t.equal(row.attributes.get('data-group'), g.group);
    const cells = row.children.filter((c) => c.name === 'text').slice(1).map((c) => c.text);
    t.same(cells, g.points.map((p) => String(p.atRisk)), `numbers at risk of ${g.group}, one per year`);
  });
  t.same(rows[1]?.children.filter((c) => c.name === 'text').slice(1).map((c) => c.text), ['10', '10', '9', '7', '6', '4', '3', '2', '1']);
});

t.test('the y axis: from the data, a nice ceiling, at least 5%', async (t) => {
  const ticks = (svg: string): number[] =>
    byClass(parseXml(svg), 'km-axes')[0]
      ?.children.filter((c) => c.name === 'text' && c.attributes.get('text-anchor') === 'end')
      .map((c) => Number(c.text)) ?? [];
  const low = survivalTable([...obs('l', 'Low', '3'), ...obs('l', 'Low', Array.from({ length: 999 }, () => '5+').join(' '))]);
  t.same(ticks(renderSurvivalSvg(low, options)), [0, 1, 2, 3, 4, 5], 'at least 5%');
  const maxUpper = Math.max(...groups.flatMap((g) => g.points.map((p) => p.cumulativeRevisionUpper)));
  const top = ticks(renderSurvivalSvg(groups, options)).at(-1) ?? 0;
  t.ok(top >= maxUpper, `ceiling ${top} >= max upper ${maxUpper}`);
  t.ok(top <= 100);
});

t.test('no data', async (t) => {
  for (const input of [[], [{ group: 'e', label: 'Empty', n: 0, revisions: 0, points: [] }]] as SurvivalGroup[][]) {
    const svg = renderSurvivalSvg(input, { title: 'Nothing', generatedAt: 'now' });
    const root = parseXml(svg);
    t.match(svg, /No data/);
    t.equal(byClass(root, 'km-curve').length, 0);
    t.equal(byClass(root, 'km-no-data').length, 1);
  }
  const mixed = renderSurvivalSvg([{ group: 'e', label: 'Empty', n: 0, revisions: 0, points: [] }, ...groups], options);
  t.equal(byClass(parseXml(mixed), 'km-curve').length, 3, 'an empty group is not drawn');
  t.notOk(mixed.includes('Empty'));
  t.notOk(mixed.includes('No data'));
});

t.test('at most 12 groups are drawn, with a note', async (t) => {
  const many = survivalTable(Array.from({ length: 15 }, (_, k) => obs(`g${k}`, `Group ${String(k).padStart(2, '0')}`, `${1 + (k % 4)} 6+ 7+`)).flat());
  const root = parseXml(renderSurvivalSvg(many, options));
  const curves = byClass(root, 'km-curve');
  t.equal(curves.length, MAX_DRAWN_GROUPS);
  t.equal(byClass(root, 'km-band').length, MAX_DRAWN_GROUPS);
  t.equal(new Set(curves.map((c) => c.attributes.get('stroke-dasharray'))).size, 12, 'twelve dash patterns');
  t.equal(new Set(curves.map((c) => c.attributes.get('stroke'))).size, 12, 'twelve colours');
  t.match(textOf(byClass(root, 'km-note')[0] as XmlElement), /Showing 12 of 15 groups/);
  const few = parseXml(renderSurvivalSvg(groups, options));
  t.equal(byClass(few, 'km-note').length, 0, 'no note when all are drawn');
});
