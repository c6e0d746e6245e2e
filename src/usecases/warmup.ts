/** Start-up help for a face that knows its run's first registry before it is ready to run (src/connect/warmup.ts). */
export { warmUpContact } from '../connect/warmup.js';
