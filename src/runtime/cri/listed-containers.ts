/**
 * A `ListContainersResponse` read as bytes first. Everything of a CRI `Container` but its state is fixed
 * when it is created, so from one listing to the next nearly every entry arrives byte for byte as before.
 * Decoding 1000 of them with their kubelet labels and annotations cost the idle daemon ~90 ms every
 * safety-net listing; finding where each one sits and comparing it with the last listing's bytes costs a
 * small fraction of that, and only the entries that differ are decoded.
 */

/** One `Container` of a listing, undecoded. */
export interface RawContainer {
  /** Its `id` field. */
  id: string;
  /**
   * The entry as a one-container `ListContainersResponse` (the field's tag, length and body), so that
   * any run of them concatenated decodes as a response of those containers.
   */
  bytes: Buffer;
}

/** `ListContainersResponse.containers` is field 1, length-delimited; `Container.id` is field 1 too. */
const CONTAINERS_TAG = (1 << 3) | 2;
const ID_TAG = (1 << 3) | 2;

/**
 * Reads a varint at `pos`: [value, next position], or undefined past the end. Values past 2^53 lose
 * precision, which only matters for lengths, and those are checked against the end anyway.
 */
function varint(buf: Buffer, pos: number, end: number): [number, number] | undefined {
  let value = 0;
  let scale = 1;
  for (let i = pos; i < end && i < pos + 10; i++) {
    const byte = buf[i]!;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return [value, i + 1];
    scale *= 128;
  }
  return undefined;
}

/** The [start, end) of a length-delimited value whose length starts at `pos`, if it fits before `end`. */
function lengthDelimited(buf: Buffer, pos: number, end: number): [number, number] | undefined {
  const len = varint(buf, pos, end);
  return len && len[1] + len[0] <= end ? [len[1], len[1] + len[0]] : undefined;
}

/** Position after the field whose value starts at `pos` (wire type `wire`), or undefined if malformed. */
function skip(buf: Buffer, wire: number, pos: number, end: number): number | undefined {
  let next: number | undefined;
  if (wire === 0) next = varint(buf, pos, end)?.[1];
  else if (wire === 1) next = pos + 8;
  else if (wire === 5) next = pos + 4;
  else if (wire === 2) next = lengthDelimited(buf, pos, end)?.[1];
  return next !== undefined && next <= end ? next : undefined;
}

/** The `id` of the `Container` body in [pos, end), '' when absent, undefined if malformed. */
function containerId(buf: Buffer, pos: number, end: number): string | undefined {
  let id = '';
  while (pos < end) {
    const tag = varint(buf, pos, end);
    if (!tag || tag[0] < 8) return undefined;
    if (tag[0] === ID_TAG) {
      const value = lengthDelimited(buf, tag[1], end);
      if (!value) return undefined;
      // Last one wins, as in any protobuf decoder.
      id = buf.toString('utf8', value[0], value[1]);
    }
    const next = skip(buf, tag[0] & 7, tag[1], end);
    if (next === undefined) return undefined;
    pos = next;
  }
  return id;
}

/**
 * The containers of a `ListContainersResponse`, each as its id and its bytes, without decoding them.
 * Undefined when the bytes hold anything but well-formed container entries (the caller then decodes
 * them whole, which reports what is wrong); unknown fields inside an entry are fine, they are bytes.
 */
export function splitListedContainers(buf: Buffer): RawContainer[] | undefined {
  const out: RawContainer[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const tag = varint(buf, pos, buf.length);
    if (!tag || tag[0] !== CONTAINERS_TAG) return undefined;
    const body = lengthDelimited(buf, tag[1], buf.length);
    if (!body) return undefined;
    const [start, end] = body;
    const id = containerId(buf, start, end);
    if (id === undefined) return undefined;
    out.push({ id, bytes: buf.subarray(pos, end) });
    pos = end;
  }
  return out;
}
