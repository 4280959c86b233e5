import { describe, expect, it } from 'vitest';
import { StorageError } from '../storage/index.js';
import { objectReadError, parseVersionId, writeVersionHeader } from './versioning.js';

describe('parseVersionId', () => {
  it('passes absent, null and storage-shaped ids', () => {
    expect(parseVersionId(null)).toBeUndefined();
    expect(parseVersionId('null')).toBe('null');
    expect(parseVersionId('3HL4kqtJlcpXroDTDmJ.+rSDF_-=~')).toBe('3HL4kqtJlcpXroDTDmJ.+rSDF_-=~');
  });

  it.each(['', 'a b', 'a/b', 'é', 'x'.repeat(1025)])('rejects %j with InvalidArgument', (id) => {
    expect(() => parseVersionId(id)).toThrow(expect.objectContaining({ code: 'InvalidArgument' }));
  });
});

describe('objectReadError', () => {
  const target = { bucket: 'b', key: 'k' };

  it('maps a latest delete marker to NoSuchKey with the marker (headers attached)', () => {
    const err = objectReadError(
      new StorageError('NoSuchKey', 'x', { deleteMarkerVersionId: 'm1' }),
      target,
      'GET',
    );
    expect(err).toMatchObject({ code: 'NoSuchKey', status: 404 });
  });

  it('maps a delete marker read by id to 405 MethodNotAllowed', () => {
    const err = objectReadError(
      new StorageError('VersionIsDeleteMarker', 'x', { deleteMarkerVersionId: 'm1' }),
      target,
      'GET',
    );
    expect(err).toMatchObject({
      code: 'MethodNotAllowed',
      status: 405,
      extra: { ResourceType: 'DeleteMarker' },
    });
  });

  it('passes other errors through the storage mapping', () => {
    expect(objectReadError(new StorageError('NoSuchVersion'), target, 'GET')).toMatchObject({
      code: 'NoSuchVersion',
    });
    const bug = new Error('bug');
    expect(objectReadError(bug, target, 'GET')).toBe(bug);
  });
});

describe('writeVersionHeader', () => {
  it('sends real ids only', () => {
    const info = { versionId: 'null' } as Parameters<typeof writeVersionHeader>[0];
    expect(writeVersionHeader(info)).toEqual({});
    expect(writeVersionHeader({ ...info, versionId: 'v1' })).toEqual({ 'x-amz-version-id': 'v1' });
  });
});
