// Refuses to run cellshift's scripts on a Node.js older than .nvmrc names (`npm run setup` brings it).
import { readFileSync } from 'node:fs';

const wanted = readFileSync(new URL('../.nvmrc', import.meta.url), 'utf8').trim();
if (Number(process.versions.node.split('.')[0]) < Number(wanted.split('.')[0])) {
  console.error(`cellshift runs on Node.js ${wanted} and this is ${process.version} (${process.execPath}): run \`npm run setup\` first, which brings it from the npm registry`);
  process.exit(1);
}
