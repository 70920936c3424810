/** Messages from a compression pool to one of its workers. */
export type WorkerRequest =
  | { op: 'open'; sid: number; codec: 'gzip' | 'zstd'; level: number; data?: undefined }
  | { op: 'chunk'; sid: number; data: Uint8Array }
  | { op: 'end' | 'abort'; sid: number; data?: undefined };

/** Messages from a worker back to its pool. */
export type WorkerReply =
  | { op: 'ready'; tid: number | null; data?: undefined }
  | { op: 'chunk' | 'end'; sid: number; data: Uint8Array }
  | { op: 'error'; sid: number; message: string; data?: undefined };
