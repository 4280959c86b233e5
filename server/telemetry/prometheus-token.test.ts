import { createHmac } from 'node:crypto';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  issuePrometheusToken,
  PROMETHEUS_TOKEN_TTL_SECONDS,
  verifyPrometheusToken,
} from './prometheus-token.js';

const ROOT = { accessKeyId: 'rootuser', secretAccessKey: 'root-secret-0123456789' };
const OTHER = { accessKeyId: 'extrauser', secretAccessKey: 'extra-secret-0123456789' };
const secrets = new Map([ROOT, OTHER].map((c) => [c.accessKeyId, c.secretAccessKey]));
const verifier = {
  secretFor: (id: string) => secrets.get(id),
  isRoot: (id: string) => id === ROOT.accessKeyId,
};

const bearer = (token: string) => `Bearer ${token}`;
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('Prometheus bearer tokens', () => {
  it('a token issued with the root credentials verifies: HS512, iss prometheus, sub root, exp ~100 years', async () => {
    const nowMs = Date.UTC(2026, 0, 1);
    const token = await issuePrometheusToken(ROOT, { nowMs });
    const [header, payload] = token
      .split('.')
      .slice(0, 2)
      .map((p) => JSON.parse(Buffer.from(p, 'base64url').toString()));
    expect(header).toEqual({ alg: 'HS512', typ: 'JWT' });
    expect(payload).toMatchObject({
      sub: 'rootuser',
      iss: 'prometheus',
      exp: nowMs / 1000 + PROMETHEUS_TOKEN_TTL_SECONDS,
    });
    expect(await verifyPrometheusToken(bearer(token), verifier)).toBe('rootuser');
    expect(await verifyPrometheusToken(`bearer   ${token}`, verifier)).toBe('rootuser');
  });

  it('refuses a missing header, another scheme, garbage and a token signed with the wrong secret', async () => {
    expect(await verifyPrometheusToken(undefined, verifier)).toBeUndefined();
    expect(await verifyPrometheusToken('', verifier)).toBeUndefined();
    const token = await issuePrometheusToken(ROOT);
    expect(await verifyPrometheusToken(`Basic ${token}`, verifier)).toBeUndefined();
    expect(await verifyPrometheusToken('Bearer not.a.jwt', verifier)).toBeUndefined();
    const forged = await issuePrometheusToken({
      accessKeyId: ROOT.accessKeyId,
      secretAccessKey: 'wrong-secret-0000',
    });
    expect(await verifyPrometheusToken(bearer(forged), verifier)).toBeUndefined();
  });

  it('refuses an expired token, one without exp, and one from a user who is not root', async () => {
    const expired = await issuePrometheusToken(ROOT, { nowMs: Date.now() - 120_000, ttlSeconds: 60 });
    expect(await verifyPrometheusToken(bearer(expired), verifier)).toBeUndefined();
    const noExp = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS512' })
      .setSubject(ROOT.accessKeyId)
      .setIssuer('prometheus')
      .sign(new TextEncoder().encode(ROOT.secretAccessKey));
    expect(await verifyPrometheusToken(bearer(noExp), verifier)).toBeUndefined();
    const extra = await issuePrometheusToken(OTHER);
    expect(await verifyPrometheusToken(bearer(extra), verifier)).toBeUndefined();
  });

  it('refuses other algorithms (HS256, none) and another issuer, even with the right secret', async () => {
    const key = new TextEncoder().encode(ROOT.secretAccessKey);
    const far = Math.floor(Date.now() / 1000) + 3600;
    const hs256 = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(ROOT.accessKeyId)
      .setIssuer('prometheus')
      .setExpirationTime(far)
      .sign(key);
    expect(await verifyPrometheusToken(bearer(hs256), verifier)).toBeUndefined();
    const none = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ sub: ROOT.accessKeyId, iss: 'prometheus', exp: far })}.`;
    expect(await verifyPrometheusToken(bearer(none), verifier)).toBeUndefined();
    // A hand-made HS512 token with the alg header lying about the MAC is refused too.
    const body = `${b64url({ alg: 'HS384', typ: 'JWT' })}.${b64url({ sub: ROOT.accessKeyId, iss: 'prometheus', exp: far })}`;
    const mac = createHmac('sha512', ROOT.secretAccessKey).update(body).digest('base64url');
    expect(await verifyPrometheusToken(bearer(`${body}.${mac}`), verifier)).toBeUndefined();
    const otherIssuer = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS512' })
      .setSubject(ROOT.accessKeyId)
      .setIssuer('grafana')
      .setExpirationTime(far)
      .sign(key);
    expect(await verifyPrometheusToken(bearer(otherIssuer), verifier)).toBeUndefined();
  });
});
