// The `cellshift` command: every operator task over the REST API, with live views (`--watch`)
// that end with the outcome and an exit code a script can use, and `-o json` everywhere. Each
// group of commands is a file of its own under commands/.
import { Command, Option } from 'commander';
import { addBundlesCommands } from './commands/bundles';
import { addCellsCommands } from './commands/cells';
import { addContractCommands } from './commands/contract';
import { addDebugAccessCommands } from './commands/debug-access';
import { addInfraCommands } from './commands/infra';
import { addReleasesCommands } from './commands/releases';
import { addRolloutsCommands } from './commands/rollouts';
import { addSupportBundleCommands } from './commands/support-bundle';
import { addTokensCommands } from './commands/tokens';
import { addUpdatesCommands } from './commands/updates';
import { cliContext } from './context';

export function buildProgram(): Command {
  const program = new Command('cellshift')
    .description('Durable updates for a fleet of cells, from the command line')
    .option('--api <url>', 'the cellshift API (env CELLSHIFT_API, default http://127.0.0.1:8080)')
    .option('--token <token>', 'a bearer token (env CELLSHIFT_TOKEN, a config file, or ./data/admin-token)')
    .addOption(new Option('-o, --output <format>', 'text for people, json for scripts').choices(['text', 'json']).default('text'))
    .showHelpAfterError()
    .exitOverride();

  // Commands copy the settings above (help after an error, exit override) when they are made, so
  // they are added after them, in the order `--help` lists them.
  const ctx = cliContext(program);
  addCellsCommands(program, ctx);
  addReleasesCommands(program, ctx);
  addUpdatesCommands(program, ctx);
  addRolloutsCommands(program, ctx);
  addBundlesCommands(program, ctx);
  addInfraCommands(program, ctx);
  addDebugAccessCommands(program, ctx);
  addSupportBundleCommands(program, ctx);
  addContractCommands(program, ctx);
  addTokensCommands(program, ctx);
  return program;
}
