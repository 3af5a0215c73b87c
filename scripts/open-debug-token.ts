// Opens the token of an approved debug access with the requester's private key:
//   curl -s -H "authorization: Bearer $TOKEN" $API/v1/cells/<cell>/debug-access/<n> | npm run -s open-debug-token -- --key key.pem
// prints the token (for `kubectl --token`, or a kubeconfig's user). Nothing else ever holds it in clear.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { open } from '../src/crypto/seal';
import type { DebugAccessView } from '../src/domain/debug-access';

const { values } = parseArgs({ options: { key: { type: 'string' } } });
if (!values.key) {
  console.error('usage: npm run -s open-debug-token -- --key <X25519 private key PEM> < debug-access.json');
  process.exit(2);
}
const view = JSON.parse(readFileSync(0, 'utf8')) as Partial<DebugAccessView>;
if (!view.sealedToken) {
  console.error(`no token in this debug access: it is ${view.status ?? 'not a debug access'}${view.end ? ` (${view.end})` : ''}`);
  process.exit(1);
}
process.stdout.write(`${open(view.sealedToken, readFileSync(values.key, 'utf8'))}\n`);
