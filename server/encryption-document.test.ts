import { describe, expect, it } from 'vitest';
import { parseEncryptionConfiguration } from './encryption-document.js';

const doc = (byDefault: string, extra = '') =>
  `<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault>${byDefault}</ApplyServerSideEncryptionByDefault>${extra}</Rule></ServerSideEncryptionConfiguration>`;

describe('parseEncryptionConfiguration', () => {
  it.each(['AES256', 'aws:kms', 'aws:kms:dsse'])('accepts %s', (alg) => {
    expect(parseEncryptionConfiguration(doc(`<SSEAlgorithm>${alg}</SSEAlgorithm>`))).toContain(
      `<SSEAlgorithm>${alg}</SSEAlgorithm>`,
    );
  });

  it('keeps a KMS key id and BucketKeyEnabled', () => {
    const stored = parseEncryptionConfiguration(
      doc(
        '<SSEAlgorithm>aws:kms</SSEAlgorithm><KMSMasterKeyID>k1</KMSMasterKeyID>',
        '<BucketKeyEnabled>TRUE</BucketKeyEnabled>',
      ),
    );
    expect(stored).toContain('<KMSMasterKeyID>k1</KMSMasterKeyID>');
    expect(stored).toContain('<BucketKeyEnabled>true</BucketKeyEnabled>');
    expect(parseEncryptionConfiguration(stored)).toBe(stored);
  });

  it.each([
    [doc('<SSEAlgorithm>DES</SSEAlgorithm>'), 'MalformedXML'],
    [doc(''), 'MalformedXML'],
    ['<ServerSideEncryptionConfiguration/>', 'MalformedXML'],
    [doc('<SSEAlgorithm>AES256</SSEAlgorithm><KMSMasterKeyID>k</KMSMasterKeyID>'), 'InvalidArgument'],
    [doc('<SSEAlgorithm>AES256</SSEAlgorithm>', '<BucketKeyEnabled>yes</BucketKeyEnabled>'), 'MalformedXML'],
  ])('rejects %s', (xml, code) => {
    expect(() => parseEncryptionConfiguration(xml)).toThrow(expect.objectContaining({ code }));
  });
});
