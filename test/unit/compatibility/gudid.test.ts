/** Clinical attributes derived from GUDID's gmdnTerms and deviceSizes files: the tables, one test per entry, and the merge rule. */
import t from 'tap';
import {
  componentAfter,
  componentFromGmdn,
  GMDN_TERMS,
  LENGTH_UNITS_MM,
  mergeDerived,
  placeSize,
  SIZE_PLACEMENT,
  sizeInMm,
  type ClinicalAttributes,
  type Component,
} from '../../../src/domain/compatibility/index.js';

const unknown = { laterality: null, system: null, taper: null, bearing: null, headDiameterMm: null, innerDiameterMm: null, outerDiameterMm: null } as const;
const clinical = (component: Component, rest: Partial<ClinicalAttributes> = {}): ClinicalAttributes => ({ component, ...unknown, ...rest });

t.test('every GMDN table entry maps its whole term, in any case and spacing', async (t) => {
  for (const entry of GMDN_TERMS) {
    const exact = componentFromGmdn(entry.term);
    const shouted = componentFromGmdn(`  ${entry.term.toUpperCase().replace(/, /g, ' ,  ')} `);
    t.same(shouted, exact, `${entry.term}: case, spaces and punctuation ignored`);
    if (entry.component === null) {
      t.equal(exact.value, null, `${entry.term}: deliberately unknown`);
      t.match(exact, { reason: entry.reason ?? /./ }, `${entry.term}: says why`);
    } else {
      t.equal(exact.value, entry.component, `${entry.term} -> ${entry.component}`);
    }
    if (entry.code !== undefined) t.same(componentFromGmdn('', entry.code), exact, `${entry.term}: by its code ${entry.code} when the name is missing`);
  }
});

t.test('a term is never matched by a part of it', async (t) => {
  t.equal(componentFromGmdn('Acetabular cup prosthesis liner').value, 'acetabular-liner', 'contains "acetabular cup", is a liner');
  t.equal(componentFromGmdn('Femoral stem centralizer').value, null, 'contains "femoral stem", is not a stem');
  t.equal(componentFromGmdn('Bipolar humeral head').value, null, 'a shoulder bipolar head is not the hip bipolar-head');
  for (const term of ['Ceramic femoral head', 'femoral head prosthesis', 'Hip prosthesis', 'Drug-eluting coronary artery stent, non-bioabsorbable-polymer-coated']) {
    const got = componentFromGmdn(term);
    t.equal(got.value, null, `${term}: not listed, so unknown`);
    t.match(got, { reason: /is not one the catalogue maps to a component/ });
  }
  t.match(componentFromGmdn(undefined), { value: null, reason: /no GMDN term/ });
  t.match(componentFromGmdn('', '99999'), { value: null, reason: /GMDN code 99999/ });
});

t.test('sizes in millimetres: units converted, non-lengths refused', async (t) => {
  for (const [value, unit, mm] of [
    ['36', 'Millimeter', 36],
    ['36.0', 'millimeters', 36],
    ['22.225', 'Millimeter', 22.23],
    ['3.2', 'Centimeter', 32],
    ['2.8', 'cm', 28],
    ['1.26', 'Inch', 32],
    ['0.875', 'Inches', 22.23],
  ] as const) {
    t.same(sizeInMm(value, unit), { value: mm }, `${value} ${unit} = ${mm} mm`);
  }
  t.ok(Object.values(LENGTH_UNITS_MM).every((f) => f > 0), 'every factor is positive');
  for (const [value, unit, reason] of [
    ['12', 'Degree', /not a length/],
    ['28', 'French', /not a length/],
    ['18', 'Gauge', /not a length/],
    ['5', 'Milliliter', /not a length/],
    ['36', '', /unit is empty/],
    ['', 'Millimeter', /value is empty/],
    ['thirty-six', 'Millimeter', /not a number/],
    ['-36', 'Millimeter', /not a number/],
    ['0', 'Millimeter', /not a plausible/],
    ['36', 'Meter', /not a length/],
    ['30', 'Centimeter', /not a plausible/],
  ] as const) {
    t.match(sizeInMm(value, unit), { value: null, reason }, `${value} ${unit} refused`);
  }
});

t.test('every size placement table entry, per component', async (t) => {
  const typeNames = { 'outer-diameter': 'Outer Diameter', 'inner-diameter': 'Lumen/Inner Diameter', diameter: 'Diameter' } as const;
  for (const [component, placements] of Object.entries(SIZE_PLACEMENT)) {
    for (const [type, placement] of Object.entries(placements)) {
      const got = placeSize(component as Component, typeNames[type as keyof typeof typeNames], '36', 'Millimeter');
      if (placement === 'ambiguous') t.match(got, { attribute: null, rejected: true, reason: /inner or its outer/ }, `${component} ${type}: ambiguous`);
      else t.same(got, { attribute: placement, mm: 36 }, `${component} ${type} -> ${placement}`);
    }
  }
  t.same(placeSize('acetabular-liner', 'Inner Diameter', '36', 'Millimeter'), { attribute: 'innerDiameterMm', mm: 36 }, '"Inner Diameter" read as GUDID\'s Lumen/Inner Diameter');
  t.same(placeSize('acetabular-shell', 'OUTER DIAMETER', '5.4', 'Centimeter'), { attribute: 'outerDiameterMm', mm: 54 });
});

