import type { IncomingHttpHeaders } from 'node:http';
import type { ObjectLayer, ObjectMetadata } from '../storage/index.js';
import { headerValue } from './object-metadata.js';
import { OWNER } from './s3-context.js';
import { S3Error } from './s3-errors.js';
import { childElement, childElements, parseXml, type XmlObject } from './xml.js';

/**
 * Access control lists, for a server with one owner: every bucket and object belongs
 * to the owner; an ACL adds grants to the three predefined groups (AllUsers,
 * AuthenticatedUsers, LogDelivery) or restates the owner's own permissions. Canned
 * ACLs, x-amz-grant-* headers and AccessControlPolicy documents are all reduced to
 * that one grant list, stored compactly (bucket config 'acl', object metadata
 * 'x-amz-acl') and rendered back the way S3 does.
 *
 * What the grants do (server/anonymous-access.ts): AllUsers grants open a bucket or
 * object to unsigned requests (public-read, public-read-write). Every signed request
 * comes from a user with the owner's rights until IAM exists, so AuthenticatedUsers
 * grants change nothing yet. Grants to other canonical users or e-mail addresses name
 * users that do not exist here: InvalidArgument / UnresolvableGrantByEmailAddress,
 * as S3 answers for unknown grantees.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html
 */

export const ACL_PERMISSIONS = ['READ', 'WRITE', 'READ_ACP', 'WRITE_ACP', 'FULL_CONTROL'] as const;
export type AclPermission = (typeof ACL_PERMISSIONS)[number];

export const ACL_GROUPS = ['AllUsers', 'AuthenticatedUsers', 'LogDelivery'] as const;
export type AclGroup = (typeof ACL_GROUPS)[number];

/** 'owner' is the one canonical user; the groups are S3's predefined groups. */
export type AclGrantee = 'owner' | AclGroup;

export interface AclGrant {
  grantee: AclGrantee;
  permission: AclPermission;
}

export type Acl = readonly AclGrant[];

/** Object metadata entry holding an object version's ACL (absent: private). */
export const ACL_METADATA = 'x-amz-acl';

/** S3 accepts at most 100 grants in one ACL. */
export const MAX_GRANTS = 100;

const GROUP_URI_PREFIX = 'http://acs.amazonaws.com/groups/';
const GROUP_URIS: Record<AclGroup, string> = {
  AllUsers: `${GROUP_URI_PREFIX}global/AllUsers`,
  AuthenticatedUsers: `${GROUP_URI_PREFIX}global/AuthenticatedUsers`,
  LogDelivery: `${GROUP_URI_PREFIX}s3/LogDelivery`,
};

const OWNER_FULL_CONTROL: AclGrant = { grantee: 'owner', permission: 'FULL_CONTROL' };

/** The default ACL of every bucket and object. */
export const PRIVATE_ACL: Acl = [OWNER_FULL_CONTROL];

/**
 * The canned ACLs and the grants they stand for. With one owner, the bucket-owner-*
 * ACLs are `private`; aws-exec-read's grantee (Amazon EC2) does not exist here, so it
 * is `private` too.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#canned-acl
 */
const CANNED_ACLS: Record<string, Acl> = {
  private: PRIVATE_ACL,
  'public-read': [{ grantee: 'AllUsers', permission: 'READ' }, OWNER_FULL_CONTROL],
  'public-read-write': [
    { grantee: 'AllUsers', permission: 'READ' },
    { grantee: 'AllUsers', permission: 'WRITE' },
    OWNER_FULL_CONTROL,
  ],
  'authenticated-read': [{ grantee: 'AuthenticatedUsers', permission: 'READ' }, OWNER_FULL_CONTROL],
  'aws-exec-read': PRIVATE_ACL,
  'bucket-owner-read': PRIVATE_ACL,
  'bucket-owner-full-control': PRIVATE_ACL,
  'log-delivery-write': [
    { grantee: 'LogDelivery', permission: 'WRITE' },
    { grantee: 'LogDelivery', permission: 'READ_ACP' },
    OWNER_FULL_CONTROL,
  ],
};

const GRANT_HEADERS: ReadonlyArray<[string, AclPermission]> = [
  ['x-amz-grant-read', 'READ'],
  ['x-amz-grant-write', 'WRITE'],
  ['x-amz-grant-read-acp', 'READ_ACP'],
  ['x-amz-grant-write-acp', 'WRITE_ACP'],
  ['x-amz-grant-full-control', 'FULL_CONTROL'],
];

/** A canned ACL name (the `x-amz-acl` header, the POST form's `acl` field) → grants; InvalidArgument otherwise. */
export function cannedAcl(name: string): Acl {
  const acl = CANNED_ACLS[name.trim()];
  if (acl === undefined) {
    throw new S3Error('InvalidArgument', {
      message: 'The canned ACL is not valid.',
      extra: { ArgumentName: 'x-amz-acl', ArgumentValue: name.slice(0, 64) },
    });
  }
  return normalizeAcl(acl);
}

