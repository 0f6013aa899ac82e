// Where the mediasoup npm package keeps its compiled Node test suite, and the
// certificate files those tests read (the package ships the tests, not the data).
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

/** node_modules/mediasoup, wherever npm hoisted it. */
export const mediasoupDir = path.dirname(require.resolve('mediasoup/package.json'));

/** node_modules/mediasoup/node/lib/test: the `test-*.js` files run in place from here. */
export const mediasoupTestDir = path.join(mediasoupDir, 'node', 'lib', 'test');

/** test-Worker.js reads `path.join(__dirname, 'data', 'dtls-cert.pem' | 'dtls-key.pem')`. */
export const mediasoupTestDataDir = path.join(mediasoupTestDir, 'data');
