/**
 * Words of a name that make it a credential's: `HF_TOKEN`, `DB_PASSWORD`, `NPM_AUTH`, `TS_AUTHKEY`; also when
 * spelled as two words (`API_KEY`, `SSH_PRIVATE_KEY`): a word joined with the next one is looked up too.
 */
const SECRET_WORDS = new Set([
  'TOKEN', 'AUTHTOKEN', 'PASSWORD', 'PASSWD', 'SECRET', 'SECRETS', 'CREDENTIAL', 'CREDENTIALS',
  'APIKEY', 'PRIVATEKEY', 'AUTH', 'AUTHKEY', 'AUTHORIZATION',
]);

export const REDACTED = '***';

/**
 * Whether a name (build arg, env variable) usually carries a credential: its values are never printed, stored or
 * written into a build key. By whole words, so that `TOKENIZERS_PARALLELISM` and `MAX_TOKENS` stay ordinary.
 */
export function isSecretName(name: string): boolean {
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase().split(/[^A-Z0-9]+/).filter(Boolean);
  return words.some((word, index) => SECRET_WORDS.has(word) || SECRET_WORDS.has(word + (words[index + 1] ?? '')));
}
