import type { TrustQuestion } from '../core/verify.js';

// The first-use question about a server's key, on the terminal (line mode, and the full-screen client
// before its screen is up), worded as ssh words it: the fingerprint, where to check it, and an answer
// that must be typed out. Anything but "yes" is no.

export interface TrustTerminal {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
}

/** The lines of the question, shared with the full-screen popup. */
export function trustQuestionLines(q: TrustQuestion): string[] {
  return [
    `parley has not talked to ${q.server} before.`,
    `Its key fingerprint is ${q.fingerprint}.`,
    'Compare it with the one its operator published (parley-server prints it at start).',
  ];
}

/** Ask on the terminal; resolves true only for "yes". Ctrl+D (end of input) is no. */
export function askTrustOnTerminal(term: TrustTerminal, q: TrustQuestion): Promise<boolean> {
  return new Promise((resolve) => {
    term.output.write(trustQuestionLines(q).join('\n') + '\nTrust it and remember it (yes/no)? ');
    let text = '';
    const finish = (answer: boolean) => {
      term.input.off('data', onData);
      term.input.off('end', onEnd);
      term.input.pause();
      resolve(answer);
    };
    const onData = (chunk: Buffer | string) => {
      text += chunk.toString();
      const nl = text.search(/[\r\n]/);
      if (nl >= 0) finish(/^\s*yes\s*$/i.test(text.slice(0, nl)));
    };
    const onEnd = () => finish(false);
    term.input.on('data', onData);
    term.input.on('end', onEnd);
    term.input.resume();
  });
}
