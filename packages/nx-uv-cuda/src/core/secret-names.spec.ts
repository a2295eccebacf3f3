import { describe, expect, it } from 'vitest';
import { isSecretName } from './secret-names';

describe('isSecretName', () => {
  it.each(['HF_TOKEN', 'hf_token', 'DB_PASSWORD', 'PASSWD', 'AWS_SECRET_ACCESS_KEY', 'GIT_CREDENTIALS', 'API_KEY', 'apikey', 'OPENAI_API-KEY', 'SSH_PRIVATE_KEY', 'NPM_AUTH', 'AUTH', 'HTTP_AUTHORIZATION', 'DB_PASSWORD_FILE', 'AUTH_KEY', 'TS_AUTHKEY', 'AUTH_HEADER', 'GITHUB_TOKEN', 'hfToken', 'OPENAI_API_KEY', 'apiKey', 'sshPrivateKey'])(
    '%s looks like a credential',
    (name) => expect(isSecretName(name)).toBe(true),
  );

  it.each(['CUDA_VERSION', 'TORCH_BACKEND', 'MAX_JOBS', 'PUBLIC_KEY_ID', 'KEYBOARD', 'AUTHOR', 'TOKENIZERS_PARALLELISM', 'MAX_TOKENS', 'PASSTHROUGH', 'API_VERSION', 'PRIVATE_REGISTRY', 'KEY_API'])('%s does not', (name) =>
    expect(isSecretName(name)).toBe(false),
  );
});
