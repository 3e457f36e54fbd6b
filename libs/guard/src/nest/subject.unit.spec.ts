import { subjectOfMessage, subjectOfRequest } from './subject';

describe('the subject of an HTTP request', () => {
  it('is the named route parameter', () => {
    expect(subjectOfRequest({ params: { subjectId: 'subj-1', other: 'x' } }, 'subjectId')).toEqual({ subjectId: 'subj-1' });
    expect(subjectOfRequest({ params: { id: 'subj-2' } }, 'id')).toEqual({ subjectId: 'subj-2' });
  });

  it('is missing when the parameter is absent, empty or not a string, and the problem names the parameter only', () => {
    for (const params of [{}, { subjectId: '' }, { subjectId: 42 }, undefined, null]) {
      const lookup = subjectOfRequest({ params }, 'subjectId');
      expect(lookup).toEqual({ problem: 'no subject id: route parameter "subjectId" is missing, empty or not a string' });
    }
  });

  it('never reads inherited properties as parameters', () => {
    expect(subjectOfRequest({ params: {} }, 'constructor')).toHaveProperty('problem');
  });

  it('comes from a function of the whole request', () => {
    const request = { params: {}, headers: { 'x-subject': 'subj-3' } };
    expect(subjectOfRequest(request, (input) => (input as typeof request).headers['x-subject'])).toEqual({ subjectId: 'subj-3' });
    expect(subjectOfRequest(request, () => undefined)).toEqual({ problem: 'no subject id: the subjectFrom function is missing, empty or not a string' });
  });
});

describe('the subject of a message', () => {
  it('is the named payload field', () => {
    expect(subjectOfMessage({ subjectId: 'subj-1', issue: 7 }, 'subjectId')).toEqual({ subjectId: 'subj-1' });
    expect(subjectOfMessage({ customer: 'cust_00042' }, 'customer')).toEqual({ subjectId: 'cust_00042' });
  });

  it('is missing for payloads that are not objects or lack the field', () => {
    for (const data of [null, undefined, 'subj-1', 7, [], { subjectId: '' }, { subjectId: null }, { subject: 'subj-1' }]) {
      expect(subjectOfMessage(data, 'subjectId')).toEqual({ problem: 'no subject id: field "subjectId" is missing, empty or not a string' });
    }
  });

  it('says a failing function failed, without its message (which may quote the input)', () => {
    const lookup = subjectOfMessage({ email: 'ada@example.com' }, () => {
      throw new Error('no subject for ada@example.com');
    });
    expect(lookup).toEqual({ problem: 'no subject id: the subjectFrom function failed' });
    expect(JSON.stringify(lookup)).not.toContain('ada@');
  });

  it('passes the payload to a function', () => {
    expect(subjectOfMessage({ job: { subject: 'subj-9' } }, (data) => (data as { job: { subject: string } }).job.subject)).toEqual({ subjectId: 'subj-9' });
  });
});
