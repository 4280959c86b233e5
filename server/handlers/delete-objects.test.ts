import { describe, expect, it } from 'vitest';
import { parseDeleteRequest } from './delete-objects.js';

const doc = (inner: string) =>
  Buffer.from(`<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${inner}</Delete>`);

describe('parseDeleteRequest', () => {
  it('reads keys (verbatim, with entities), version ids and Quiet', () => {
    expect(
      parseDeleteRequest(
        doc(
          '<Quiet>true</Quiet><Object><Key> a&amp;b </Key></Object><Object><Key>c</Key><VersionId>null</VersionId></Object>',
        ),
      ),
    ).toEqual({ quiet: true, objects: [{ key: ' a&b ' }, { key: 'c', versionId: 'null' }] });
    expect(parseDeleteRequest(doc('<Object><Key>x</Key></Object>')).quiet).toBe(false);
  });

  it('accepts 1000 keys and refuses 1001', () => {
    const objects = (n: number) =>
      Array.from({ length: n }, (_, i) => `<Object><Key>k${i}</Key></Object>`).join('');
    expect(parseDeleteRequest(doc(objects(1000))).objects).toHaveLength(1000);
    expect(() => parseDeleteRequest(doc(objects(1001)))).toThrow(
      expect.objectContaining({ code: 'MalformedXML' }),
    );
  });

  it.each([
    ['no objects', doc('')],
    ['object without key', doc('<Object><VersionId>1</VersionId></Object>')],
    ['bad Quiet', doc('<Quiet>yes</Quiet><Object><Key>a</Key></Object>')],
    ['wrong root', Buffer.from('<Remove><Object><Key>a</Key></Object></Remove>')],
    ['not xml', Buffer.from('{"Objects":[]}')],
  ])('refuses %s as MalformedXML', (_name, body) => {
    expect(() => parseDeleteRequest(body)).toThrow(expect.objectContaining({ code: 'MalformedXML' }));
  });
});
