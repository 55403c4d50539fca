import { useSyncExternalStore } from 'react';
import type { TraceStore, TraceView } from './trace-store.js';

/** The store's current view; the component re-renders only when the store publishes a new one. */
export function useTraceView(store: TraceStore): TraceView {
  return useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
}
