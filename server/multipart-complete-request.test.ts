import { describe, expect, it } from 'vitest';
import { parseCompleteMultipartUpload } from './multipart-complete-request.js';

const doc = (inner: string) =>
  Buffer.from(
    `<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${inner}</CompleteMultipartUpload>`,
  );
const code = (f: () => unknown): string => {
  try {
    f();
    return 'ok';
  } catch (err) {
    return (err as { code: string }).code;
  }
};

describe('parseCompleteMultipartUpload', () => {
  it('reads part numbers, unquoted ETags and per-part checksums in request order', () => {
    const parts = parseCompleteMultipartUpload(
      doc(
        '<Part><ETag>"aa"</ETag><PartNumber>2</PartNumber><ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part>' +
          '<Part><PartNumber> 1 </PartNumber><ETag>bb</ETag></Part>' +
          '<Part><PartNumber>3</PartNumber><ETag>&quot;cc&quot;</ETag></Part>',
      ),
    );
    expect(parts).toEqual([
      { partNumber: 2, etag: 'aa', checksums: { CRC32: 'AAAAAA==' } },
      { partNumber: 1, etag: 'bb', checksums: {} },
      { partNumber: 3, etag: 'cc', checksums: {} },
    ]);
  });

  it('collapses a part number listed several times in a row to its last entry', () => {
    const parts = parseCompleteMultipartUpload(
      doc(
        '<Part><PartNumber>1</PartNumber><ETag>b</ETag></Part>' +
          '<Part><PartNumber>1</PartNumber><ETag>a</ETag><ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part>' +
          '<Part><PartNumber>2</PartNumber><ETag>c</ETag></Part>' +
          '<Part><PartNumber>2</PartNumber><ETag>d</ETag></Part>' +
          '<Part><PartNumber>2</PartNumber><ETag>e</ETag></Part>',
      ),
    );
    expect(parts).toEqual([
      { partNumber: 1, etag: 'a', checksums: { CRC32: 'AAAAAA==' } },
      { partNumber: 2, etag: 'e', checksums: {} },
    ]);
  });

  it('keeps a number that comes back after another one, for the caller to refuse', () => {
    const parts = parseCompleteMultipartUpload(
      doc(
        '<Part><PartNumber>1</PartNumber><ETag>a</ETag></Part>' +
          '<Part><PartNumber>2</PartNumber><ETag>b</ETag></Part>' +
          '<Part><PartNumber>1</PartNumber><ETag>c</ETag></Part>',
      ),
    );
    expect(parts.map((p) => p.partNumber)).toEqual([1, 2, 1]);
  });

  it.each([
    ['an empty body', ''],
    ['no parts', '<?xml version="1.0"?><CompleteMultipartUpload></CompleteMultipartUpload>'],
    ['another root', '<Complete><Part><PartNumber>1</PartNumber><ETag>a</ETag></Part></Complete>'],
    ['a part without ETag', doc('<Part><PartNumber>1</PartNumber></Part>').toString()],
    ['a non-numeric part number', doc('<Part><PartNumber>x</PartNumber><ETag>a</ETag></Part>').toString()],
    ['broken XML', '<CompleteMultipartUpload><Part>'],
  ])('refuses %s with MalformedXML', (_name, body) => {
    expect(code(() => parseCompleteMultipartUpload(Buffer.from(body)))).toBe('MalformedXML');
  });

  it('refuses part numbers outside 1..10000 with InvalidArgument', () => {
    expect(
      code(() => parseCompleteMultipartUpload(doc('<Part><PartNumber>0</PartNumber><ETag>a</ETag></Part>'))),
    ).toBe('InvalidArgument');
    expect(
      code(() =>
        parseCompleteMultipartUpload(doc('<Part><PartNumber>10001</PartNumber><ETag>a</ETag></Part>')),
      ),
    ).toBe('InvalidArgument');
  });
});
