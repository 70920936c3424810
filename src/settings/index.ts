export * from './table.js';
export * from './setting.js';
export * from './resolve.js';
export * from './load.js';
export * from './config-file.js';
export * from './compression.js';
export { MAX_TIMER_MS, type Kind, type Origin, type ParseContext } from './kinds.js';
export * from './library.js';
