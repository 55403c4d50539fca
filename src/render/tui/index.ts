export { runTui, type TuiOptions } from './runTui.js';
export { createTraceStore, type TraceStore, type TraceView, type TraceStoreOptions } from './traceStore.js';
