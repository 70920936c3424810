/**
 * Sizes libuv's thread pool before its first use (it is created on the first file system call, then
 * fixed). gzip, fsync and every `fs.promises` call share it; with the default of 4 threads, two running
 * compressions and their fsyncs leave a fast writer's rename and reopen waiting in the queue, which is
 * log growth past the limit. An explicit UV_THREADPOOL_SIZE from the environment wins.
 */
export const THREADPOOL_SIZE = 16;

process.env.UV_THREADPOOL_SIZE ??= String(THREADPOOL_SIZE);
