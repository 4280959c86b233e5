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
    [[], /missing command/],
    [['serve'], /unknown command "serve"/],
    [['server', '--bogus', '/d'], /Unknown option '--bogus' \(see "strata server --help"\)/],
    [['server', '/d', '--address'], /argument missing/],
    [['admin', 'frobnicate'], /unknown admin command "frobnicate"/],
    [['admin', 'heal', 'mybucket'], /use --bucket/],
    [['admin', 'heal', '--force'], /Unknown option '--force' \(see "strata admin --help"\)/],
  ])('rejects %j with a UsageError', (argv, message) => {
    expect(() => parseCommand(argv)).toThrow(message);
    expect(() => parseCommand(argv)).toThrow(expect.objectContaining({ code: 'UsageError', exitCode: 2 }));
  });
});
