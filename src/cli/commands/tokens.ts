// `cellshift tokens hash`: API tokens as the configuration keeps them, by their hash.
import { text as readAll } from 'node:stream/consumers';
import type { Command } from 'commander';
import { tokenDigest } from '../../crypto/token-digest';
import { CliError, EXIT } from '../client';
import type { CliContext } from '../context';

export function addTokensCommands(program: Command, { print }: CliContext): void {
  const tokens = program.command('tokens').description('API tokens, as the configuration keeps them');
  tokens
    .command('hash')
    .description('the SHA-256 of a token read from stdin, for a tokenSha256 entry of CELLSHIFT_TOKENS (the token stays off the command line)')
    .action(async () => {
      const token = (await readAll(process.stdin)).trim();
      if (!token) throw new CliError('no token on stdin: printf %s "$TOKEN" | cellshift tokens hash', EXIT.refused);
      if (/\s/.test(token)) throw new CliError('a bearer token has no spaces or line breaks: give one token on stdin', EXIT.refused);
      // Unsalted SHA-256 is safe for random tokens only: a guessable one is found again from its hash.
      if (token.length < 32) console.error(`cellshift: this token has ${token.length} characters: a hash of a guessable token can be reversed; use a random one (openssl rand -base64 32)`);
      const tokenSha256 = tokenDigest(token);
      print({ tokenSha256 }, () => tokenSha256);
    });
}
