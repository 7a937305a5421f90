import { describe, expect, it } from 'vitest';
import { Handshake, newLinkId, newSecret, parseDirectMessage, proofFor, type DirectMessage } from '../../src/wire/direct.js';

/** Run a handshake between two sides in memory; returns how each ended. */
function run(listener: Handshake, connector: Handshake): { listener: string; connector: string } {
  const result = { listener: 'pending', connector: 'pending' };
  let toListener: DirectMessage[] = connector.start();
  let toConnector: DirectMessage[] = [];
  for (let round = 0; round < 5 && (toListener.length > 0 || toConnector.length > 0); round++) {
    const nextToConnector: DirectMessage[] = [];
    for (const m of toListener) {
      const step = listener.receive(m);
      if (step.kind === 'fail') result.listener = `fail: ${step.why}`;
      else {
        nextToConnector.push(...step.messages);
        if (step.done) result.listener = 'done';
      }
    }
    toListener = [];
    for (const m of [...toConnector, ...nextToConnector]) {
      const step = connector.receive(m);
      if (step.kind === 'fail') result.connector = `fail: ${step.why}`;
      else {
        toListener.push(...step.messages);
        if (step.done) result.connector = 'done';
      }
    }
    toConnector = [];
  }
  return result;
}

describe('direct-link handshake', () => {
  const secret = newSecret();
  const link = newLinkId();

  it('completes when both sides hold the secret, and never sends the secret', () => {
    const l = new Handshake('listener', secret, link);
    const c = new Handshake('connector', secret, link);
    const sent: string[] = [];
    const spy = (h: Handshake) => {
      const receive = h.receive.bind(h);
      h.receive = (m) => {
        sent.push(JSON.stringify(m));
        return receive(m);
      };
    };
    spy(l);
    spy(c);
    expect(run(l, c)).toEqual({ listener: 'done', connector: 'done' });
    expect(sent.join('\n')).not.toContain(secret);
    expect(l.done && c.done).toBe(true);
  });

  it('the listener rejects a connector with a forged secret', () => {
    const r = run(new Handshake('listener', secret, link), new Handshake('connector', newSecret(), link));
    // The connector notices first: the listener's proof does not match its (wrong) secret.
    expect(r.connector).toMatch(/does not hold the secret/);
    expect(r.listener).not.toBe('done');
  });

  it('the listener rejects a proof made with another secret even when the connector skips checking', () => {
    const l = new Handshake('listener', secret, link);
    l.receive({ type: 'hello', version: 1, link, nonce: 'A'.repeat(43) });
    const forged = proofFor(newSecret(), 'connector', link, 'A'.repeat(43), 'B'.repeat(43));
    expect(l.receive({ type: 'proof', proof: forged })).toEqual({ kind: 'fail', why: 'the peer does not hold the secret' });
  });

  it('the connector rejects an impostor listener that does not hold the secret', () => {
    const r = run(new Handshake('listener', newSecret(), link), new Handshake('connector', secret, link));
    expect(r.connector).toMatch(/the listener does not hold the secret/);
    expect(r.listener).not.toBe('done');
  });

  it("a listener's own proof reflected back as the connector's is rejected", () => {
    const l = new Handshake('listener', secret, link);
    const nonce = 'C'.repeat(43);
    const step = l.receive({ type: 'hello', version: 1, link, nonce });
    if (step.kind !== 'send') throw new Error('expected a challenge');
    const challenge = step.messages[0] as Extract<DirectMessage, { type: 'challenge' }>;
    expect(l.receive({ type: 'proof', proof: challenge.proof })).toMatchObject({ kind: 'fail' });
  });

  it('rejects a hello for another link and anything out of order', () => {
    expect(new Handshake('listener', secret, link).receive({ type: 'hello', version: 1, link: newLinkId(), nonce: 'A'.repeat(43) })).toEqual({
      kind: 'fail',
      why: 'hello for another link',
    });
    expect(new Handshake('listener', secret, link).receive({ type: 'whisper', n: 1, text: 'hi' })).toMatchObject({ kind: 'fail' });
    expect(new Handshake('connector', secret, link).receive({ type: 'ready' })).toMatchObject({ kind: 'fail' });
  });

  it('a proof recorded on one attempt is worthless on the next (fresh nonces)', () => {
    const c1 = new Handshake('connector', secret, link);
    const l1 = new Handshake('listener', secret, link);
    const hello = c1.start()[0]!;
    const ch = l1.receive(hello);
    if (ch.kind !== 'send') throw new Error('expected a challenge');
    const proof = c1.receive(ch.messages[0]!);
    if (proof.kind !== 'send') throw new Error('expected a proof');
    // An eavesdropper replays the recorded hello and proof to a fresh listener.
    const l2 = new Handshake('listener', secret, link);
    l2.receive(hello);
    expect(l2.receive(proof.messages[0]!)).toMatchObject({ kind: 'fail' });
  });
});

describe('parseDirectMessage', () => {
  it('accepts the documented frames and refuses malformed ones with a reason', () => {
    expect(parseDirectMessage('{"type":"whisper","n":1,"text":"hi"}')).toEqual({ ok: true, message: { type: 'whisper', n: 1, text: 'hi' } });
    expect(parseDirectMessage('{"type":"whisper","n":0,"text":"hi"}')).toMatchObject({ ok: false, code: 'invalid_message' });
    expect(parseDirectMessage('{"type":"proof","proof":"short"}')).toMatchObject({ ok: false, code: 'invalid_message' });
    expect(parseDirectMessage('{"type":"say","text":"x"}')).toMatchObject({ ok: false, code: 'unknown_type' });
    expect(parseDirectMessage('nope')).toMatchObject({ ok: false, code: 'malformed_json' });
  });
});
