import { describe, expect, it } from 'vitest';
import { parseCommand } from './parse-command.js';

describe('parseCommand', () => {
  it.each([
    [['--help'], { kind: 'help', topic: 'strata' }],
    [['-h'], { kind: 'help', topic: 'strata' }],
    [['help', 'server'], { kind: 'help', topic: 'server' }],
    [['server', '--help'], { kind: 'help', topic: 'server' }],
    [['admin'], { kind: 'help', topic: 'admin' }],
    [['admin', 'heal', '-h'], { kind: 'help', topic: 'admin' }],
    [['--version'], { kind: 'version' }],
    [['-v'], { kind: 'version' }],
  ])('parses %j', (argv, expected) => {
    expect(parseCommand(argv)).toEqual(expected);
  });

  it('parses server flags and keeps drive arguments unexpanded', () => {
    expect(
      parseCommand([
        'server',
        '--address',
        '127.0.0.1:0',
        '--parity=1',
        '--region',
        'eu-west-1',
        '--domain',
        'a.example,b.example',
        '--domain',
        'c.example',
        '--certs-dir',
        '/etc/strata/certs',
        './data/drive{1...4}',
        '/extra',
      ]),
    ).toEqual({
      kind: 'server',
      flags: {
        address: '127.0.0.1:0',
        parity: '1',
        region: 'eu-west-1',
        domains: ['a.example', 'b.example', 'c.example'],
        certsDir: '/etc/strata/certs',
        drives: ['./data/drive{1...4}', '/extra'],
      },
    });
  });

  it('leaves unset server flags undefined', () => {
    expect(parseCommand(['server', '/d'])).toEqual({
      kind: 'server',
      flags: { address: undefined, parity: undefined, region: undefined, domains: undefined, drives: ['/d'] },
    });
  });

  it('parses admin heal', () => {
    expect(parseCommand(['admin', 'heal', '--endpoint', 'http://h:1', '--bucket', 'b'])).toEqual({
      kind: 'admin-heal',
      flags: { endpoint: 'http://h:1', bucket: 'b' },
    });
  });

  it.each([
    [['admin', 'kms', 'key', 'create', 'tenant-a'], { action: 'key-create', name: 'tenant-a' }],
    [['admin', 'kms', 'key', 'list'], { action: 'key-list' }],
    [['admin', 'kms', 'key', 'status', 'tenant-a'], { action: 'key-status', name: 'tenant-a' }],
    [['admin', 'kms', 'key', 'rotate', 'tenant-a'], { action: 'key-rotate', name: 'tenant-a' }],
    [['admin', 'kms', 'rewrap'], { action: 'rewrap', bucket: undefined }],
    [['admin', 'kms', 'rewrap', '--bucket', 'photos'], { action: 'rewrap', bucket: 'photos' }],
  ])('parses admin kms %j', (argv, action) => {
    expect(parseCommand(argv)).toEqual({ kind: 'admin-kms', action, flags: { endpoint: undefined } });
  });

  it('parses --endpoint anywhere in an admin kms command', () => {
    expect(parseCommand(['admin', 'kms', 'key', 'rotate', '--endpoint=https://h:9000', 'tenant-b'])).toEqual({
      kind: 'admin-kms',
      action: { action: 'key-rotate', name: 'tenant-b' },
      flags: { endpoint: 'https://h:9000' },
    });
    expect(parseCommand(['admin', 'kms', 'rewrap', '--endpoint', 'http://h:1', '--bucket=b'])).toEqual({
      kind: 'admin-kms',
      action: { action: 'rewrap', bucket: 'b' },
      flags: { endpoint: 'http://h:1' },
    });
  });

  it.each([
    [['admin', 'kms', 'generate-secret'], undefined],
    [['admin', 'kms', 'generate-secret', 'prod-root'], 'prod-root'],
  ])('parses %j (no server involved)', (argv, name) => {
    expect(parseCommand(argv)).toEqual({ kind: 'admin-kms-generate-secret', name });
  });

  it.each([
    [['admin', 'kms']],
    [['admin', 'kms', '--help']],
    [['admin', 'kms', 'key']],
    [['admin', 'kms', 'key', 'create', '--help']],
    [['admin', 'kms', 'rewrap', '-h']],
    [['admin', 'kms', 'generate-secret', '--help']],
  ])('%j shows the admin help', (argv) => {
    expect(parseCommand(argv)).toEqual({ kind: 'help', topic: 'admin' });
  });

  it.each([
    [[], /missing command/],
    [['serve'], /unknown command "serve"/],
    [['server', '--bogus', '/d'], /Unknown option '--bogus' \(see "strata server --help"\)/],
    [['server', '/d', '--address'], /argument missing/],
    [['admin', 'frobnicate'], /unknown admin command "frobnicate"/],
    [['admin', 'heal', 'mybucket'], /use --bucket/],
    [['admin', 'heal', '--force'], /Unknown option '--force' \(see "strata admin --help"\)/],
    [['admin', 'kms', 'keys'], /unknown command "strata admin kms keys"/],
    [['admin', 'kms', 'key', 'delete', 'a'], /use create, list, status or rotate/],
    [['admin', 'kms', 'key', 'create'], /needs a key name/],
    [['admin', 'kms', 'key', 'status', 'a', 'b'], /unexpected argument "b"/],
    [['admin', 'kms', 'key', 'list', 'a'], /unexpected argument "a"/],
    [['admin', 'kms', 'key', 'create', 'a', '--bucket', 'b'], /Unknown option '--bucket'/],
    [['admin', 'kms', 'rewrap', 'photos'], /use --bucket/],
    [['admin', 'kms', 'rewrap', '--bucket', ' '], /--bucket needs a bucket name/],
    [['admin', 'kms', 'generate-secret', 'a', 'b'], /unexpected argument "b"/],
  ])('rejects %j with a UsageError', (argv, message) => {
    expect(() => parseCommand(argv)).toThrow(message);
    expect(() => parseCommand(argv)).toThrow(expect.objectContaining({ code: 'UsageError', exitCode: 2 }));
  });
});
