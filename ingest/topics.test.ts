import { describe, expect, it } from 'vitest';
import { filterMayMatchUpTopic, parseDeviceTopic, upTopic } from './topics.js';

describe('filterMayMatchUpTopic', () => {
  it.each([
    '#',
    '+/#',
    'emissions/#',
    'emissions/+/up',
    'emissions/+/+',
    'emissions/+/#',
    'emissions/010000A8900016F000169DC0/up',
    'emissions/010000A8900016F000169DC0/#',
    'emissions/+/up/#',
    '+/+/up',
    '+/+/+',
    '$share/dashboards/emissions/+/up',
  ])('%s can match an up topic', (filter) => {
    expect(filterMayMatchUpTopic(filter)).toBe(true);
  });

  it.each([
    'emissions/+/down',
    'emissions/010000A8900016F000169DC0/state',
    'emissions/+',
    'emissions',
    'emissions/+/up/extra',
    '+/+/+/+',
    'other/+/up',
    '$SYS/#',
    '$share/g/emissions/+/down',
  ])('%s cannot', (filter) => {
    expect(filterMayMatchUpTopic(filter)).toBe(false);
  });
});

describe('parseDeviceTopic', () => {
  it('reads the MN and leaf of a device topic and nothing else', () => {
    expect(parseDeviceTopic(upTopic('MN1'))).toEqual({ mn: 'MN1', leaf: 'up' });
    expect(parseDeviceTopic('emissions/MN1/state')).toEqual({ mn: 'MN1', leaf: 'state' });
    expect(parseDeviceTopic('emissions//up')).toBeUndefined();
    expect(parseDeviceTopic('emissions/MN1/up/x')).toBeUndefined();
    expect(parseDeviceTopic('other/MN1/up')).toBeUndefined();
    expect(parseDeviceTopic('emissions/MN1')).toBeUndefined();
    expect(parseDeviceTopic('emissions/MN1/')).toBeUndefined();
    expect(parseDeviceTopic('emissions/MN1/upx')).toBeUndefined();
    expect(parseDeviceTopic('emissionsx/MN1/up')).toBeUndefined();
  });
});
