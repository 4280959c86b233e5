import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { describe, expect, it } from 'vitest';
import { isS3Error } from '../s3-errors.js';
import {
  kmsKeyName,
  parseCopySourceCustomerKey,
  parsePartCustomerKey,
  parseReadCustomerKey,
  parseSseRequest,
} from './sse-request.js';

const KEY = Buffer.alloc(32, 5);
const SSEC: IncomingHttpHeaders = {
  'x-amz-server-side-encryption-customer-algorithm': 'AES256',
  'x-amz-server-side-encryption-customer-key': KEY.toString('base64'),
  'x-amz-server-side-encryption-customer-key-md5': createHash('md5').update(KEY).digest('base64'),
};

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (isS3Error(err)) return `${err.status} ${err.code}`;
    throw err;
  }
  return 'ok';
}

describe('parseSseRequest', () => {
  it('reads the three modes', () => {
    expect(parseSseRequest({})).toBeUndefined();
    expect(parseSseRequest({ 'x-amz-server-side-encryption': 'AES256' })).toEqual({ mode: 'SSE-S3' });
    expect(parseSseRequest({ 'x-amz-server-side-encryption': 'aws:kms' })).toEqual({
      mode: 'SSE-KMS',
      keyName: undefined,
      context: undefined,
    });
    const context = Buffer.from(JSON.stringify({ team: 'a' })).toString('base64');
    expect(
      parseSseRequest({
        'x-amz-server-side-encryption': 'aws:kms:dsse',
        'x-amz-server-side-encryption-aws-kms-key-id': 'arn:aws:kms:us-east-1:123456789012:key/tenant-a',
        'x-amz-server-side-encryption-context': context,
      }),
    ).toEqual({ mode: 'SSE-KMS', keyName: 'tenant-a', context: { team: 'a' } });
    const ssec = parseSseRequest(SSEC);
    expect(ssec?.mode).toBe('SSE-C');
    expect(ssec?.mode === 'SSE-C' && ssec.key.equals(KEY)).toBe(true);
  });

  it.each([
    ['an unknown algorithm', { 'x-amz-server-side-encryption': 'aes:kms' }, '400 InvalidArgument'],
    [
      'a key id without aws:kms',
      { 'x-amz-server-side-encryption-aws-kms-key-id': 'k' },
      '400 InvalidArgument',
    ],
    [
      'a key id with AES256',
      { 'x-amz-server-side-encryption': 'AES256', 'x-amz-server-side-encryption-aws-kms-key-id': 'k' },
      '400 InvalidArgument',
    ],
    [
      'SSE-C and SSE-S3 together',
      { ...SSEC, 'x-amz-server-side-encryption': 'AES256' },
      '400 InvalidArgument',
    ],
    [
      'an SSE-C algorithm other than AES256',
      { ...SSEC, 'x-amz-server-side-encryption-customer-algorithm': 'AES128' },
      '400 InvalidEncryptionAlgorithmError',
    ],
    [
      'an SSE-C key of 16 bytes',
      {
        ...SSEC,
        'x-amz-server-side-encryption-customer-key': Buffer.alloc(16).toString('base64'),
      },
      '400 InvalidArgument',
    ],
    [
      'an SSE-C key that is not base64',
      { ...SSEC, 'x-amz-server-side-encryption-customer-key': '%%%%' },
      '400 InvalidArgument',
    ],
    [
      'an SSE-C key MD5 of another key',
      {
        ...SSEC,
        'x-amz-server-side-encryption-customer-key-md5': createHash('md5').update('x').digest('base64'),
      },
      '400 InvalidArgument',
    ],
    [
      'an SSE-C key without its MD5',
      { ...SSEC, 'x-amz-server-side-encryption-customer-key-md5': undefined },
      '400 InvalidArgument',
    ],
    [
      'an SSE-C key without the algorithm',
      { ...SSEC, 'x-amz-server-side-encryption-customer-algorithm': undefined },
      '400 InvalidArgument',
    ],
    [
      'a context that is not base64 JSON of strings',
      {
        'x-amz-server-side-encryption': 'aws:kms',
        'x-amz-server-side-encryption-context': Buffer.from('{"a":1}').toString('base64'),
      },
      '400 InvalidArgument',
    ],
    ['a repeated header', { 'x-amz-server-side-encryption': ['AES256', 'AES256'] }, '400 InvalidArgument'],
  ] as [string, IncomingHttpHeaders, string][])('refuses %s', (_name, headers, expected) => {
    expect(codeOf(() => parseSseRequest(headers))).toBe(expected);
  });

  it('never echoes a customer key in an error', () => {
    try {
      parseSseRequest({
        ...SSEC,
        'x-amz-server-side-encryption-customer-key-md5': 'AAAAAAAAAAAAAAAAAAAAAA==',
      });
    } catch (err) {
      expect(JSON.stringify(err)).not.toContain(KEY.toString('base64'));
      expect(String((err as Error).message)).not.toContain(KEY.toString('base64'));
    }
  });
});

describe('read-side key parsing', () => {
  it('GET/HEAD refuse x-amz-server-side-encryption; parts ignore it; copy sources use their own headers', () => {
    expect(codeOf(() => parseReadCustomerKey({ 'x-amz-server-side-encryption': 'aws:kms' }))).toBe(
      '400 InvalidArgument',
    );
    expect(parseReadCustomerKey(SSEC)?.key.equals(KEY)).toBe(true);
    expect(parsePartCustomerKey({ 'x-amz-server-side-encryption': 'aws:kms' })).toBeUndefined();
    expect(parseCopySourceCustomerKey(SSEC)).toBeUndefined();
    const copySource = Object.fromEntries(
      Object.entries(SSEC).map(([name, value]) => [name.replace('x-amz-', 'x-amz-copy-source-'), value]),
    );
    expect(parseCopySourceCustomerKey(copySource)?.key.equals(KEY)).toBe(true);
  });

  it('kmsKeyName takes names, aliases and ARNs', () => {
    expect(kmsKeyName('tenant-a')).toBe('tenant-a');
    expect(kmsKeyName('alias/tenant-a')).toBe('tenant-a');
    expect(kmsKeyName('arn:aws:kms:eu-west-1:1:alias/tenant-b')).toBe('tenant-b');
    expect(codeOf(() => kmsKeyName('k'.repeat(3000)))).toBe('400 InvalidArgument');
  });
});
