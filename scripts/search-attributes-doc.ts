// Writes docs/search-attributes.md from the list in code (src/workflows/search-attributes.ts).
import { writeFileSync } from 'node:fs';
import { searchAttributesDoc } from '../src/workflows/client';

writeFileSync(new URL('../docs/search-attributes.md', import.meta.url), searchAttributesDoc());
console.error('docs/search-attributes.md written');
