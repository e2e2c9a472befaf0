/** `tributary agent` straight from the sources (the tests' entry); exits as the binary does, whatever is still open. */
import { runAgentCommand } from "./cli";

process.exit(await runAgentCommand(process.argv.slice(2)));
