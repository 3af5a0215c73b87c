#!/usr/bin/env node
// The `cellshift` command (package.json bin): the TypeScript CLI, run through tsx as the rest of cellshift is.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
