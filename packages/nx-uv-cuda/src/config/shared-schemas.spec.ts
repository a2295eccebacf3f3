import { describe, expect, it } from 'vitest';
import { formatZodIssues } from '../core/zod-message';
import { cacheSpecSchema } from './shared-schemas';

const messageOf = (spec: string) => {
  const result = cacheSpecSchema.safeParse(spec);
  return result.success ? undefined : formatZodIssues(result.error.issues, 'cacheTo[0]');
};

describe('cacheSpecSchema', () => {
  it.each(['type=registry,ref=127.0.0.1:5000/ml/svc:buildcache,mode=max', 'type=registry,ref=127.0.0.1:5000/ml/svc@sha256:abc', 'type=s3,region=eu-west-1,bucket=cache,name=svc', 'type=gha,scope=svc'])(
    'takes %s',
    (spec) => expect(messageOf(spec)).toBeUndefined(),
  );

  it.each([
    ['type=s3,bucket=b,secret_access_key=CANARY', 'secret_access_key= holds a credential'],
    ['type=s3,bucket=b,session_token=CANARY', 'session_token= holds a credential'],
    ['type=gha,token=CANARY', 'token= holds a credential'],
    ['type=gha,url=https://user:CANARY@cache.example.com/', 'a reference or URL with user:password@ would reach logs'],
    ['type=registry,ref=user:CANARY@127.0.0.1:5000/ml/x:cache', 'a reference or URL with user:password@ would reach logs'],
  ])('refuses %s without repeating the credential', (spec, expected) => {
    const message = messageOf(spec)!;
    expect(message).toContain(expected);
    expect(message).not.toContain('CANARY');
  });
});
