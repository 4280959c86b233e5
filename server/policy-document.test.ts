import { describe, expect, it } from 'vitest';
import { policyIsPublic, validatePolicy } from './policy-document.js';

const stmt = (s: Record<string, unknown>) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*', ...s },
    ],
  });

describe('validatePolicy', () => {
  it.each([
    stmt({}),
    stmt({ Principal: { AWS: ['arn:aws:iam::123:root', '*'] }, Action: ['s3:Get*', 's3:List?ucket'] }),
    stmt({ Principal: undefined, NotPrincipal: { AWS: 'x' }, Resource: undefined, NotResource: '*' }),
    JSON.stringify({ Statement: { Effect: 'Deny', Principal: '*', Action: '*', Resource: '*' } }),
  ])('accepts %s', (doc) => {
    expect(() => validatePolicy(doc)).not.toThrow();
  });

  it.each([
    ['{', "Policies must be valid JSON and the first byte must be '{'"],
    ['"str"', "Policies must be valid JSON and the first byte must be '{'"],
    [JSON.stringify({ Version: '2012-10-17', Statement: [] }), 'Missing required field Statement'],
    [
      stmt({ Version: 'x' }).replace('2012-10-17', '2099-01-01'),
      'The policy must contain a valid version string',
    ],
    [stmt({ Effect: 'allow' }), 'Invalid effect: allow'],
    [stmt({ Principal: undefined }), 'Missing required field Principal'],
    [stmt({ Principal: { Nobody: 'x' } }), 'Invalid principal in policy'],
    [stmt({ Action: [] }), 'Missing required field Action'],
    [stmt({ Action: 'iam:CreateUser' }), 'Policy has invalid action'],
    [stmt({ Resource: undefined }), 'Missing required field Resource'],
    [stmt({ Resource: 'arn:aws:ec2:::x' }), 'Policy has invalid resource'],
    [stmt({ Condition: 'x' }), 'Invalid Condition block'],
    [stmt({ Pad: 'x'.repeat(20 * 1024) }), 'Policies must be less than 20 KB'],
  ])('rejects %s', (doc, message) => {
    expect(() => validatePolicy(doc)).toThrow(expect.objectContaining({ code: 'MalformedPolicy', message }));
  });
});

describe('policyIsPublic', () => {
  it('is public only for an unconditioned Allow to everyone', () => {
    expect(policyIsPublic(stmt({}))).toBe(true);
    expect(policyIsPublic(stmt({ Principal: { AWS: '*' } }))).toBe(true);
    expect(policyIsPublic(stmt({ Principal: { AWS: 'arn:aws:iam::1:root' } }))).toBe(false);
    expect(policyIsPublic(stmt({ Effect: 'Deny' }))).toBe(false);
    expect(policyIsPublic(stmt({ Condition: { Bool: { 'aws:SecureTransport': 'true' } } }))).toBe(false);
    expect(policyIsPublic(stmt({ Condition: {} }))).toBe(true);
  });
});
