/** Messages from a compression pool to one of its workers. */
export type WorkerRequest =
  | { op: 'open'; sid: number; codec: 'gzip' | 'zstd'; level: number; data?: undefined }
  /** `data` is a view of a transferred buffer; the whole buffer comes back in the reply for reuse. */
  | { op: 'chunk'; sid: number; data: Uint8Array }
  | { op: 'end' | 'abort'; sid: number; data?: undefined };

/** Messages from a worker back to its pool. */
export type WorkerReply =
  | { op: 'ready'; tid: number | null; data?: undefined }
  | { op: 'chunk'; sid: number; data: Uint8Array; input: ArrayBuffer }
  | { op: 'end'; sid: number; data: Uint8Array }
  | { op: 'error'; sid: number; message: string; data?: undefined };
