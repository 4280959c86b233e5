import { describe, expect, it } from 'vitest';
import type { ObjectInfo } from '../storage/index.js';
import {
  checkRetentionChange,
  checkVersionDeletable,
  defaultRetainUntil,
  lockHeaders,
  parseLegalHold,
  parseObjectLockConfiguration,
  parseRetention,
  serializeObjectLockConfiguration,
  withLegalHold,
  withoutLock,
  withRetention,
} from './object-lock.js';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const DAY = 24 * 3600 * 1000;
const cfg = (rule: string, enabled = 'Enabled') =>
  `<ObjectLockConfiguration><ObjectLockEnabled>${enabled}</ObjectLockEnabled>${rule}</ObjectLockConfiguration>`;
const rule = (inner: string) => `<Rule><DefaultRetention>${inner}</DefaultRetention></Rule>`;

function version(metadata: Record<string, string>, isDeleteMarker = false): ObjectInfo {
  return {
    bucket: 'b',
    key: 'k',
    sizeBytes: 0,
    etag: '',
    lastModified: new Date(NOW),
    versionId: 'v',
    isDeleteMarker,
    isLatest: true,
    metadata,
    storageClass: 'STANDARD',
  };
}

describe('ObjectLockConfiguration', () => {
  it('parses and re-serializes a default retention', () => {
    const c = parseObjectLockConfiguration(cfg(rule('<Mode>GOVERNANCE</Mode><Days>3</Days>')));
    expect(c).toEqual({ defaultRetention: { mode: 'GOVERNANCE', days: 3 } });
    expect(parseObjectLockConfiguration(serializeObjectLockConfiguration(c))).toEqual(c);
    expect(parseObjectLockConfiguration(cfg(''))).toEqual({});
  });

  it.each([
    [cfg(rule('<Mode>GOVERNANCE</Mode><Days>1</Days><Years>1</Years>')), 'MalformedXML'],
    [cfg(rule('<Mode>GOVERNANCE</Mode>')), 'MalformedXML'],
    [cfg(rule('<Mode>governance</Mode><Days>1</Days>')), 'MalformedXML'],
    [cfg(rule('<Mode>GOVERNANCE</Mode><Days>1</Days>'), 'Disabled'), 'MalformedXML'],
    [cfg(rule('<Mode>GOVERNANCE</Mode><Days>0</Days>')), 'InvalidRetentionPeriod'],
    [cfg(rule('<Mode>COMPLIANCE</Mode><Years>-1</Years>')), 'InvalidRetentionPeriod'],
    [cfg(rule('<Mode>COMPLIANCE</Mode><Years>101</Years>')), 'InvalidRetentionPeriod'],
    [cfg(rule('<Mode>COMPLIANCE</Mode><Days>x</Days>')), 'MalformedXML'],
  ])('rejects %s with %s', (doc, code) => {
    expect(() => parseObjectLockConfiguration(doc)).toThrow(expect.objectContaining({ code }));
  });

  it('computes default retain-until dates by days and by calendar years', () => {
    expect(defaultRetainUntil({ mode: 'GOVERNANCE', days: 2 }, NOW).getTime()).toBe(NOW + 2 * DAY);
    expect(defaultRetainUntil({ mode: 'GOVERNANCE', years: 1 }, NOW).toISOString()).toBe(
      '2027-01-01T00:00:00.000Z',
    );
  });
});

describe('Retention and LegalHold documents', () => {
  it('parses a retention, an empty one (removal), and refuses past dates', () => {
    const r = parseRetention(
      '<Retention><Mode>COMPLIANCE</Mode><RetainUntilDate>2030-01-01T00:00:00Z</RetainUntilDate></Retention>',
      NOW,
    );
    expect(r).toEqual({ mode: 'COMPLIANCE', retainUntil: new Date('2030-01-01T00:00:00Z') });
    expect(parseRetention('<Retention/>', NOW)).toBeUndefined();
    expect(() =>
      parseRetention(
        '<Retention><Mode>GOVERNANCE</Mode><RetainUntilDate>2020-01-01T00:00:00Z</RetainUntilDate></Retention>',
        NOW,
      ),
    ).toThrow(expect.objectContaining({ code: 'InvalidArgument' }));
    expect(() =>
      parseRetention(
        '<Retention><Mode>abc</Mode><RetainUntilDate>2030-01-01T00:00:00Z</RetainUntilDate></Retention>',
        NOW,
      ),
    ).toThrow(expect.objectContaining({ code: 'MalformedXML' }));
    expect(() => parseRetention('<Retention><Mode>GOVERNANCE</Mode></Retention>', NOW)).toThrow(
      expect.objectContaining({ code: 'MalformedXML' }),
    );
  });

  it('parses ON/OFF legal holds only', () => {
    expect(parseLegalHold('<LegalHold><Status>ON</Status></LegalHold>')).toBe(true);
    expect(parseLegalHold('<LegalHold><Status>OFF</Status></LegalHold>')).toBe(false);
    expect(() => parseLegalHold('<LegalHold><Status>on</Status></LegalHold>')).toThrow(
      expect.objectContaining({ code: 'MalformedXML' }),
    );
  });
});

