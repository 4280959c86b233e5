import type { IncomingHttpHeaders } from 'node:http';
import { headerValue } from './object-metadata.js';
import { OWNER } from './s3-context.js';
import { S3Error } from './s3-errors.js';
import { childElement, childElements, parseXml, type XmlObject } from './xml.js';

/**
 * ACLs the way single-owner servers answer them: every bucket and object belongs to
 * the one owner, who has FULL_CONTROL; the canned ACL `private` (or a policy document
 * that says exactly that) is accepted, anything that would grant someone else access
 * is NotImplemented rather than silently ignored.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html
 */

const XSI = 'http://www.w3.org/2001/XMLSchema-instance';
const GRANT_HEADERS = [
  'x-amz-grant-full-control',
  'x-amz-grant-read',
  'x-amz-grant-read-acp',
  'x-amz-grant-write',
  'x-amz-grant-write-acp',
] as const;

function notImplemented(): S3Error {
  return new S3Error('NotImplemented', {
    message: 'Only the canned ACL private is supported: access control lists are not implemented.',
  });
}

/**
 * x-amz-acl / x-amz-grant-* on CreateBucket, PutObject, CopyObject, PutBucketAcl and
 * PutObjectAcl: returns whether a canned ACL header was given; throws NotImplemented
 * for anything but `private`.
 */
export function checkAclHeaders(headers: IncomingHttpHeaders): boolean {
  for (const name of GRANT_HEADERS) if (headers[name] !== undefined) throw notImplemented();
  const canned = headerValue(headers, 'x-amz-acl');
  if (canned === undefined) return false;
  if (canned.trim() !== 'private') throw notImplemented();
  return true;
}

/** The AccessControlPolicy every bucket and object has: the owner with FULL_CONTROL. */
export function ownerAclBody(): XmlObject {
  return {
    Owner: OWNER,
    AccessControlList: {
      Grant: [
        {
          Grantee: {
            '@_xmlns:xsi': XSI,
            '@_xsi:type': 'CanonicalUser',
            ID: OWNER.ID,
            DisplayName: OWNER.DisplayName,
          },
          Permission: 'FULL_CONTROL',
        },
      ],
    },
  };
}

/**
 * Accepts an AccessControlPolicy body only when it grants exactly the owner
 * FULL_CONTROL (what `private` means); MalformedACLError when it is not one.
 */
export function checkAclBody(bytes: Uint8Array): void {
  const root = parseXml(bytes);
  if (root.name !== 'AccessControlPolicy') throw new S3Error('MalformedACLError');
  const owner = childElement(root, 'Owner');
  const ownerId = owner === undefined ? undefined : childElement(owner, 'ID')?.text.trim();
  if (ownerId !== undefined && ownerId !== OWNER.ID) throw notImplemented();
  const list = childElement(root, 'AccessControlList');
  if (list === undefined) throw new S3Error('MalformedACLError');
  const grants = childElements(list, 'Grant');
  if (grants.length === 0) throw notImplemented();
  for (const grant of grants) {
    const grantee = childElement(grant, 'Grantee');
    const permission = childElement(grant, 'Permission')?.text.trim();
    if (grantee === undefined || permission === undefined) throw new S3Error('MalformedACLError');
    const id = childElement(grantee, 'ID')?.text.trim();
    if (id !== OWNER.ID || permission !== 'FULL_CONTROL') throw notImplemented();
  }
}