t.test('sizes the checks do not read are accepted without effect; bad ones refused', async (t) => {
  t.match(placeSize('femoral-stem', 'Length', '140', 'Millimeter'), { attribute: null, rejected: false, reason: /Length/ });
  t.match(placeSize('femoral-stem', 'Angle', '132', 'Degree'), { attribute: null, rejected: false });
  t.match(placeSize('femoral-stem', 'Outer Diameter', '12', 'Millimeter'), { attribute: null, rejected: false, reason: /femoral-stem's Outer Diameter/ });
  t.match(placeSize('patella', 'Diameter', '35', 'Millimeter'), { attribute: null, rejected: false });
  t.match(placeSize('femoral-head', 'Device Size Text, specify', '', ''), { attribute: null, rejected: false });
  t.match(placeSize('femoral-head', 'Outer Diameter', '36', 'Degree'), { attribute: null, rejected: true, reason: /not a length/ });
  t.match(placeSize('femoral-head', 'Lumen/Inner Diameter', '12', 'Millimeter'), { attribute: null, rejected: false }, "a head's bore is not a diameter the checks read");
});

t.test('the merge: derived values fill unknowns, correct earlier derived ones, never replace explicit ones', async (t) => {
  const fromNothing = mergeDerived(null, { component: 'femoral-head', sizes: { headDiameterMm: 36 } });
  t.same(fromNothing.clinical, { ...clinical('femoral-head', { headDiameterMm: 36 }), derivedFromGudid: ['component', 'headDiameterMm'] });
  t.same(fromNothing.kept, []);

  const corrected = mergeDerived(fromNothing.clinical, { component: 'femoral-head', sizes: { headDiameterMm: 32 } });
  t.equal(corrected.clinical?.headDiameterMm, 32, 'a value derived before is corrected by a later GUDID import');

  const explicit = clinical('femoral-head', { laterality: 'none', taper: '12/14', headDiameterMm: 36 });
  const kept = mergeDerived(explicit, { component: 'acetabular-liner', sizes: { headDiameterMm: 32, innerDiameterMm: 40 } });
  t.equal(kept.clinical?.component, 'femoral-head', 'an explicit component is kept');
  t.equal(kept.clinical?.headDiameterMm, 36, 'an explicit size is kept');
  t.equal(kept.clinical?.innerDiameterMm, 40, 'an unknown one is filled');
  t.same(kept.clinical?.derivedFromGudid, ['innerDiameterMm']);
  t.equal(kept.clinical?.taper, '12/14', 'what GUDID does not say is untouched');
  t.match(kept.kept, [
    { attribute: 'component', reason: /component: kept femoral-head \(set explicitly\)/ },
    { attribute: 'headDiameterMm', reason: /headDiameterMm: kept 36 mm \(set explicitly\); GUDID says 32 mm/ },
  ]);

  t.same(mergeDerived(explicit, { sizes: { headDiameterMm: 36 } }), { clinical: explicit, kept: [] }, 'the same value: nothing to say');

  const recomponent = mergeDerived({ ...clinical('acetabular-cup', { innerDiameterMm: 36, outerDiameterMm: 52 }), derivedFromGudid: ['component', 'innerDiameterMm', 'outerDiameterMm'] }, { component: 'acetabular-liner', sizes: { innerDiameterMm: 32 } });
  t.same(recomponent.clinical, { ...clinical('acetabular-liner', { innerDiameterMm: 32 }), derivedFromGudid: ['component', 'innerDiameterMm'] }, 'a derived component that changes drops the sizes derived for the old one');

  t.match(mergeDerived(null, { sizes: { headDiameterMm: 36 } }), { clinical: null, kept: [{ attribute: 'headDiameterMm', reason: /component is not known/ }] }, 'sizes without a component go nowhere');
  t.same(mergeDerived(null, {}), { clinical: null, kept: [] });
});

t.test('the component sizes are placed against', async (t) => {
  t.equal(componentAfter(null, 'femoral-head'), 'femoral-head');
  t.equal(componentAfter(null, undefined), null);
  t.equal(componentAfter(clinical('acetabular-liner'), 'femoral-head'), 'acetabular-liner', 'explicit wins');
  t.equal(componentAfter({ ...clinical('acetabular-cup'), derivedFromGudid: ['component'] }, 'acetabular-liner'), 'acetabular-liner', 'a derived one follows GUDID');
  t.equal(componentAfter({ ...clinical('acetabular-cup'), derivedFromGudid: ['component'] }, undefined), 'acetabular-cup');
});
