import { describe, expect, it } from 'vitest';
import { parseLifecycleConfiguration } from './lifecycle-document.js';
import { childElement, childElements, parseXml } from './xml.js';

const doc = (...rules: string[]) => `<LifecycleConfiguration>${rules.join('')}</LifecycleConfiguration>`;
const rule = (inner: string, id = '<ID>r</ID>') => `<Rule>${id}<Status>Enabled</Status>${inner}</Rule>`;
const EXP = '<Expiration><Days>1</Days></Expiration>';

describe('parseLifecycleConfiguration', () => {
  it('keeps every action and filter form in canonical order', () => {
    const stored = parseLifecycleConfiguration(
      doc(
        rule(
          `<Transition><StorageClass>GLACIER</StorageClass><Days>0</Days></Transition>` +
            `<Filter><And><Prefix>p/</Prefix><Tag><Key>a</Key><Value>b</Value></Tag><ObjectSizeLessThan>9</ObjectSizeLessThan></And></Filter>` +
            `<NoncurrentVersionExpiration><NoncurrentDays>3</NoncurrentDays></NoncurrentVersionExpiration>`,
        ),
        rule(
          `<Prefix>legacy/</Prefix><Expiration><Date>2030-01-01T00:00:00.000Z</Date></Expiration>`,
          '<ID>d</ID>',
        ),
        rule(
          `<Filter></Filter><Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>` +
            `<AbortIncompleteMultipartUpload><DaysAfterInitiation>2</DaysAfterInitiation></AbortIncompleteMultipartUpload>`,
          '<ID>m</ID>',
        ),
      ),
    );
    const root = parseXml(stored);
    const rules = childElements(root, 'Rule');
    expect(rules.map((r) => r.children.map((c) => c.name))).toEqual([
      ['ID', 'Filter', 'Status', 'Transition', 'NoncurrentVersionExpiration'],
      ['ID', 'Prefix', 'Status', 'Expiration'],
      ['ID', 'Filter', 'Status', 'Expiration', 'AbortIncompleteMultipartUpload'],
    ]);
    const date = childElement(childElement(rules[1] ?? root, 'Expiration') ?? root, 'Date');
    expect(date?.text).toBe('2030-01-01T00:00:00Z');
    // Stored documents parse again to the same thing.
    expect(parseLifecycleConfiguration(stored)).toBe(stored);
  });

  it('names a rule without an ID', () => {
    const stored = parseLifecycleConfiguration(doc(rule(EXP, '')));
    expect(childElement(childElements(parseXml(stored), 'Rule')[0] ?? parseXml(stored), 'ID')?.text).toMatch(
      /^.{16}$/,
    );
  });

  it.each([
    ['no rules', doc(), 'MalformedXML'],
    [
      'a bad status',
      doc('<Rule><ID>r</ID><Status>enabled</Status><Expiration><Days>1</Days></Expiration></Rule>'),
      'MalformedXML',
    ],
    ['a long ID', doc(rule(EXP, `<ID>${'a'.repeat(256)}</ID>`)), 'InvalidArgument'],
    ['duplicate IDs', doc(rule(EXP), rule(EXP)), 'InvalidArgument'],
    ['no action', doc(rule('<Filter/>')), 'InvalidRequest'],
    ['Days 0', doc(rule('<Expiration><Days>0</Days></Expiration>')), 'InvalidArgument'],
    [
      'Days and Date',
      doc(rule('<Expiration><Days>1</Days><Date>2030-01-01T00:00:00Z</Date></Expiration>')),
      'MalformedXML',
    ],
    [
      'a date not at midnight',
      doc(rule('<Expiration><Date>2030-01-01T10:00:00Z</Date></Expiration>')),
      'InvalidArgument',
    ],
    ['a compact date', doc(rule('<Expiration><Date>20300101</Date></Expiration>')), 'InvalidArgument'],
    [
      'Prefix and Filter',
      doc(rule(`<Prefix>a</Prefix><Filter><Prefix>b</Prefix></Filter>${EXP}`)),
      'MalformedXML',
    ],
    [
      'two filter parts',
      doc(rule(`<Filter><Prefix>a</Prefix><ObjectSizeLessThan>1</ObjectSizeLessThan></Filter>${EXP}`)),
      'MalformedXML',
    ],
    [
      'a tag filter with ExpiredObjectDeleteMarker',
      doc(
        rule(
          '<Filter><Tag><Key>a</Key><Value>b</Value></Tag></Filter><Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>',
        ),
      ),
      'InvalidArgument',
    ],
    ['a transition without class', doc(rule('<Transition><Days>1</Days></Transition>')), 'MalformedXML'],
    [
      'a lower-case class',
      doc(rule('<Transition><Days>1</Days><StorageClass>glacier</StorageClass></Transition>')),
      'InvalidStorageClass',
    ],
    [
      '1001 rules',
      doc(...Array.from({ length: 1001 }, (_, i) => rule(EXP, `<ID>${i}</ID>`))),
      'MalformedXML',
    ],
  ])('rejects %s', (_name, xml, code) => {
    expect(() => parseLifecycleConfiguration(xml)).toThrow(expect.objectContaining({ code }));
  });
});
