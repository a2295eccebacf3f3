import { stripVTControlCharacters } from 'node:util';

// Any CSI sequence `ESC [ params letter`: node's stripVTControlCharacters leaves some (ESC[s, ESC[u, ESC[K-like
// finals outside its set, e.g. ESC[2a), and strips only part of them (the ESC and the params, not the letter).
// eslint-disable-next-line no-control-regex
const CSI = /\u001b\[[0-9;]*[A-Za-z]/g;

/**
 * The text of a command's output without its terminal control sequences (colours, cursor moves, OSC links): the
 * one ANSI stripper of the e2e tests.
 */
export const plain = (text: string): string => stripVTControlCharacters(text.replace(CSI, ''));
