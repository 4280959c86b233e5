import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import { S3Error } from './s3-errors.js';

/**
 * XML in and out of the S3 API.
 *
 * Out: response documents are built from plain objects (key order = element order,
 * arrays = repeated elements, undefined = omitted). Text is escaped here, not by the
 * library: besides & < > " ', characters XML 1.0 cannot carry literally (C0 controls
 * other than TAB/LF, U+FFFE/U+FFFF, lone surrogates) and CR (which parsers would
 * normalise away) are written as character references such as `&#x1;`. Strict XML 1.0
 * parsers reject those references; the AWS SDKs accept them, and clients that need a
 * strictly valid document ask for `encoding-type=url` (see urlEncodeKey).
 *
 * In: request bodies are parsed only after the caller enforced a byte limit; DOCTYPE
 * and entity declarations are refused (no entity expansion), only the five predefined
 * entities and character references are decoded, and anything malformed is
 * MalformedXML.
 */

export const S3_XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';

export type XmlValue = string | number | boolean | Date | undefined | XmlObject | ReadonlyArray<XmlValue>;
export interface XmlObject {
  readonly [name: string]: XmlValue;
}

const ATTR_PREFIX = '@_';

const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: ATTR_PREFIX,
  processEntities: false,
  suppressEmptyNode: false,
  suppressBooleanAttributes: false,
  format: false,
  tagValueProcessor: (_name: string, value: unknown) => escapeXmlText(String(value)),
  attributeValueProcessor: (_name: string, value: unknown) => escapeXmlText(String(value)),
});

/**
 * Serialises `{ [rootName]: body }` with an XML declaration. Dates become ISO-8601
 * with milliseconds (AWS's format for timestamps in bodies).
 */
export function buildXml(rootName: string, body: XmlObject, opts: { namespace?: boolean } = {}): string {
  const root: Record<string, unknown> = { ...(normalise(body) as Record<string, unknown>) };
  if (opts.namespace !== false) root[`${ATTR_PREFIX}xmlns`] = S3_XMLNS;
  const xml: unknown = builder.build({ [rootName]: root });
  return `<?xml version="1.0" encoding="UTF-8"?>\n${String(xml)}`;
}

function normalise(value: XmlValue): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(normalise);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as XmlObject)) {
      if (v !== undefined) out[k] = normalise(v);
    }
    return out;
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return value;
}

// Characters that need escaping in text or attributes.
const NEEDS_ESCAPE =
  /[&<>"'\r\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Escapes a string for XML text or attribute content (see the module comment). */
export function escapeXmlText(s: string): string {
  return s.replace(NEEDS_ESCAPE, (ch) => {
    switch (ch) {
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      case '"':
        return '&quot;';
      case "'":
        return '&apos;';
      default:
        return `&#x${ch.charCodeAt(0).toString(16).toUpperCase()};`;
    }
  });
}

/**
 * `encoding-type=url` as Amazon S3 applies it to keys and prefixes: UTF-8 bytes
 * percent-encoded (space as %20, which both botocore's unquote_plus and a plain
 * decodeURIComponent read back; s3-tests' test_bucket_list_encoding_basic expects it),
 * and A–Z a–z 0–9 - _ . / * left alone ('~' is encoded).
 */
export function urlEncodeKey(s: string): string {
  return encodeURIComponent(s).replace(/%2F|[!'()~]/g, (m) => {
    switch (m) {
      case '%2F':
        return '/';
      default:
        return `%${m.charCodeAt(0).toString(16).toUpperCase()}`;
    }
  });
}

/** A parsed request element: its (namespace-stripped) name, child elements and text. */
export interface XmlElement {
  name: string;
  children: XmlElement[];
  /** Decoded character data directly inside this element (CDATA included). */
  text: string;
}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: true,
  removeNSPrefix: true,
  processEntities: false,
  htmlEntities: false,
  parseTagValue: false,
  trimValues: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  maxNestedTags: 32,
});

type OrderedNode = Record<string, unknown>;

/**
 * Parses a request body. Throws S3Error('MalformedXML') for anything that is not a
 * single well-formed document without DTDs.
 */
export function parseXml(body: Uint8Array | string): XmlElement {
  let text: string;
  try {
    text = typeof body === 'string' ? body : new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch (err) {
    throw new S3Error('MalformedXML', { cause: err });
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw new S3Error('MalformedXML');
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw new S3Error('MalformedXML', { cause: new Error(valid.err.msg) });
  let nodes: unknown;
  try {
    nodes = parser.parse(text);
  } catch (err) {
    throw new S3Error('MalformedXML', { cause: err });
  }
  const roots = toElements(nodes);
  if (roots.length !== 1 || roots[0] === undefined) throw new S3Error('MalformedXML');
  return roots[0];
}

function toElements(nodes: unknown): XmlElement[] {
  if (!Array.isArray(nodes)) return [];
  const out: XmlElement[] = [];
  for (const node of nodes as OrderedNode[]) {
    for (const [name, value] of Object.entries(node)) {
      if (name === ':@' || name === '#text') continue;
      out.push(toElement(name, value));
    }
  }
  return out;
}

function toElement(name: string, content: unknown): XmlElement {
  const children: XmlElement[] = [];
  let text = '';
  if (Array.isArray(content)) {
    for (const node of content as OrderedNode[]) {
      for (const [childName, value] of Object.entries(node)) {
        if (childName === ':@') continue;
        if (childName === '#text') text += decodeEntities(String(value));
        else children.push(toElement(childName, value));
      }
    }
  }
  return { name, children, text };
}

const ENTITY = /&(?:#x([0-9a-fA-F]+)|#([0-9]+)|([A-Za-z]+));|&/g;
const NAMED: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', apos: "'", quot: '"' };

function decodeEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(
    ENTITY,
    (match, hex: string | undefined, dec: string | undefined, named: string | undefined) => {
      if (hex !== undefined || dec !== undefined) {
        const cp = hex !== undefined ? Number.parseInt(hex, 16) : Number.parseInt(dec ?? '', 10);
        if (!Number.isFinite(cp) || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
          throw new S3Error('MalformedXML');
        }
        return String.fromCodePoint(cp);
      }
      const value = named === undefined ? undefined : NAMED[named];
      if (value === undefined) throw new S3Error('MalformedXML', { cause: new Error(`bad entity ${match}`) });
      return value;
    },
  );
}

/** The first child element with this name. */
export function childElement(el: XmlElement, name: string): XmlElement | undefined {
  return el.children.find((c) => c.name === name);
}

/** All child elements with this name, in document order. */
export function childElements(el: XmlElement, name: string): XmlElement[] {
  return el.children.filter((c) => c.name === name);
}
