import type { ObjectInfo } from '../storage/index.js';
import { CHECKSUM_TYPE_METADATA } from './multipart-upload.js';
import { checksumEntries } from './object-metadata.js';
import { S3Error } from './s3-errors.js';

/**
 * GetObject / HeadObject with ?partNumber=
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html#API_GetObject_RequestSyntax).
 *
 * A multipart object answers the bytes of that part with 206, Content-Range and
 * x-amz-mp-parts-count; with x-amz-checksum-mode the part's checksum (and the object's
 * checksum type). A single-part object answers partNumber=1 as the whole object.
 * A part number the object does not have is 400 InvalidPart. Deviation: AWS is reported
 * to answer 416 InvalidPartNumber there; we follow ceph/s3-tests (and RGW), which expect
 * InvalidPart. A zero-byte part of a non-empty object exists but has no byte range to
 * describe: 416 InvalidPartNumber, like an unsatisfiable Range. A part number outside
 * 1..10000 is the caller's InvalidArgument.
 */
export interface PartRead {
  /** undefined: the whole object (single-part object, part 1). */
  range: { kind: 'partial'; start: number; end: number } | undefined;
  /** Extra response headers (parts count; checksums when asked). */
  headers: Record<string, string>;
}

export function locatePart(info: ObjectInfo, partNumber: number, checksumMode: boolean): PartRead {
  const parts = info.parts;
  if (parts === undefined || parts.length === 0) {
    if (partNumber !== 1) throw new S3Error('InvalidPart');
    return { range: undefined, headers: {} };
  }
  let start = 0;
  for (const part of parts) {
    if (part.partNumber === partNumber) {
      // A zero-byte part of a non-empty object has no byte range to describe.
      if (part.sizeBytes === 0) throw new S3Error('InvalidPartNumber');
      const headers: Record<string, string> = { 'x-amz-mp-parts-count': String(parts.length) };
      if (checksumMode) {
        for (const [name, value] of checksumEntries(part.metadata)) headers[name] = value;
        const type = info.metadata[CHECKSUM_TYPE_METADATA];
        if (type !== undefined && checksumEntries(part.metadata).length > 0)
          headers[CHECKSUM_TYPE_METADATA] = type;
      }
      return { range: { kind: 'partial', start, end: start + part.sizeBytes - 1 }, headers };
    }
    start += part.sizeBytes;
  }
  throw new S3Error('InvalidPart');
}