describe('enforcement', () => {
  const gov = withRetention({}, { mode: 'GOVERNANCE', retainUntil: new Date(NOW + DAY) });
  const comp = withRetention({}, { mode: 'COMPLIANCE', retainUntil: new Date(NOW + DAY) });
  const expired = withRetention({}, { mode: 'COMPLIANCE', retainUntil: new Date(NOW - 1) });
  const denied = expect.objectContaining({ code: 'AccessDenied' });

  it('deletes: governance needs bypass, compliance and legal hold never, expired and markers always', () => {
    expect(() => checkVersionDeletable(version(gov), false, NOW)).toThrow(denied);
    expect(() => checkVersionDeletable(version(gov), true, NOW)).not.toThrow();
    expect(() => checkVersionDeletable(version(comp), true, NOW)).toThrow(denied);
    expect(() => checkVersionDeletable(version(withLegalHold({}, true)), true, NOW)).toThrow(denied);
    expect(() => checkVersionDeletable(version(withLegalHold(gov, false)), true, NOW)).not.toThrow();
    expect(() => checkVersionDeletable(version(expired), false, NOW)).not.toThrow();
    expect(() => checkVersionDeletable(version(comp, true), false, NOW)).not.toThrow();
  });

  it('retention changes: only same-mode extensions without bypass; compliance is never weakened', () => {
    const later = { mode: 'GOVERNANCE' as const, retainUntil: new Date(NOW + 2 * DAY) };
    const sooner = { mode: 'GOVERNANCE' as const, retainUntil: new Date(NOW + DAY / 2) };
    const toCompliance = { mode: 'COMPLIANCE' as const, retainUntil: new Date(NOW + 2 * DAY) };
    expect(() => checkRetentionChange(gov, later, false, NOW)).not.toThrow();
    expect(() => checkRetentionChange(gov, sooner, false, NOW)).toThrow(denied);
    expect(() => checkRetentionChange(gov, toCompliance, false, NOW)).toThrow(denied);
    expect(() => checkRetentionChange(gov, undefined, false, NOW)).toThrow(denied);
    expect(() => checkRetentionChange(gov, sooner, true, NOW)).not.toThrow();
    expect(() => checkRetentionChange(gov, undefined, true, NOW)).not.toThrow();
    expect(() => checkRetentionChange(comp, toCompliance, false, NOW)).not.toThrow();
    expect(() => checkRetentionChange(comp, later, true, NOW)).toThrow(denied);
    expect(() => checkRetentionChange(comp, undefined, true, NOW)).toThrow(denied);
    expect(() => checkRetentionChange(expired, sooner, false, NOW)).not.toThrow();
  });

  it('copies drop lock metadata', () => {
    expect(withoutLock({ ...withLegalHold(comp, true), 'content-type': 't' })).toEqual({
      'content-type': 't',
    });
  });
});

describe('x-amz-object-lock-* headers', () => {
  it('needs mode and date together, in the future, and ON/OFF holds', () => {
    expect(lockHeaders({}, NOW)).toEqual({ present: false });
    expect(
      lockHeaders(
        {
          'x-amz-object-lock-mode': 'GOVERNANCE',
          'x-amz-object-lock-retain-until-date': '2030-01-01T00:00:00.000Z',
          'x-amz-object-lock-legal-hold': 'OFF',
        },
        NOW,
      ),
    ).toEqual({
      present: true,
      retention: { mode: 'GOVERNANCE', retainUntil: new Date('2030-01-01T00:00:00Z') },
      legalHold: false,
    });
    for (const headers of [
      { 'x-amz-object-lock-mode': 'GOVERNANCE' },
      { 'x-amz-object-lock-retain-until-date': '2030-01-01T00:00:00Z' },
      { 'x-amz-object-lock-mode': 'WORM', 'x-amz-object-lock-retain-until-date': '2030-01-01T00:00:00Z' },
      { 'x-amz-object-lock-mode': 'GOVERNANCE', 'x-amz-object-lock-retain-until-date': 'tomorrow' },
      {
        'x-amz-object-lock-mode': 'GOVERNANCE',
        'x-amz-object-lock-retain-until-date': '2020-01-01T00:00:00Z',
      },
      { 'x-amz-object-lock-legal-hold': 'on' },
    ]) {
      expect(() => lockHeaders(headers, NOW), JSON.stringify(headers)).toThrow(
        expect.objectContaining({ code: 'InvalidArgument' }),
      );
    }
  });
});
