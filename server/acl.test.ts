import { describe, expect, it } from 'vitest';
import { checkAclBody, checkAclHeaders, ownerAclBody } from './acl.js';
import { OWNER } from './s3-context.js';
import { buildXml } from './xml.js';

const policy = (grants: string, ownerId: string = OWNER.ID) =>
  Buffer.from(
    `<AccessControlPolicy><Owner><ID>${ownerId}</ID></Owner><AccessControlList>${grants}</AccessControlList></AccessControlPolicy>`,
  );
const grant = (grantee: string, permission = 'FULL_CONTROL') =>
  `<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser">${grantee}</Grantee><Permission>${permission}</Permission></Grant>`;

describe('ACL headers', () => {
  it('accepts no ACL and canned private, refuses others and grants', () => {
    expect(checkAclHeaders({})).toBe(false);
    expect(checkAclHeaders({ 'x-amz-acl': 'private' })).toBe(true);
    for (const headers of [{ 'x-amz-acl': 'public-read' }, { 'x-amz-grant-read': 'id="x"' }]) {
      expect(() => checkAclHeaders(headers)).toThrow(expect.objectContaining({ code: 'NotImplemented' }));
    }
  });
});

describe('ACL bodies', () => {
  it('accepts what GetBucketAcl returns', () => {
    expect(() => checkAclBody(Buffer.from(buildXml('AccessControlPolicy', ownerAclBody())))).not.toThrow();
  });

  it('refuses grants to others, lesser permissions and foreign owners', () => {
    const own = `<ID>${OWNER.ID}</ID>`;
    for (const body of [
      policy(grant(own) + grant('<ID>someone</ID>', 'READ')),
      policy(grant(own, 'READ')),
      policy(grant(own), 'other-owner'),
      policy(''),
    ]) {
      expect(() => checkAclBody(body)).toThrow(expect.objectContaining({ code: 'NotImplemented' }));
    }
    expect(() => checkAclBody(Buffer.from('<Nope/>'))).toThrow(
      expect.objectContaining({ code: 'MalformedACLError' }),
    );
  });
});
