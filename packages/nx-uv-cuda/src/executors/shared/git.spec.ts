import { describe, expect, it } from 'vitest';
import { withoutCredentials } from './git';

describe('withoutCredentials', () => {
  it.each([
    ['https://user:ghp_token@github.com/acme/ml.git', 'https://github.com/acme/ml.git'],
    ['https://x-access-token:abc@github.com/acme/ml.git', 'https://github.com/acme/ml.git'],
    ['https://oauth2@gitlab.example.com:8443/acme/ml.git', 'https://gitlab.example.com:8443/acme/ml.git'],
    ['HTTPS://user:pw@host/x.git', 'HTTPS://host/x.git'],
    ['ssh://git@host.example.com/acme/ml.git', 'ssh://host.example.com/acme/ml.git'],
  ])('strips the user info of %s', (url, expected) => {
    expect(withoutCredentials(url)).toBe(expected);
  });

  it.each([
    'git@github.com:acme/ml.git',
    'https://github.com/acme/ml.git',
    'https://github.com/acme/ml@v1.git',
    '/srv/git/ml.git',
  ])('leaves %s as it is', (url) => {
    expect(withoutCredentials(url)).toBe(url);
  });
});
