// API tokens as the configuration gives them: clear or as their SHA-256, checked entry by entry,
// and no error that could reach a log ever quoting a token.
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTokens } from '../../src/api/http/tokens';
import { matchesDigest, tokenDigest } from '../../src/crypto/token-digest';

const SECRET = 'kf8Qw2nV0pLx7RzT4bYc1mHs9dJe6aGu';
const dir = () => mkdtempSync(join(tmpdir(), 'cellshift-tokens-'));

describe('API tokens from the configuration', () => {
  it('takes a token or its SHA-256 (hex, any case), and keeps the hash form without a token', () => {
    const hash = tokenDigest(SECRET);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(matchesDigest(hash, SECRET)).toBe(true);
    expect(matchesDigest(hash, `${SECRET}x`)).toBe(false);
    const file = join(dir(), 'tokens.json');
    writeFileSync(file, JSON.stringify([{ tokenSha256: hash.toUpperCase(), subject: 'ops', role: 'operator' }, { token: 'clear-one', subject: 'v', role: 'viewer' }]));
    // An empty CELLSHIFT_TOKENS (docker-compose's `${CELLSHIFT_TOKENS:-}`) leaves the file in charge.
    const { tokens, generated } = loadTokens(dir(), { CELLSHIFT_TOKENS: '', CELLSHIFT_TOKENS_FILE: file });
    expect(generated).toBeUndefined();
    expect(tokens).toEqual([
      { tokenSha256: hash, subject: 'ops', role: 'operator' },
      { token: 'clear-one', subject: 'v', role: 'viewer' },
    ]);
  });

  it('refuses an entry with both, neither, or a hash that is not one, naming the entry and never its token', () => {
    const refusal = (entries: unknown) => {
      try {
        loadTokens(dir(), { CELLSHIFT_TOKENS: typeof entries === 'string' ? entries : JSON.stringify(entries) });
      } catch (err) {
        return (err as Error).message;
      }
      throw new Error('accepted');
    };
    const both = refusal([{ token: SECRET, tokenSha256: tokenDigest(SECRET), subject: 'ops', role: 'admin' }]);
    expect(both).toBe('CELLSHIFT_TOKENS[0] (ops): give either token or tokenSha256 (its SHA-256 in hex: cellshift tokens hash), not both');
    expect(refusal([{ subject: 'ops', role: 'admin' }])).toContain('not neither');
    expect(refusal([{ tokenSha256: SECRET, subject: 'ops', role: 'admin' }])).toBe('CELLSHIFT_TOKENS[0] (ops): tokenSha256 must be 64 hex digits (cellshift tokens hash)');
    expect(refusal([{ token: SECRET, subject: 'ops', role: 'root' }])).toContain('a role of viewer/operator/admin/customer');
    expect(refusal([{ token: SECRET, subject: 'carla', role: 'customer' }])).toContain('a customer token needs cells');
    // JSON.parse's own message quotes the text around the fault: here, the token's start (a shell's quotes lost).
    const json = `[{"token": ${SECRET}, "subject": "ops", "role": "admin"}]`;
    expect(() => JSON.parse(json)).toThrow(SECRET.slice(0, 8));
    const broken = refusal(json);
    expect(broken).toBe('CELLSHIFT_TOKENS is not valid JSON');
    for (const message of [both, broken]) expect(message).not.toContain(SECRET.slice(0, 8));
  });

  it('with nothing configured, generates an admin token once, 0600, into the data directory', () => {
    const data = dir();
    const first = loadTokens(data, {});
    expect(first.generated).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(readFileSync(join(data, 'admin-token'), 'utf8')).toBe(first.generated);
    expect(statSync(join(data, 'admin-token')).mode & 0o777).toBe(0o600);
    expect(loadTokens(data, {}).generated).toBe(first.generated);
  });
});
