import type { IncomingHttpHeaders } from 'node:http';
import type { ObjectMetadata } from '../storage/index.js';
import { headerValue } from './object-metadata.js';
import { S3Error } from './s3-errors.js';
import { childElement, childElements, parseXml, type XmlObject } from './xml.js';

/**
 * Object and bucket tags: parsing (Tagging XML, the x-amz-tagging header), AWS's
 * limits, and how an object's tags live in its version metadata.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-tagging.html
 */

export interface Tag {
  key: string;
  value: string;
}

/** Object tags live in the version's metadata under this name, URL query encoded. */
export const TAGGING_METADATA = 'x-amz-tagging';

export const MAX_OBJECT_TAGS = 10;
export const MAX_BUCKET_TAGS = 50;
/** In Unicode characters (code points), as AWS counts them. */
export const MAX_TAG_KEY_CHARS = 128;
export const MAX_TAG_VALUE_CHARS = 256;

/** Letters, numbers, spaces (any script) and + - = . _ : / @, as AWS documents. */
const TAG_CHARS = /^[\p{L}\p{M}\p{N}\p{Zs}+\-=._:/@]*$/u;

export type TagScope = 'object' | 'bucket';

function invalidTag(message: string): S3Error {
  return new S3Error('InvalidTag', { message });
}

/**
 * Checks a tag set against AWS's rules and returns it sorted by key (the order GET
 * returns). Throws InvalidTag with AWS's message.
 */
export function validateTags(tags: readonly Tag[], scope: TagScope): Tag[] {
  const max = scope === 'object' ? MAX_OBJECT_TAGS : MAX_BUCKET_TAGS;
  if (tags.length > max) {
    throw invalidTag(
      scope === 'object'
        ? `Object tags cannot be greater than ${max}`
        : `Bucket tag count cannot be greater than ${max}`,
    );
  }
  const seen = new Set<string>();
  for (const { key, value } of tags) {
    const keyChars = [...key].length;
    if (keyChars > MAX_TAG_KEY_CHARS)
      throw invalidTag(`The TagKey you have provided is too long, max ${MAX_TAG_KEY_CHARS}`);
    if (keyChars === 0 || !TAG_CHARS.test(key)) throw invalidTag('The TagKey you have provided is invalid');
    if (key.toLowerCase().startsWith('aws:')) throw invalidTag('Your TagKey cannot be prefixed with aws:');
    if ([...value].length > MAX_TAG_VALUE_CHARS)
      throw invalidTag(`The TagValue you have provided is too long, max ${MAX_TAG_VALUE_CHARS}`);
    if (!TAG_CHARS.test(value)) throw invalidTag('The TagValue you have provided is invalid');
    if (seen.has(key)) throw invalidTag('Cannot provide multiple Tags with the same key');
    seen.add(key);
  }
  return [...tags].sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
}

/** Parses `<Tagging><TagSet><Tag><Key/><Value/></Tag>…</TagSet></Tagging>` and validates it. */
export function parseTaggingXml(bytes: Uint8Array | string, scope: TagScope): Tag[] {
  const root = parseXml(bytes);
  if (root.name !== 'Tagging') throw new S3Error('MalformedXML');
  const tagSet = childElement(root, 'TagSet');
  if (tagSet === undefined) throw new S3Error('MalformedXML');
  const tags = childElements(tagSet, 'Tag').map((el) => {
    const key = childElement(el, 'Key');
    if (key === undefined) throw new S3Error('MalformedXML');
    return { key: key.text, value: childElement(el, 'Value')?.text ?? '' };
  });
  return validateTags(tags, scope);
}

/** The body of a Tagging document (GetObjectTagging, GetBucketTagging). */
export function taggingXmlBody(tags: readonly Tag[]): XmlObject {
  return { TagSet: { Tag: tags.map((t) => ({ Key: t.key, Value: t.value })) } };
}

/** Tags as `k1=v1&k2=v2`, each part URI-encoded: the stored form and the header's form. */
export function encodeTagQuery(tags: readonly Tag[]): string {
  return tags.map((t) => `${encodeURIComponent(t.key)}=${encodeURIComponent(t.value)}`).join('&');
}

/**
 * Parses a URL query encoded tag set (x-amz-tagging header, stored metadata). A name
 * without '=' is a tag with an empty value, as AWS.
 */
export function parseTagQuery(query: string, scope: TagScope): Tag[] {
  if (query === '') return [];
  const tags: Tag[] = [];
  for (const [key, value] of new URLSearchParams(query)) tags.push({ key, value });
  return validateTags(tags, scope);
}

/** The tags stored with an object version (none when absent). */
export function storedTags(metadata: ObjectMetadata): Tag[] {
  const stored = metadata[TAGGING_METADATA];
  if (stored === undefined || stored === '') return [];
  const tags: Tag[] = [];
  for (const [key, value] of new URLSearchParams(stored)) tags.push({ key, value });
  return tags;
}

/** Metadata entries that store these tags (none for an empty set). */
export function tagsMetadata(tags: readonly Tag[]): ObjectMetadata {
  return tags.length === 0 ? {} : { [TAGGING_METADATA]: encodeTagQuery(tags) };
}

/**
 * Metadata for the `x-amz-tagging` request header of PutObject, CreateMultipartUpload
 * and CopyObject (with REPLACE). Throws InvalidTag / InvalidArgument.
 */
export function taggingMetadataFromHeaders(headers: IncomingHttpHeaders): ObjectMetadata {
  const value = headerValue(headers, 'x-amz-tagging');
  if (value === undefined) return {};
  return tagsMetadata(parseTagQuery(value, 'object'));
}

/** x-amz-tagging-count for GET/HEAD: present only when the version has tags. */
export function tagCountHeader(metadata: ObjectMetadata): Record<string, string> {
  const count = storedTags(metadata).length;
  return count === 0 ? {} : { 'x-amz-tagging-count': String(count) };
}

/** Stored metadata without its tags. */
export function withoutTags(metadata: ObjectMetadata): ObjectMetadata {
  const { [TAGGING_METADATA]: _tags, ...rest } = metadata;
  return rest;
}
