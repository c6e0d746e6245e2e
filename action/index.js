// The action's entry (action.yml runs.main). The logic is run() in main.js, which @github/local-action drives.
import { run } from './main.js';

await run();
// Kept-alive registry connections must not hold the step open.
process.exit(process.exitCode ?? 0);
