import { S3Error } from './s3-errors.js';
import { buildXml, childElement, childElements, parseXml } from './xml.js';

/**
 * Default bucket encryption (ServerSideEncryptionConfiguration): validated and stored
 * as a canonical document (bucket config 'encryption'); server/sse/object-encryption.ts
 * applies it to every new object that asks for no encryption itself.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketEncryption.html
 */

const ALGORITHMS = ['AES256', 'aws:kms', 'aws:kms:dsse'];

/** Parses and validates the document; returns the canonical form to store. */
export function parseEncryptionConfiguration(bytes: Uint8Array | string): string {
  const root = parseXml(bytes);
  if (root.name !== 'ServerSideEncryptionConfiguration') throw new S3Error('MalformedXML');
  const rules = childElements(root, 'Rule');
  // AWS accepts exactly one rule.
  if (rules.length !== 1 || rules[0] === undefined) throw new S3Error('MalformedXML');
  const rule = rules[0];
  const byDefault = childElement(rule, 'ApplyServerSideEncryptionByDefault');
  if (byDefault === undefined) throw new S3Error('MalformedXML');
  const algorithm = childElement(byDefault, 'SSEAlgorithm')?.text.trim();
  if (algorithm === undefined || !ALGORITHMS.includes(algorithm)) throw new S3Error('MalformedXML');
  const keyId = childElement(byDefault, 'KMSMasterKeyID')?.text.trim();
  if (keyId !== undefined && algorithm === 'AES256') {
    throw new S3Error('InvalidArgument', {
      message:
        'a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse',
    });
  }
  const bucketKey = childElement(rule, 'BucketKeyEnabled')?.text.trim().toLowerCase();
  if (bucketKey !== undefined && bucketKey !== 'true' && bucketKey !== 'false')
    throw new S3Error('MalformedXML');
  return buildXml('ServerSideEncryptionConfiguration', {
    Rule: {
      ApplyServerSideEncryptionByDefault: {
        SSEAlgorithm: algorithm,
        KMSMasterKeyID: keyId === '' ? undefined : keyId,
      },
      BucketKeyEnabled: bucketKey === undefined ? undefined : bucketKey === 'true',
    },
  });
}

/** The default encryption a stored (canonical) document asks for. */
export interface BucketDefaultEncryption {
  /** AES256 | aws:kms | aws:kms:dsse */
  algorithm: string;
  kmsKeyId: string | undefined;
}

/** Reads a document stored by parseEncryptionConfiguration (validated when it was put). */
export function bucketDefaultEncryption(stored: string): BucketDefaultEncryption {
  const rule = childElements(parseXml(stored), 'Rule')[0];
  const byDefault = rule === undefined ? undefined : childElement(rule, 'ApplyServerSideEncryptionByDefault');
  const algorithm =
    byDefault === undefined ? undefined : childElement(byDefault, 'SSEAlgorithm')?.text.trim();
  if (byDefault === undefined || algorithm === undefined) {
    throw new Error('stored bucket encryption document lacks ApplyServerSideEncryptionByDefault');
  }
  return { algorithm, kmsKeyId: childElement(byDefault, 'KMSMasterKeyID')?.text.trim() };
}