/**
 * The ACL a request's `x-amz-acl` or `x-amz-grant-*` headers ask for (CreateBucket,
 * PutObject, CopyObject, CreateMultipartUpload, Put*Acl); undefined when none is
 * given. Both kinds together are InvalidRequest, as S3.
 */
export function aclFromHeaders(headers: IncomingHttpHeaders): Acl | undefined {
  const canned = headerValue(headers, 'x-amz-acl');
  const grants: AclGrant[] = [];
  for (const [name, permission] of GRANT_HEADERS) {
    const value = headerValue(headers, name);
    if (value === undefined) continue;
    for (const grantee of parseGranteeList(value, name)) grants.push({ grantee, permission });
  }
  if (canned !== undefined && grants.length > 0) {
    throw new S3Error('InvalidRequest', {
      message: 'Specifying both Canned ACLs and Header Grants is not allowed',
    });
  }
  if (canned !== undefined) return cannedAcl(canned);
  return grants.length > 0 ? normalizeAcl(grants) : undefined;
}

/** `id="…", uri="…", emailAddress="…"` of an x-amz-grant-* header. */
function parseGranteeList(value: string, header: string): AclGrantee[] {
  const out: AclGrantee[] = [];
  for (const item of value.split(',')) {
    const text = item.trim();
    if (text === '') continue;
    const match = /^(id|uri|emailAddress)\s*=\s*"?([^"]*)"?$/i.exec(text);
    if (!match) {
      throw new S3Error('InvalidArgument', {
        extra: { ArgumentName: header, ArgumentValue: text.slice(0, 256) },
      });
    }
    const kind = (match[1] ?? '').toLowerCase();
    const id = match[2] ?? '';
    if (kind === 'id') out.push(canonicalUser(id));
    else if (kind === 'uri') out.push(groupFromUri(id));
    else throw unresolvableEmail(id);
  }
  if (out.length > MAX_GRANTS) throw tooManyGrants();
  return out;
}

function canonicalUser(id: string): AclGrantee {
  if (id === OWNER.ID) return 'owner';
  throw new S3Error('InvalidArgument', {
    message: 'Invalid id',
    extra: { ArgumentName: 'CanonicalUser/ID', ArgumentValue: id.slice(0, 256) },
  });
}

function groupFromUri(uri: string): AclGrantee {
  for (const group of ACL_GROUPS) if (GROUP_URIS[group] === uri) return group;
  throw new S3Error('InvalidArgument', {
    message: 'Invalid group uri',
    extra: { ArgumentName: 'Group/URI', ArgumentValue: uri.slice(0, 256) },
  });
}

function unresolvableEmail(email: string): S3Error {
  return new S3Error('UnresolvableGrantByEmailAddress', {
    extra: { EmailAddress: email.slice(0, 256) },
  });
}

function tooManyGrants(): S3Error {
  return new S3Error('MalformedACLError', { cause: new Error(`more than ${MAX_GRANTS} grants`) });
}

/**
 * An AccessControlPolicy document (Put*Acl body) → grants. The Owner, when given,
 * must be the owner. MalformedACLError for anything that is not one.
 */
export function aclFromBody(bytes: Uint8Array): Acl {
  const root = parseXml(bytes);
  if (root.name !== 'AccessControlPolicy') throw new S3Error('MalformedACLError');
  const owner = childElement(root, 'Owner');
  const ownerId = owner === undefined ? undefined : childElement(owner, 'ID')?.text.trim();
  if (ownerId !== undefined && ownerId !== OWNER.ID) {
    throw new S3Error('AccessDenied', { cause: new Error('ACL names another owner') });
  }
  const list = childElement(root, 'AccessControlList');
  if (list === undefined) throw new S3Error('MalformedACLError');
  const grantElements = childElements(list, 'Grant');
  if (grantElements.length > MAX_GRANTS) throw tooManyGrants();
  const grants: AclGrant[] = [];
  for (const grant of grantElements) {
    const grantee = childElement(grant, 'Grantee');
    const permission = childElement(grant, 'Permission')?.text.trim();
    if (grantee === undefined || !isPermission(permission)) throw new S3Error('MalformedACLError');
    // The parser drops attributes (xsi:type): the grantee's kind is the element it carries.
    const id = childElement(grantee, 'ID')?.text.trim();
    const uri = childElement(grantee, 'URI')?.text.trim();
    const email = childElement(grantee, 'EmailAddress')?.text.trim();
    if (id !== undefined) grants.push({ grantee: canonicalUser(id), permission });
    else if (uri !== undefined) grants.push({ grantee: groupFromUri(uri), permission });
    else if (email !== undefined) throw unresolvableEmail(email);
    else throw new S3Error('MalformedACLError');
  }
  return normalizeAcl(grants);
}

