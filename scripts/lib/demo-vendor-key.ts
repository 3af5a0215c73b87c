// The demo's vendor key: `npm start` signs the demo releases with it, its API checks them, its
// worker and its agent pin it, as a vendor's key would be in production. Made once per data directory.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateReleaseKey } from '../../src/crypto/release-signature';

export function demoVendorKey(dataDir: string): { privateKeyPem: string; publicKeyFile: string } {
  const privateFile = join(dataDir, 'demo-vendor-key.pem');
  const publicKeyFile = join(dataDir, 'demo-vendor-key.pub');
  if (!existsSync(privateFile) || !existsSync(publicKeyFile)) {
    mkdirSync(dataDir, { recursive: true });
    const key = generateReleaseKey();
    writeFileSync(privateFile, key.privateKeyPem, { mode: 0o600 });
    writeFileSync(publicKeyFile, key.publicKeyPem);
  }
  return { privateKeyPem: readFileSync(privateFile, 'utf8'), publicKeyFile };
}
