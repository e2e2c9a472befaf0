/** Stand-alone entry for `tributary agent`, used until the main CLI dispatches to runAgentCommand. */
import { runAgentCommand } from "./cli";

process.exitCode = await runAgentCommand(process.argv.slice(2));
