/**
 * Errors of the wire layer. Every malformed input surfaces as a WireError with a
 * stable `code`, the byte offset (or text position) where decoding stopped, and a
 * human reason. Nothing else may escape the codec on hostile input.
 */
export type WireErrorCode =
  | 'truncated' // the buffer ended before the structure did
  | 'bad-pointer' // compression pointer forward, to itself, or looping
  | 'too-many-pointers'
  | 'name-too-long' // > 255 octets uncompressed (RFC 1035 2.3.4)
  | 'label-too-long' // > 63 octets
  | 'bad-label-type' // 0x40/0x80 label types (RFC 6891 9 deprecates them)
  | 'rdlength-mismatch' // RDATA decoder did not consume exactly RDLENGTH octets
  | 'bad-rdata' // a field's value is invalid for its type
  | 'bad-opt' // OPT misplaced, duplicated or malformed
  | 'trailing-data' // bytes after the last record
  | 'message-too-long' // encoding would exceed 65535 octets
  | 'bad-text'; // presentation-format parse error

export class WireError extends Error {
  override readonly name = 'WireError';
  readonly code: WireErrorCode;
  /** Byte offset for wire errors; character offset (or -1) for text errors. */
  readonly offset: number;
  constructor(code: WireErrorCode, reason: string, offset = -1) {
    super(offset >= 0 ? `${reason} (at offset ${offset})` : reason);
    this.code = code;
    this.offset = offset;
  }
}

export function textError(reason: string): WireError {
  return new WireError('bad-text', reason);
}
