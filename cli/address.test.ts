import { describe, expect, it } from 'vitest';
import { endpointUrl, parseAddress } from './address.js';

describe('parseAddress', () => {
  it.each([
    [':9000', { host: '0.0.0.0', port: 9000 }],
    ['127.0.0.1:0', { host: '127.0.0.1', port: 0 }],
    ['localhost:65535', { host: 'localhost', port: 65535 }],
    ['s3.example.com:443', { host: 's3.example.com', port: 443 }],
    ['[::1]:9000', { host: '::1', port: 9000 }],
    ['[::]:9000', { host: '::', port: 9000 }],
  ])('parses %s', (input, expected) => {
    expect(parseAddress(input)).toEqual(expected);
  });

  it.each([
    ['9000', /port is missing/],
    ['localhost', /port is missing/],
    ['localhost:', /port is missing/],
    [':http', /not a number/],
    [':65536', /out of range/],
    [':-1', /not a number/],
    ['::1:9000', /brackets/],
    ['[::1]9000', /\[ADDRESS\]:PORT/],
    ['[nope]:9000', /not an IPv6 address/],
    ['bad host:9000', /not a valid host name/],
    ['-x:9000', /not a valid host name/],
  ])('rejects %s', (input, message) => {
    expect(() => parseAddress(input, 'STRATA_ADDRESS')).toThrow(message);
    expect(() => parseAddress(input, 'STRATA_ADDRESS')).toThrow(/STRATA_ADDRESS/);
  });
});

describe('endpointUrl', () => {
  it('shows wildcard addresses as loopback', () => {
    expect(endpointUrl('0.0.0.0', 9000)).toBe('http://127.0.0.1:9000');
    expect(endpointUrl('::', 9000)).toBe('http://127.0.0.1:9000');
  });

  it('brackets IPv6 literals and keeps host names', () => {
    expect(endpointUrl('::1', 80)).toBe('http://[::1]:80');
    expect(endpointUrl('localhost', 1234)).toBe('http://localhost:1234');
  });
});