function isPermission(value: string | undefined): value is AclPermission {
  return (ACL_PERMISSIONS as readonly string[]).includes(value ?? '');
}

/**
 * One order for every stored and rendered ACL: group grants first (by group, then
 * permission), the owner's last; duplicates dropped. S3 lists group grants before
 * the owner's FULL_CONTROL for canned ACLs, and clients compare in order.
 */
export function normalizeAcl(grants: readonly AclGrant[]): Acl {
  const rank = (g: AclGrant) =>
    (g.grantee === 'owner' ? ACL_GROUPS.length : ACL_GROUPS.indexOf(g.grantee)) * ACL_PERMISSIONS.length +
    ACL_PERMISSIONS.indexOf(g.permission);
  const seen = new Set<number>();
  const out: AclGrant[] = [];
  for (const g of [...grants].sort((a, b) => rank(a) - rank(b))) {
    if (seen.has(rank(g))) continue;
    seen.add(rank(g));
    out.push({ grantee: g.grantee, permission: g.permission });
  }
  return out;
}

/** Compact stored form: `AllUsers:READ,owner:FULL_CONTROL` ('' = no grants at all). */
export function encodeAcl(acl: Acl): string {
  return acl.map((g) => `${g.grantee}:${g.permission}`).join(',');
}

/** Reads the stored form; a value this version cannot read counts as private (fail closed). */
export function decodeAcl(stored: string | undefined): Acl {
  if (stored === undefined) return PRIVATE_ACL;
  if (stored === '') return [];
  const grants: AclGrant[] = [];
  for (const item of stored.split(',')) {
    const [grantee, permission] = item.split(':');
    const known = grantee === 'owner' || (ACL_GROUPS as readonly string[]).includes(grantee ?? '');
    if (!known || !isPermission(permission)) return PRIVATE_ACL;
    grants.push({ grantee: grantee as AclGrantee, permission });
  }
  return grants;
}

/** The object metadata entry for an ACL; private is stored as no entry. */
export function aclMetadata(acl: Acl | undefined): ObjectMetadata {
  if (acl === undefined) return {};
  const encoded = encodeAcl(acl);
  return encoded === encodeAcl(PRIVATE_ACL) ? {} : { [ACL_METADATA]: encoded };
}

/** An object version's ACL from its metadata. */
export function objectAcl(metadata: ObjectMetadata): Acl {
  return decodeAcl(metadata[ACL_METADATA]);
}

/** Metadata without the ACL entry (copies start private unless the request names an ACL). */
export function withoutAcl(metadata: ObjectMetadata): ObjectMetadata {
  const { [ACL_METADATA]: _acl, ...rest } = metadata;
  return rest;
}

/** Whether `grantee` holds `permission` (FULL_CONTROL includes every permission). */
export function aclGrants(acl: Acl, grantee: AclGrantee, permission: AclPermission): boolean {
  return acl.some(
    (g) => g.grantee === grantee && (g.permission === permission || g.permission === 'FULL_CONTROL'),
  );
}

const XSI = 'http://www.w3.org/2001/XMLSchema-instance';

/** The AccessControlPolicy document Get*Acl returns. */
export function aclPolicyBody(acl: Acl): XmlObject {
  return {
    Owner: OWNER,
    AccessControlList: {
      Grant: acl.map((g) => ({
        Grantee:
          g.grantee === 'owner'
            ? {
                '@_xmlns:xsi': XSI,
                '@_xsi:type': 'CanonicalUser',
                ID: OWNER.ID,
                DisplayName: OWNER.DisplayName,
              }
            : { '@_xmlns:xsi': XSI, '@_xsi:type': 'Group', URI: GROUP_URIS[g.grantee] },
        Permission: g.permission,
      })),
    },
  };
}

/** The bucket config value for an ACL; private is stored as no document. */
export function bucketAclConfig(acl: Acl): string | undefined {
  const encoded = encodeAcl(acl);
  return encoded === encodeAcl(PRIVATE_ACL) ? undefined : encoded;
}

/** A bucket's ACL. Throws storage errors (NoSuchBucket) for the caller to map. */
export async function bucketAcl(objectLayer: ObjectLayer, bucket: string): Promise<Acl> {
  return decodeAcl(await objectLayer.getBucketConfig(bucket, 'acl'));
}

/** Whether an ACL grants anything to everyone or to every authenticated user. */
export function aclIsPublic(acl: Acl): boolean {
  return acl.some((g) => g.grantee === 'AllUsers' || g.grantee === 'AuthenticatedUsers');
}
