// The wrangler config import moved to src/wrangler/; this path stays until options/index.ts imports it from there.
export { findWranglerConfig, readWranglerConfig, type WranglerConfig } from '../wrangler/index.js'
