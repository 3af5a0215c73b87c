// `cellshift …` (package.json bin): runs the command, prints a refusal as the API's problem, not a
// stack, and exits 0 (done), 1 (it ended badly), 2 (refused or misused), 3 (cellshift unreachable).
import { CommanderError } from 'commander';
import { CliError, EXIT } from './client';
import { buildProgram } from './program';

try {
  await buildProgram().parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // Help and version printed by commander end well; its usage errors were printed already.
    process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.refused;
  } else if (err instanceof CliError) {
    console.error(`cellshift: ${err.message}`);
    process.exitCode = err.exitCode;
  } else {
    console.error(`cellshift: ${(err as Error).message}`);
    process.exitCode = EXIT.refused;
  }
}
