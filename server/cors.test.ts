import { describe, expect, it } from 'vitest';
import {
  type CorsRule,
  corsConfigurationXml,
  matchCorsRule,
  parseCorsConfiguration,
  parseRequestHeaderList,
  wildcardMatch,
} from './cors.js';

function rule(partial: Partial<CorsRule>): CorsRule {
  return {
    id: undefined,
    allowedMethods: ['GET'],
    allowedOrigins: ['*'],
    allowedHeaders: [],
    exposeHeaders: [],
    maxAgeSeconds: undefined,
    ...partial,
  };
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

describe('wildcardMatch', () => {
  it.each([
    ['*suffix', 'foo.suffix', true],
    ['*suffix', 'foo.suffix.get', false],
    ['start*end', 'startend', true],
    ['start*end', 'start12end', true],
    ['start*end', '0start12end', false],
    ['prefix*', 'prefix', true],
    ['prefix*', 'bla.prefix', false],
    ['ab*ba', 'aba', false],
    ['*', '', true],
    ['http://a.example', 'http://a.example', true],
    ['http://a.example', 'http://A.example', false],
  ])('%s against %s is %s', (pattern, value, want) => {
    expect(wildcardMatch(pattern, value)).toBe(want);
  });
});

describe('matchCorsRule', () => {
  const rules = [
    rule({ allowedOrigins: ['*suffix'], allowedMethods: ['GET'] }),
    rule({ allowedOrigins: ['*.put'], allowedMethods: ['PUT'], allowedHeaders: ['x-amz-*', 'content-type'] }),
  ];

  it('takes the first rule whose origin and method match', () => {
    expect(matchCorsRule(rules, 'foo.suffix', 'GET')).toBe(rules[0]);
    expect(matchCorsRule(rules, 'foo.put', 'PUT')).toBe(rules[1]);
  });

  it('needs the method to be allowed by the matching rule', () => {
    expect(matchCorsRule(rules, 'foo.suffix', 'PUT')).toBeUndefined();
    expect(matchCorsRule(rules, 'foo.put', 'GET')).toBeUndefined();
  });

  it('needs every requested header to match an AllowedHeader, case-insensitively', () => {
    expect(matchCorsRule(rules, 'a.put', 'PUT', ['X-Amz-Date', 'Content-Type'])).toBe(rules[1]);
    expect(matchCorsRule(rules, 'a.put', 'PUT', ['x-amz-date', 'authorization'])).toBeUndefined();
    expect(matchCorsRule(rules, 'foo.suffix', 'GET', ['x-amz-meta-a'])).toBeUndefined();
  });

  it('splits Access-Control-Request-Headers lists', () => {
    expect(parseRequestHeaderList(' a, b ,,c')).toEqual(['a', 'b', 'c']);
    expect(parseRequestHeaderList(undefined)).toEqual([]);
  });
});

describe('parseCorsConfiguration', () => {
  const doc = (rules: string) =>
    `<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${rules}</CORSConfiguration>`;

  it('parses every element and round-trips through the stored document', () => {
    const rules = parseCorsConfiguration(
      doc(`<CORSRule><ID>r1</ID><AllowedHeader>*</AllowedHeader><AllowedMethod>PUT</AllowedMethod>
        <AllowedMethod>GET</AllowedMethod><AllowedOrigin>https://*.example.com</AllowedOrigin>
        <ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule>
        <CORSRule><AllowedMethod>HEAD</AllowedMethod><AllowedOrigin>*</AllowedOrigin></CORSRule>`),
    );
    expect(rules).toEqual([
      {
        id: 'r1',
        allowedHeaders: ['*'],
        allowedMethods: ['PUT', 'GET'],
        allowedOrigins: ['https://*.example.com'],
        exposeHeaders: ['ETag'],
        maxAgeSeconds: 3000,
      },
      rule({ allowedMethods: ['HEAD'] }),
    ]);
    expect(parseCorsConfiguration(corsConfigurationXml(rules))).toEqual(rules);
  });

  it.each([
    ['not XML', 'nope', 'MalformedXML'],
    ['another root', '<Foo/>', 'MalformedXML'],
    ['no rules', doc(''), 'MalformedXML'],
    [
      'a rule without AllowedOrigin',
      doc('<CORSRule><AllowedMethod>GET</AllowedMethod></CORSRule>'),
      'MalformedXML',
    ],
    [
      'a rule without AllowedMethod',
      doc('<CORSRule><AllowedOrigin>*</AllowedOrigin></CORSRule>'),
      'MalformedXML',
    ],
    [
      'an unknown element',
      doc('<CORSRule><AllowedMethod>GET</AllowedMethod><AllowedOrigin>*</AllowedOrigin><Foo/></CORSRule>'),
      'MalformedXML',
    ],
    [
      'a non-numeric MaxAgeSeconds',
      doc(
        '<CORSRule><AllowedMethod>GET</AllowedMethod><AllowedOrigin>*</AllowedOrigin><MaxAgeSeconds>x</MaxAgeSeconds></CORSRule>',
      ),
      'MalformedXML',
    ],
    [
      'an unsupported method',
      doc('<CORSRule><AllowedMethod>PATCH</AllowedMethod><AllowedOrigin>*</AllowedOrigin></CORSRule>'),
      'InvalidRequest',
    ],
    [
      'an origin with two wildcards',
      doc('<CORSRule><AllowedMethod>GET</AllowedMethod><AllowedOrigin>*.*.com</AllowedOrigin></CORSRule>'),
      'InvalidRequest',
    ],
    [
      'a header with two wildcards',
      doc(
        '<CORSRule><AllowedMethod>GET</AllowedMethod><AllowedOrigin>*</AllowedOrigin><AllowedHeader>**</AllowedHeader></CORSRule>',
      ),
      'InvalidRequest',
    ],
  ])('refuses %s', (_label, xml, code) => {
    expect(codeOf(() => parseCorsConfiguration(xml))).toBe(code);
  });

  it('refuses more than 100 rules and accepts exactly 100', () => {
    const one = '<CORSRule><AllowedMethod>GET</AllowedMethod><AllowedOrigin>*</AllowedOrigin></CORSRule>';
    expect(parseCorsConfiguration(doc(one.repeat(100)))).toHaveLength(100);
    expect(codeOf(() => parseCorsConfiguration(doc(one.repeat(101))))).toBe('MalformedXML');
  });
});
