// The only door into common/: small helpers every layer may use.

export { type BufferLender, FlushRecycler } from './flush-recycler.js';
export type { Logger } from './logger.js';
export { noopLogger } from './logger.js';
