import { describe, expect, it } from 'vitest';
import { checkLocation } from './create-bucket.js';

describe('checkLocation', () => {
  it.each<[string | undefined, string, string]>([
    [undefined, 'us-east-1', ''],
    ['eu-west-1', 'eu-west-1', 'eu-west-1'],
    ['EU', 'eu-west-1', 'eu-west-1'],
    ['ap-southeast-2', 'ap-southeast-2', 'ap-southeast-2'],
  ])('%s on a %s server stores %j', (constraint, region, stored) => {
    expect(checkLocation(constraint, region)).toBe(stored);
  });

  it.each<[string | undefined, string, string]>([
    [undefined, 'eu-west-1', 'IllegalLocationConstraintException'],
    ['eu-west-1', 'us-east-1', 'IllegalLocationConstraintException'],
    ['us-west-2', 'eu-west-1', 'IllegalLocationConstraintException'],
    ['us-east-1', 'us-east-1', 'InvalidLocationConstraint'],
    ['us-east-1', 'eu-west-1', 'InvalidLocationConstraint'],
    ['mars-1', 'us-east-1', 'InvalidLocationConstraint'],
    ['<x>', 'us-east-1', 'InvalidLocationConstraint'],
  ])('%s on a %s server is %s', (constraint, region, code) => {
    expect(() => checkLocation(constraint, region)).toThrow(expect.objectContaining({ code }));
  });
});
