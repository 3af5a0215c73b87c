// Task tokens as the agent endpoint hands them to a cell's agent: the server's token with an
// HMAC-SHA256 (node:crypto) over the cell's id and the token, so only the agent of the cell the
// endpoint handed it to can answer for it, whichever replica it reaches.
import { createHmac, timingSafeEqual } from 'node:crypto';

const VERSION = 1;
const MAC_BYTES = 32;

function mac(key: Buffer, cellId: string, token: Uint8Array): Buffer {
  return createHmac('sha256', key).update(`cellshift task token v${VERSION}\0${cellId}\0`).update(token).digest();
}

export function wrapTaskToken(key: Buffer, cellId: string, token: Uint8Array): Buffer {
  return Buffer.concat([Buffer.of(VERSION), mac(key, cellId, token), token]);
}

/** The server's token, if `wrapped` was handed to `cellId`'s agent; undefined for anything else. */
export function unwrapTaskToken(key: Buffer, cellId: string, wrapped: Uint8Array): Uint8Array | undefined {
  if (wrapped.length <= 1 + MAC_BYTES || wrapped[0] !== VERSION) return undefined;
  const token = wrapped.subarray(1 + MAC_BYTES);
  const expected = mac(key, cellId, token);
  return timingSafeEqual(expected, Buffer.from(wrapped.subarray(1, 1 + MAC_BYTES))) ? token : undefined;
}
