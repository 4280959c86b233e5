import { describe, expect, it } from 'vitest';
import {
  aclFromBody,
  aclFromHeaders,
  aclGrants,
  aclMetadata,
  aclPolicyBody,
  bucketAclConfig,
  cannedAcl,
  decodeAcl,
  encodeAcl,
  objectAcl,
  PRIVATE_ACL,
  withoutAcl,
} from './acl.js';
import { OWNER } from './s3-context.js';
import { buildXml } from './xml.js';

const ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers';
const AUTH_USERS = 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers';

const policy = (grants: string, ownerId: string = OWNER.ID) =>
  Buffer.from(
    `<AccessControlPolicy><Owner><ID>${ownerId}</ID></Owner><AccessControlList>${grants}</AccessControlList></AccessControlPolicy>`,
  );
const userGrant = (id: string, permission = 'FULL_CONTROL') =>
  `<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>${id}</ID></Grantee><Permission>${permission}</Permission></Grant>`;
const groupGrant = (uri: string, permission: string) =>
  `<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group"><URI>${uri}</URI></Grantee><Permission>${permission}</Permission></Grant>`;

const code = (c: string) => expect.objectContaining({ code: c });

describe('canned ACLs', () => {
  it('expand to group grants first, the owner FULL_CONTROL last', () => {
    expect(encodeAcl(cannedAcl('private'))).toBe('owner:FULL_CONTROL');
    expect(encodeAcl(cannedAcl('public-read'))).toBe('AllUsers:READ,owner:FULL_CONTROL');
    expect(encodeAcl(cannedAcl('public-read-write'))).toBe('AllUsers:READ,AllUsers:WRITE,owner:FULL_CONTROL');
    expect(encodeAcl(cannedAcl('authenticated-read'))).toBe('AuthenticatedUsers:READ,owner:FULL_CONTROL');
    expect(encodeAcl(cannedAcl('bucket-owner-full-control'))).toBe('owner:FULL_CONTROL');
    expect(encodeAcl(cannedAcl('log-delivery-write'))).toBe(
      'LogDelivery:WRITE,LogDelivery:READ_ACP,owner:FULL_CONTROL',
    );
  });

  it('an unknown name is InvalidArgument', () => {
    expect(() => cannedAcl('public')).toThrow(code('InvalidArgument'));
  });
});

describe('ACL headers', () => {
  it('none → undefined; x-amz-acl → the canned grants', () => {
    expect(aclFromHeaders({})).toBeUndefined();
    expect(aclFromHeaders({ 'x-amz-acl': 'public-read' })).toEqual(cannedAcl('public-read'));
  });

  it('x-amz-grant-* headers name the owner by id and groups by uri', () => {
    const acl = aclFromHeaders({
      'x-amz-grant-read': `uri="${ALL_USERS}", uri="${AUTH_USERS}"`,
      'x-amz-grant-full-control': `id="${OWNER.ID}"`,
    });
    expect(encodeAcl(acl ?? [])).toBe('AllUsers:READ,AuthenticatedUsers:READ,owner:FULL_CONTROL');
  });

  it('refuses unknown users, e-mail grantees, bad syntax and canned + grants together', () => {
    expect(() => aclFromHeaders({ 'x-amz-grant-read': 'id="someone-else"' })).toThrow(
      code('InvalidArgument'),
    );
    expect(() => aclFromHeaders({ 'x-amz-grant-read': 'emailAddress="a@b.c"' })).toThrow(
      code('UnresolvableGrantByEmailAddress'),
    );
    expect(() => aclFromHeaders({ 'x-amz-grant-read': 'nonsense' })).toThrow(code('InvalidArgument'));
    expect(() => aclFromHeaders({ 'x-amz-grant-read': 'uri="http://example.com/group"' })).toThrow(
      code('InvalidArgument'),
    );
    expect(() =>
      aclFromHeaders({ 'x-amz-acl': 'private', 'x-amz-grant-read': `uri="${ALL_USERS}"` }),
    ).toThrow(code('InvalidRequest'));
  });
});

describe('ACL bodies', () => {
  it('what Get*Acl returns reads back as the same grants', () => {
    for (const name of ['private', 'public-read', 'public-read-write', 'authenticated-read']) {
      const body = Buffer.from(buildXml('AccessControlPolicy', aclPolicyBody(cannedAcl(name))));
      expect(aclFromBody(body)).toEqual(cannedAcl(name));
    }
  });

  it('group grants and the owner in any order, duplicates dropped', () => {
    const acl = aclFromBody(
      policy(userGrant(OWNER.ID) + groupGrant(ALL_USERS, 'READ') + groupGrant(ALL_USERS, 'READ')),
    );
    expect(encodeAcl(acl)).toBe('AllUsers:READ,owner:FULL_CONTROL');
    // Revoking everything, the owner included, is allowed (the owner keeps the right to change it).
    expect(aclFromBody(policy(''))).toEqual([]);
  });

  it('refuses unknown grantees, another owner and malformed documents', () => {
    expect(() => aclFromBody(policy(userGrant('_foo')))).toThrow(code('InvalidArgument'));
    expect(() =>
      aclFromBody(
        policy(
          '<Grant><Grantee><EmailAddress>x@example.com</EmailAddress></Grantee><Permission>READ</Permission></Grant>',
        ),
      ),
    ).toThrow(code('UnresolvableGrantByEmailAddress'));
    expect(() => aclFromBody(policy(userGrant(OWNER.ID), 'other-owner'))).toThrow(code('AccessDenied'));
    expect(() => aclFromBody(policy(userGrant(OWNER.ID, 'EVERYTHING')))).toThrow(code('MalformedACLError'));
    expect(() => aclFromBody(Buffer.from('<Nope/>'))).toThrow(code('MalformedACLError'));
    expect(() => aclFromBody(policy(groupGrant(ALL_USERS, 'READ').repeat(101)))).toThrow(
      code('MalformedACLError'),
    );
  });
});

describe('stored ACLs', () => {
  it('private is stored as nothing, anything else compactly', () => {
    expect(aclMetadata(PRIVATE_ACL)).toEqual({});
    expect(aclMetadata(undefined)).toEqual({});
    expect(bucketAclConfig(PRIVATE_ACL)).toBeUndefined();
    const meta = aclMetadata(cannedAcl('public-read'));
    expect(objectAcl({ ...meta, 'content-type': 'x' })).toEqual(cannedAcl('public-read'));
    expect(withoutAcl({ ...meta, 'content-type': 'x' })).toEqual({ 'content-type': 'x' });
  });

  it('a stored value this version cannot read is private (fails closed)', () => {
    expect(decodeAcl(undefined)).toEqual(PRIVATE_ACL);
    expect(decodeAcl('Everyone:READ')).toEqual(PRIVATE_ACL);
    expect(decodeAcl('AllUsers:SUPER')).toEqual(PRIVATE_ACL);
    expect(decodeAcl('')).toEqual([]);
  });

  it('FULL_CONTROL includes every permission', () => {
    const acl = decodeAcl('AllUsers:FULL_CONTROL');
    expect(aclGrants(acl, 'AllUsers', 'WRITE')).toBe(true);
    expect(aclGrants(acl, 'AuthenticatedUsers', 'READ')).toBe(false);
    expect(aclGrants(cannedAcl('public-read'), 'AllUsers', 'WRITE')).toBe(false);
  });
});
