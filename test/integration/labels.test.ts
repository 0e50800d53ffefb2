/**
 * Labels rendered by bwip-js through the API, decoded from the PNG by a real
 * decoder (@zxing/library), and read back by the parser: what a theatre
 * scanner would see from the printed label.
 */
import t from 'tap';
import { parseBarcode } from '../../src/barcode/index.js';
import { fixedClock } from '../../src/shared/clock.js';
import { buildTestApp, createOrganisationWithKeys } from '../helpers/app.js';
import { decodePng, type DecodableFormat } from '../helpers/decode-image.js';

const today = new Date('2026-11-21T09:00:00Z');

t.test('labels', async (t) => {
  const app = await buildTestApp(t, { clock: fixedClock(today) });
  const org = await createOrganisationWithKeys(app, 'RRK');

  const cases: Array<{ symbology: string; data: string; format: DecodableFormat; gs1: boolean; expect: Record<string, unknown> }> = [
    {
      symbology: 'gs1datamatrix',
      data: '(01)09506000134352(17)261231(10)ABC123(21)SN-0042',
      format: 'datamatrix',
      gs1: true,
      expect: { gtin: '09506000134352', expirationDate: '2026-12-31', lotNumber: 'ABC123', serialNumber: 'SN-0042' },
    },
    {
      symbology: 'gs1-128',
      data: '0109506000134352' + '10LOT/7',
      format: 'code128',
      gs1: true,
      expect: { gtin: '09506000134352', lotNumber: 'LOT/7' },
    },
    {
      symbology: 'gs1qrcode',
      // (@zxing/library 0.21 fails to find some GS1 QR symbols that end in a fixed-length AI after a
      // separator, e.g. (10)Q1(17)270630; other decoders read them. This one ends in a variable field.)
      data: 'https://id.gs1.org/01/09506000134352/10/Q1/21/S7',
      format: 'qrcode',
      gs1: true,
      expect: { gtin: '09506000134352', lotNumber: 'Q1', serialNumber: 'S7' },
    },
    { symbology: 'gs1datamatrix', data: '(414)9506000134369(254)THEATRE-3', format: 'datamatrix', gs1: true, expect: { ais: { '414': '9506000134369', '254': 'THEATRE-3' } } },
    { symbology: 'hibcdatamatrix', data: '+A123BJC5D6E71G', format: 'datamatrix', gs1: false, expect: { issuingAgency: 'HIBCC', di: 'A123BJC5D6E71' } },
    {
      symbology: 'hibcdatamatrix',
      data: '+A99912349/$10X3/16D20111231/14D20200131/Q500Z',
      format: 'datamatrix',
      gs1: false,
      expect: { issuingAgency: 'HIBCC', di: 'A99912349', lotNumber: '10X3', expirationDate: '2020-01-31', quantity: 500 },
    },
  ];

  for (const c of cases) {
    t.test(`${c.symbology}: ${c.data}`, async (t) => {
      const res = await app.request({
        method: 'GET',
        url: `/v1/labels?symbology=${c.symbology}&format=png&data=${encodeURIComponent(c.data)}`,
        key: org.keys.procurement,
      });
      t.equal(res.statusCode, 200, 'rendered');
      t.equal(res.headers['content-type'], 'image/png');
      const decoded = decodePng(res.rawPayload, c.format, c.gs1);
      const read = parseBarcode(decoded, { today });
      t.match(read, { valid: true, issuingAgency: 'GS1', ...c.expect }, `decoded ${JSON.stringify(decoded)}`);
      if (c.gs1) t.equal(read.hri, parseBarcode(c.data, { today }).hri, 'the label reads back as exactly the data given');
      else t.equal(decoded, c.data, 'the label reads back as exactly the data given');
    });
  }

  t.test('SVG is the default format', async (t) => {
    const res = await app.request({ method: 'GET', url: '/v1/labels?symbology=gs1datamatrix&data=(01)09506000134352', key: org.keys.scanner });
    t.equal(res.statusCode, 200);
    t.equal(res.headers['content-type'], 'image/svg+xml');
    t.match(res.body, /^<svg /);
  });

  t.test('invalid data -> 422 LABEL_DATA_INVALID with the parser error', async (t) => {
    const res = await app.request({ method: 'GET', url: '/v1/labels?symbology=gs1datamatrix&data=(01)09506000134353', key: org.keys.scanner });
    t.equal(res.statusCode, 422);
    t.match(res.json(), { code: 'LABEL_DATA_INVALID', parse: { valid: false, error: { kind: 'checkDigit', code: 'GS1_CHECK_DIGIT' } } });
  });

  t.test('GS1 data for an HIBC symbology, or an unknown symbology -> 422', async (t) => {
    const wrong = await app.request({ method: 'GET', url: '/v1/labels?symbology=hibcdatamatrix&data=(01)09506000134352', key: org.keys.scanner });
    t.equal(wrong.statusCode, 422);
    t.equal(wrong.json().code, 'LABEL_DATA_INVALID');
    const unknown = await app.request({ method: 'GET', url: '/v1/labels?symbology=pdf417&data=x', key: org.keys.scanner });
    t.equal(unknown.statusCode, 422);
    t.match(unknown.json(), { code: 'VALIDATION_FAILED', errors: [{ in: 'querystring', pointer: '/symbology' }] });
  });

  t.test('a patient wristband (8018) is refused in a URL, rendered from a POST body', async (t) => {
    const data = '(8018)950600013435200015';
    const get = await app.request({ method: 'GET', url: `/v1/labels?symbology=gs1datamatrix&data=${encodeURIComponent(data)}`, key: org.keys.scanner });
    t.equal(get.statusCode, 422);
    t.equal(get.json().code, 'PERSONAL_DATA_IN_URL');
    const post = await app.request({ method: 'POST', url: '/v1/labels', key: org.keys.scanner, payload: { symbology: 'gs1datamatrix', data, format: 'png' } });
    t.equal(post.statusCode, 200);
    t.equal(post.headers['cache-control'], 'no-store');
    t.match(parseBarcode(decodePng(post.rawPayload, 'datamatrix', true), { today }), { valid: true, ais: { '8018': '950600013435200015' } });
  });

  t.test('labels need a key', async (t) => {
    const res = await app.request({ method: 'GET', url: '/v1/labels?symbology=gs1datamatrix&data=(01)09506000134352' });
    t.equal(res.statusCode, 401);
  });
});
