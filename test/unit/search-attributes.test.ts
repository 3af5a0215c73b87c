// One list of search attributes, in code; the page an operator registers them from is generated
// from it, and the other pages point there instead of naming a few of them.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { searchAttributeFlags, searchAttributesDoc } from '../../src/workflows/client';
import { SEARCH_ATTRIBUTES } from '../../src/workflows/search-attributes';

const DOCS = join(import.meta.dirname, '..', '..', 'docs');
const names = SEARCH_ATTRIBUTES.map(({ key }) => key.name);

describe('search attributes', () => {
  it('docs/search-attributes.md is what the list in code generates (npx tsx scripts/search-attributes-doc.ts)', () => {
    expect(readFileSync(join(DOCS, 'search-attributes.md'), 'utf8')).toBe(searchAttributesDoc());
    for (const name of names) expect(searchAttributesDoc()).toContain(`--name ${name} --type Keyword`);
    expect(searchAttributeFlags()).toHaveLength(2 * names.length);
  });

  it('no other page lists some of them: a paragraph on search attributes names them all, or links to the list', () => {
    for (const page of readdirSync(DOCS).filter((f) => f.endsWith('.md') && f !== 'search-attributes.md')) {
      // Where a page tells how they get registered, or what they are: not where it measures their upserts.
      for (const paragraph of readFileSync(join(DOCS, page), 'utf8').split(/\n\s*\n/).filter((p) => /search attributes?\b[^]*\b(regist|tcld|filter|Web UI)/i.test(p))) {
        const listed = names.filter((n) => paragraph.includes(`\`${n}\``));
        if (listed.length >= 2 && listed.length < names.length) expect(paragraph, `${page} names only ${listed.join(', ')}`).toContain('search-attributes.md');
        expect(paragraph, page).not.toMatch(/\b(five|six|seven|eight) search attributes\b/);
      }
    }
  });
});
