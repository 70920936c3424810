/** Messages from a compression pool to one of its workers. */
export type WorkerRequest =
  | { op: 'open'; sid: number; codec: 'gzip' | 'zstd'; level: number; data?: undefined }
  /**
   * `data` is a view of a transferred buffer; the whole buffer comes back in the reply for reuse. `out`,
   * when given, is a buffer the worker may compress into (it comes back too, holding the output).
   */
  | { op: 'chunk'; sid: number; data: Uint8Array; out?: ArrayBuffer }
  | { op: 'end' | 'abort'; sid: number; data?: undefined };

/** Messages from a worker back to its pool. */
export type WorkerReply =
  | { op: 'ready'; tid: number | null; data?: undefined }
  /** `out` is the request's output buffer, returned; `data` may be a view into it. */
  | { op: 'chunk'; sid: number; data: Uint8Array; input: ArrayBuffer; out?: ArrayBuffer }
  | { op: 'end'; sid: number; data: Uint8Array }
  | { op: 'error'; sid: number; message: string; data?: undefined };
