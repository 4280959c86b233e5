import { parseXML } from '@aws-sdk/xml-builder';
import { describe, expect, it } from 'vitest';
import { buildXml, childElement, childElements, escapeXmlText, parseXml, urlEncodeKey } from './xml.js';

describe('buildXml', () => {
  it('builds an S3 document with namespace, repeated elements and omitted undefined', () => {
    const xml = buildXml('ListBucketResult', {
      Name: 'b',
      Prefix: '',
      Marker: undefined,
      IsTruncated: false,
      Contents: [{ Key: 'a&b', Size: 3 }, { Key: '<c>' }],
    });
    expect(xml).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
        '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix></Prefix>' +
        '<IsTruncated>false</IsTruncated><Contents><Key>a&amp;b</Key><Size>3</Size></Contents>' +
        '<Contents><Key>&lt;c&gt;</Key></Contents></ListBucketResult>',
    );
  });

  it('formats dates as ISO-8601 with milliseconds', () => {
    expect(buildXml('X', { T: new Date(0) }, { namespace: false })).toContain(
      '<T>1970-01-01T00:00:00.000Z</T>',
    );
  });

  it('writes characters XML 1.0 cannot carry as character references the AWS SDK decodes', () => {
    const key = 'a\u0001b\rc\u001fd\ttab\nlf😀';
    const xml = buildXml('R', { Key: key });
    expect(xml).toContain('a&#x1;b&#xD;c&#x1F;d\ttab\nlf😀');
    const parsed = parseXML(xml) as { R: { Key: string } };
    expect(parsed.R.Key).toBe(key);
  });

  it('escapes quotes in ETags', () => {
    expect(escapeXmlText('"abc"')).toBe('&quot;abc&quot;');
  });
});

describe('urlEncodeKey', () => {
  it.each([
    ['a b.txt', 'a%20b.txt'],
    ['a+b.txt', 'a%2Bb.txt'],
    ['100%.csv', '100%25.csv'],
    ['한/x', '%ED%95%9C/x'],
    ['a\u0001', 'a%01'],
    ["~!*'()", '%7E%21*%27%28%29'],
    ['-_.', '-_.'],
  ])('%j → %s', (input, expected) => {
    expect(urlEncodeKey(input)).toBe(expected);
  });
});

describe('parseXml', () => {
  it('parses a Delete document with entities, character references and whitespace kept in text', () => {
    const el = parseXml(
      '<?xml version="1.0" encoding="UTF-8"?>\n<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">\n' +
        '  <Quiet>true</Quiet>\n  <Object><Key> a&amp;b&#x1;&#60; </Key></Object>\n' +
        '  <Object><Key><![CDATA[x<y]]></Key><VersionId>null</VersionId></Object>\n</Delete>',
    );
    expect(el.name).toBe('Delete');
    expect(childElement(el, 'Quiet')?.text).toBe('true');
    const objects = childElements(el, 'Object');
    expect(objects.map((o) => childElement(o, 'Key')?.text)).toEqual([' a&b\u0001< ', 'x<y']);
    expect(childElement(objects[1]!, 'VersionId')?.text).toBe('null');
  });

  it('keeps numeric-looking text as strings', () => {
    expect(childElement(parseXml('<a><b>007</b></a>'), 'b')?.text).toBe('007');
  });

  it.each([
    ['not xml', 'hello'],
    ['unclosed', '<a><b></a>'],
    ['two roots', '<a/><b/>'],
    ['doctype', '<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>'],
    ['unknown entity', '<a>&nbsp;</a>'],
    ['bare ampersand', '<a>a & b</a>'],
    ['bad char ref', '<a>&#xD800;</a>'],
    ['empty', ''],
  ])('rejects %s as MalformedXML', (_name, text) => {
    expect(() => parseXml(text)).toThrow(expect.objectContaining({ code: 'MalformedXML' }));
  });

  it('rejects invalid UTF-8', () => {
    expect(() => parseXml(new Uint8Array([0x3c, 0x61, 0x3e, 0xff, 0x3c, 0x2f, 0x61, 0x3e]))).toThrow(
      expect.objectContaining({ code: 'MalformedXML' }),
    );
  });
});
