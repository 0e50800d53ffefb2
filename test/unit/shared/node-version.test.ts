import t from 'tap';
import { MINIMUM_NODE_MAJOR, unsupportedNode } from '../../../src/shared/node-version.js';

t.test('the supported Node.js releases: 24 and up', async (t) => {
  t.equal(MINIMUM_NODE_MAJOR, 24);
  for (const ok of ['v24.11.0', 'v24.22.3', 'v26.12.1', '26.0.0', 'v27.1.0']) t.equal(unsupportedNode(ok), undefined, ok);
  for (const old of ['v20.20.2', 'v22.21.1', 'v18.0.0', 'v23.9.0']) {
    const message = unsupportedNode(old);
    t.match(message, new RegExp(`this is Node\\.js ${old.replace(/\./g, '\\.')}`), `${old}: names the running version`);
    t.match(message, /Install Node\.js 26 LTS/, `${old}: says what to install`);
  }
  t.ok(unsupportedNode('garbage'), 'an unreadable version is not taken as supported');
});
