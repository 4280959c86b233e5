import { CHECKSUM_HEADERS, type FlexibleChecksumAlgorithm } from './checksums/index.js';
import { MAX_PART_NUMBER } from './multipart-upload.js';
import { S3Error } from './s3-errors.js';
import { childElement, parseXml } from './xml.js';

/**
 * The CompleteMultipartUpload request document:
 * `<CompleteMultipartUpload><Part><PartNumber/><ETag/>[<ChecksumCRC32/>…]</Part>…`
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html#API_CompleteMultipartUpload_RequestSyntax
 */
export interface RequestedPart {
  partNumber: number;
  /** Without quotes. */
  etag: string;
  /** Checksums the client expects for this part (base64 by algorithm). */
  checksums: Partial<Record<FlexibleChecksumAlgorithm, string>>;
}

/** 10,000 parts with ETags and SHA-256 checksums fit in about 1.6 MB; leave room for whitespace. */
export const MAX_COMPLETE_BODY_BYTES = 4 * 1024 * 1024;

const ALGORITHMS = Object.keys(CHECKSUM_HEADERS) as FlexibleChecksumAlgorithm[];

/**
 * Parses the document. MalformedXML for anything but a CompleteMultipartUpload with
 * 1..10000 parts that each have a PartNumber and an ETag (an empty body too, as AWS);
 * InvalidArgument for a part number outside 1..10000.
 *
 * A part number listed several times in a row counts once, with its LAST entry: the
 * list must be ascending, not strictly (RGW, and ceph/s3-tests'
 * test_multipart_resend_first_finishes_last: a client that re-sent a part lists each
 * upload's ETag, and the last upload is what the part holds). So the result is strictly
 * ascending unless the document goes down somewhere; that check (InvalidPartOrder) is
 * the caller's.
 */
export function parseCompleteMultipartUpload(body: Uint8Array): RequestedPart[] {
  if (body.length === 0) throw new S3Error('MalformedXML');
  const root = parseXml(body);
  if (root.name !== 'CompleteMultipartUpload') throw new S3Error('MalformedXML');
  const parts: RequestedPart[] = [];
  for (const el of root.children) {
    if (el.name !== 'Part') continue;
    const number = childElement(el, 'PartNumber')?.text.trim();
    const etag = childElement(el, 'ETag')?.text;
    if (number === undefined || etag === undefined || !/^\d{1,16}$/.test(number)) {
      throw new S3Error('MalformedXML');
    }
    const partNumber = Number(number);
    if (partNumber < 1 || partNumber > MAX_PART_NUMBER) {
      throw new S3Error('InvalidArgument', {
        message: 'Part number must be an integer between 1 and 10000, inclusive',
        extra: { ArgumentName: 'partNumber', ArgumentValue: number },
      });
    }
    const checksums: RequestedPart['checksums'] = {};
    for (const alg of ALGORITHMS) {
      const value = childElement(el, `Checksum${alg}`)?.text.trim();
      if (value !== undefined && value !== '') checksums[alg] = value;
    }
    const part = { partNumber, etag: unquote(etag), checksums };
    if (parts.at(-1)?.partNumber === partNumber) parts[parts.length - 1] = part;
    else parts.push(part);
    if (parts.length > MAX_PART_NUMBER) throw new S3Error('MalformedXML');
  }
  if (parts.length === 0) throw new S3Error('MalformedXML');
  return parts;
}

function unquote(etag: string): string {
  let v = etag.trim();
  if (v.startsWith('&quot;')) v = v.slice(6);
  if (v.endsWith('&quot;')) v = v.slice(0, -6);
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
  return v;
}
