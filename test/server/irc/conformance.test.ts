import { describe, expect, it } from 'vitest';
import { IRC_LINE_BYTES, MAX_ROOMS_PER_USER } from '../../../src/wire/limits.js';
import { IrcClient } from '../../helpers/irc-client.js';
import { ircGatewayFixture } from '../../helpers/irc-gateway.js';
import { PasswordHasher } from '../../../src/server/passwords.js';
import { Store } from '../../../src/server/store.js';
import { addUser, FAST_SCRYPT, type TestServer } from '../helpers.js';

// What IRC clients and irctest (the IRC conformance suite) expect of an IRC server, over real sockets:
// each case here was a failing irctest test, reduced to what a client sees.

const gateway = ircGatewayFixture();
const { open, parleyV2 } = gateway;
let t: TestServer;

async function start(irc: { defaultRoom?: boolean } = {}) {
  t = await gateway.start({ irc: { port: 0, ratePerSecond: 0, ...irc } });
}

/** An IRC client registered as `nick` (its user name `user`), once the welcome burst has arrived. */
async function irc(nick: string, user = nick) {
  const c = await IrcClient.connect(t.server.irc!.port);
  open.push(c);
  c.send(`NICK ${nick}`);
  c.send(`USER ${user} 0 * :${nick} the tester`);
  await c.next((m) => m.command === '001');
  await c.sync();
  c.lines.length = 0; // the welcome burst: tests read what comes after it
  return c;
}

describe('--irc-no-default-room', () => {
  it('leaves IRC clients out of the default room until they join it; parley clients are put in it as before', async () => {
    await start({ defaultRoom: false });
    const alice = await parleyV2('alice');
    const bob = await irc('bob');
    const carol = await irc('carol');
    // Neither IRC client was put anywhere, nor told of the other's arrival.
    expect(bob.raw.filter((l) => / JOIN /.test(l))).toEqual([]);
    expect(carol.raw.filter((l) => / JOIN /.test(l))).toEqual([]);
    alice.send({ type: 'list', room: '#lobby', ref: 'l' });
    expect(await alice.next((f) => f.type === 'users' && f.ref === 'l')).toMatchObject({ users: ['alice'] });
    // A parley client still lands in the default room.
    const dave = await parleyV2('dave');
    expect(await dave.next((f) => f.type === 'room')).toMatchObject({ room: '#lobby' });
    bob.send('JOIN #lobby');
    expect((await bob.next((m) => m.command === '353')).params.at(-1)!.split(' ')).toEqual(['alice', 'bob', 'dave']);
    alice.send({ type: 'say', room: '#lobby', text: 'hi bob' });
    expect((await bob.next((m) => m.command === 'PRIVMSG')).params).toEqual(['#lobby', 'hi bob']);
    await carol.sync();
    expect(carol.raw.filter((l) => / (JOIN|PRIVMSG) /.test(l))).toEqual([]);
  });

  it('is off by default: an IRC client is put in #lobby with everyone', async () => {
    await start();
    const bob = await irc('bob');
    expect(bob.raw.some((l) => l === ':bob!bob@parley JOIN #lobby')).toBe(true);
  });
});

describe('long lines', () => {
  it('relays a line an IRC client sent whole, as one line, even when the source makes it longer than 512 bytes', async () => {
    await start({ defaultRoom: false });
    const a = await irc('nick1');
    const b = await irc('nick2');
    // Full lines as a client may send them: with the colon, and without it (a text with no space needs none).
    const full = (colon: string) => IRC_LINE_BYTES - `PRIVMSG nick2 ${colon}\r\n`.length;
    for (const [colon, payload] of [':', ''].flatMap((c) => [[c, 'a'.repeat(full(c))], [c, 'a'.repeat(full(c) - 4) + '😃']])) {
      const from = b.raw.length;
      a.send(`PRIVMSG nick2 ${colon}${payload}`);
      await a.sync();
      await b.sync();
      // The trailing parameter has no space, so its colon is optional.
      const got = b.raw.slice(from).filter((l) => l.includes(' PRIVMSG ')).map((l) => l.replace(' nick2 :', ' nick2 '));
      expect(got).toEqual([`:nick1!nick1@parley PRIVMSG nick2 ${payload}`]);
    }
  });
});

describe('WHOWAS', () => {
  it('answers who had a nick, newest first, with the user and real name they registered with', async () => {
    await start({ defaultRoom: false });
    const a = await irc('nick1');
    for (const user of ['ident2', 'ident3']) {
      const c = await irc('nick2', user);
      c.send('QUIT :bye');
      await c.next((m) => m.command === 'ERROR');
    }
    a.send('WHOWAS nick2');
    const reply = async () => {
      const lines = [];
      for (;;) {
        const m = await a.next((m) => /^\d{3}$/.test(m.command));
        lines.push([m.command, ...m.params]);
        if (m.command === '369') return lines;
      }
    };
    expect(await reply()).toEqual([
      ['314', 'nick1', 'nick2', 'ident3', 'parley', '*', 'nick2 the tester'],
      ['312', 'nick1', 'nick2', 'parley', 'parley'],
      ['314', 'nick1', 'nick2', 'ident2', 'parley', '*', 'nick2 the tester'],
      ['312', 'nick1', 'nick2', 'parley', 'parley'],
      ['369', 'nick1', 'nick2', 'End of WHOWAS'],
    ]);
    a.send('WHOWAS nick2 1');
    expect((await reply()).map((l) => l[0])).toEqual(['314', '312', '369']);
    a.send('WHOWAS nick2 -1');
    expect((await reply()).map((l) => l[0])).toEqual(['314', '312', '314', '312', '369']);
    a.send('WHOWAS nobody');
    expect(await reply()).toEqual([
      ['406', 'nick1', 'nobody', 'There was no such nickname'],
      ['369', 'nick1', 'nobody', 'End of WHOWAS'],
    ]);
    a.send('WHOWAS');
    expect((await a.next((m) => /^\d{3}$/.test(m.command))).command).toBe('461');
  });

  it('remembers the nick a client renamed itself from', async () => {
    await start({ defaultRoom: false });
    const a = await irc('nick1');
    const b = await irc('old', 'olduser');
    b.send('NICK new');
    await b.next((m) => m.command === 'NICK');
    a.send('WHOWAS old');
    expect((await a.next((m) => m.command === '314')).params).toEqual(['nick1', 'old', 'olduser', 'parley', '*', 'old the tester']);
  });
});

describe('masks (WHO, WHOWAS)', () => {
  it('match `*` and `?` ignoring ASCII case, and answer at once for a mask of many `*` that matches nothing', async () => {
    await start({ defaultRoom: false });
    const long = 'abcdefghij'.repeat(3) + 'xy'; // MAX_NAME_CHARS (32) characters
    const q = await irc('q');
    const others: IrcClient[] = [];
    for (const nick of ['alice', 'alfred', 'j.doe', long]) others.push(await irc(nick));
    const who = async (mask: string) => {
      q.send(`WHO ${mask}`);
      const nicks: string[] = [];
      for (;;) {
        const m = await q.next((m) => m.command === '352' || m.command === '315');
        if (m.command === '315') return nicks.sort();
        nicks.push(m.params[5]!);
      }
    };
    // A mask of many `*` before a character no name has: as a regular expression (`.*` each) it would
    // backtrack through every way of sharing 32 characters among 40 stars, and this test would time out.
    const stars = '*'.repeat(40);
    const table: Array<[string, string[]]> = [
      ['*', ['alfred', 'alice', 'j.doe', long, 'q'].sort()],
      ['al*', ['alfred', 'alice']],
      ['AL?CE', ['alice']],
      ['*E', ['alice', 'j.doe']],
      ['a*f*d', ['alfred']],
      ['*i*e*', ['alice', long].sort()],
      ['?.doe', ['j.doe']],
      ['j*doe?', []],
      ['?', ['q']],
      ['?'.repeat(32), [long]],
      ['al', []],
      [`${stars}!`, []],
      [`${stars}Y`, [long]],
      [`${stars}a${stars}`, ['alfred', 'alice', long].sort()],
    ];
    for (const [mask, expected] of table) expect([mask, await who(mask)]).toEqual([mask, expected]);
    // WHOWAS takes the same masks, over who has left.
    const gone = others.at(-1)!;
    gone.send('QUIT');
    await gone.next((m) => m.command === 'ERROR');
    q.send(`WHOWAS ${stars}!`);
    expect((await q.next((m) => m.command === '406' || m.command === '314')).command).toBe('406');
    q.send(`WHOWAS ${stars}Y`);
    expect((await q.next((m) => m.command === '406' || m.command === '314')).params[1]).toBe(long);
  });
});

describe('NOTICE', () => {
  it('reaches IRC clients as NOTICE and parley clients as a message marked notice, in a room and whispered', async () => {
    await start({ defaultRoom: false });
    const alice = await parleyV2('alice');
    const bob = await irc('bob');
    const carol = await irc('carol');
    bob.send('JOIN #lobby');
    carol.send('JOIN #lobby');
    await bob.next((m) => m.command === '366');
    await carol.next((m) => m.command === '366');
    bob.send('NOTICE #lobby :build passed');
    expect(await carol.next((m) => m.params[1] === 'build passed')).toMatchObject({ source: 'bob!bob@parley', command: 'NOTICE', params: ['#lobby', 'build passed'] });
    expect(await alice.next((f) => f.type === 'message')).toMatchObject({ from: 'bob', text: 'build passed', notice: true });
    bob.send('NOTICE carol :ping me later');
    expect(await carol.next((m) => m.params[1] === 'ping me later')).toMatchObject({ command: 'NOTICE', params: ['carol', 'ping me later'] });
    alice.send({ type: 'whisper', to: 'carol', text: 'from a bot', notice: true });
    expect(await carol.next((m) => m.params[1] === 'from a bot')).toMatchObject({ source: 'alice!alice@parley', command: 'NOTICE' });
    // A PRIVMSG stays a PRIVMSG.
    bob.send('PRIVMSG #lobby :hello');
    expect((await carol.next((m) => m.params[1] === 'hello')).command).toBe('PRIVMSG');
  });

  it('is never answered with an error (RFC 2812: no automatic reply to a NOTICE)', async () => {
    await start({ defaultRoom: false });
    const bob = await irc('bob');
    bob.send('NOTICE #nonexistent :hello?');
    bob.send('NOTICE nobody :hello?');
    bob.send('PRIVMSG nobody :hello?');
    expect((await bob.next((m) => /^\d{3}$/.test(m.command))).command).toBe('401');
    await bob.sync();
    expect(bob.raw.filter((l) => / (403|404|401|442) /.test(l))).toHaveLength(1);
  });
});

describe('OPER, KILL, WALLOPS, INFO', () => {
  /** A server with the administrator account root (password "rootpassword") and the plain account carol. */
  async function withAdmin() {
    await start({ defaultRoom: false });
    await addUser(t.store, 'root', 'rootpassword');
    t.store.setAdmin('root', true);
    await addUser(t.store, 'carol', 'carolpassword');
  }

  it("OPER with an administrator account's password gives its rights (381, MODE +o); a wrong one or a plain account does not", async () => {
    await withAdmin();
    const baz = await irc('baz');
    baz.send('OPER root wrongpassword');
    expect((await baz.next((m) => /^\d{3}$/.test(m.command))).command).toBe('464');
    baz.send('OPER carol carolpassword');
    expect((await baz.next((m) => /^\d{3}$/.test(m.command))).command).toBe('491');
    baz.send('OPER root');
    expect((await baz.next((m) => /^\d{3}$/.test(m.command))).command).toBe('461');
    baz.send('MODE baz');
    expect((await baz.next((m) => m.command === '221')).params).toEqual(['baz', '+']);
    baz.send('OPER root rootpassword');
    expect((await baz.next((m) => /^\d{3}$/.test(m.command))).command).toBe('381');
    expect(await baz.next((m) => m.command === 'MODE')).toMatchObject({ source: 'baz!baz@parley', params: ['baz', '+o'] });
    baz.send('MODE baz');
    expect((await baz.next((m) => m.command === '221')).params).toEqual(['baz', '+o']);
    // Others see it in WHO (`*`) and WHOIS (313).
    const other = await irc('other');
    other.send('WHO baz');
    expect((await other.next((m) => m.command === '352')).params[6]).toBe('H*');
    other.send('WHOIS baz');
    expect((await other.next((m) => m.command === '313')).params[1]).toBe('baz');
  });

  it('the rights are real: an opered IRC client KILLs parley and IRC users; others get 481', async () => {
    await withAdmin();
    const alice = await parleyV2('alice');
    const ircop = await irc('ircop');
    const bob = await irc('bob');
    bob.send('KILL alice :no');
    expect((await bob.next((m) => /^\d{3}$/.test(m.command))).command).toBe('481');
    ircop.send('OPER root rootpassword');
    await ircop.next((m) => m.command === '381');
    ircop.send('KILL nobody :x');
    expect((await ircop.next((m) => /^\d{3}$/.test(m.command))).command).toBe('401');
    ircop.send('KILL alice :spamming');
    const error = await alice.next((f) => f.type === 'error');
    expect(error).toMatchObject({ code: 'killed', message: 'disconnected by ircop: spamming' });
    await alice.waitClosed();
    ircop.send('KILL bob :bye');
    expect((await bob.next((m) => m.command === 'ERROR')).params[0]).toContain('disconnected by ircop: bye');
  });

  it('is the core\'s: a parley client opers with the same request and may then close a room', async () => {
    await withAdmin();
    const dave = await parleyV2('dave');
    dave.send({ type: 'join', room: '#doomed' });
    await dave.next((f) => f.type === 'room' && f.room === '#doomed');
    dave.send({ type: 'close', room: '#doomed', ref: 'c1' });
    expect(await dave.next((f) => f.type === 'error' && f.ref === 'c1')).toMatchObject({ code: 'not_operator' });
    dave.send({ type: 'oper', name: 'root', password: 'nope', ref: 'o1' });
    expect(await dave.next((f) => f.type === 'error' && f.ref === 'o1')).toMatchObject({ code: 'login_failed' });
    dave.send({ type: 'oper', name: 'ROOT', password: 'rootpassword', ref: 'o2' });
    expect(await dave.next((f) => 'ref' in f && f.ref === 'o2')).toMatchObject({ type: 'oper', name: 'root' });
    dave.send({ type: 'close', room: '#doomed', ref: 'c2' });
    expect(await dave.next((f) => 'ref' in f && f.ref === 'c2')).toMatchObject({ type: 'closed', room: '#doomed' });
  });

  it('WALLOPS: only operators send them; they reach the IRC clients with +w', async () => {
    await withAdmin();
    const nick1 = await irc('nick1');
    const nick2 = await irc('nick2');
    const nick3 = await irc('nick3');
    nick1.send('WALLOPS :hi everyone');
    expect((await nick1.next((m) => /^\d{3}$/.test(m.command))).command).toBe('481');
    nick3.send('MODE nick3 +w');
    expect((await nick3.next((m) => m.command === 'MODE')).params).toEqual(['nick3', '+w']);
    nick1.send('OPER root rootpassword');
    await nick1.next((m) => m.command === '381');
    nick1.send('WALLOPS :hi everyone');
    expect(await nick3.next((m) => m.command === 'WALLOPS')).toMatchObject({ source: 'nick1!nick1@parley', params: ['hi everyone'] });
    await nick2.sync();
    expect(nick2.raw.some((l) => l.includes('WALLOPS'))).toBe(false);
  });

  it("loses +o when the core ends the administrator's rights (`user admin --off`, a changed password, the account removed): MODE -o and a NOTICE; WHO, WHOIS and WALLOPS follow", async () => {
    await withAdmin();
    // Another process's writes to the database, as the admin CLI makes them: the server notices at its tick.
    const cli = new Store(t.store.file);
    try {
      const ircop = await irc('ircop');
      const other = await irc('other');
      ircop.send('MODE ircop +w');
      await ircop.next((m) => m.command === 'MODE');
      const causes: Array<[string, () => Promise<void>]> = [
        ['root is no longer a server administrator', async () => void cli.setAdmin('root', false)],
        ['the password of root was changed', async () => cli.setHash('root', await new PasswordHasher(FAST_SCRYPT).hash('newpassword'))],
        ['the account root was removed', async () => void cli.removeUser('root')],
      ];
      let password = 'rootpassword';
      for (const [why, revoke] of causes) {
        t.store.setAdmin('root', true);
        ircop.send(`OPER root ${password}`);
        await ircop.next((m) => m.command === 'MODE' && m.params[1] === '+o');
        other.send('WHO ircop');
        expect((await other.next((m) => m.command === '352')).params[6]).toBe('H*');
        await revoke();
        if (why.startsWith('the password')) password = 'newpassword';
        // The client is told at once, with the reason, and sees its mode go.
        const notice = await ircop.next((m) => m.command === 'NOTICE' && m.params[1]!.includes('no longer a server administrator'), 5000);
        expect(notice.params[1]).toContain(why);
        expect(await ircop.next((m) => m.command === 'MODE')).toMatchObject({ source: 'ircop!ircop@parley', params: ['ircop', '-o'] });
        ircop.send('MODE ircop');
        expect((await ircop.next((m) => m.command === '221')).params).toEqual(['ircop', '+w']);
        // Others see an ordinary user: no `*` in WHO, no 313 in WHOIS.
        other.send('WHO ircop');
        expect((await other.next((m) => m.command === '352')).params[6]).toBe('H');
        other.send('WHOIS ircop');
        await other.next((m) => m.command === '318');
        expect(other.lines.some((m) => m.command === '313')).toBe(false);
        ircop.send('WHOIS ircop');
        await ircop.next((m) => m.command === '318');
        expect(ircop.lines.some((m) => m.command === '313')).toBe(false);
        // And WALLOPS is refused, like any other non-operator's.
        ircop.lines.length = 0;
        ircop.send('WALLOPS :still here?');
        expect((await ircop.next((m) => /^\d{3}$/.test(m.command))).command).toBe('481');
        await ircop.sync();
        expect(ircop.raw.some((l) => / WALLOPS /.test(l))).toBe(false);
      }
    } finally {
      cli.close();
    }
  });

  it('an escape sequence, a C1 control or a bidi override in a user name, a real name or a WALLOPS never reaches another IRC client', async () => {
    await withAdmin();
    const evil = await IrcClient.connect(t.server.irc!.port);
    open.push(evil);
    evil.send('NICK evil');
    evil.send('USER u\x1b[2Jser\u202e 0 * :\x1b]0;pwned\x07Real \u202eName\x1b[31m\x9b1m');
    await evil.next((m) => m.command === '001');
    const watcher = await irc('watcher');
    watcher.send('MODE watcher +w');
    await watcher.next((m) => m.command === 'MODE');
    watcher.send('WHOIS evil');
    expect((await watcher.next((m) => m.command === '311')).params).toEqual(['watcher', 'evil', 'user', 'parley', '*', 'Real Name']);
    watcher.send('WHO evil');
    expect((await watcher.next((m) => m.command === '352')).params.slice(2)).toEqual(['user', 'parley', 'parley', 'evil', 'H', '0 Real Name']);
    evil.send('OPER root rootpassword');
    await evil.next((m) => m.command === '381');
    await evil.sync();
    evil.lines.length = 0;
    evil.send('WALLOPS :\x1b[2J\x1b]8;;http://evil\x07click\x1b]8;;\x07 \u202egnp.exe');
    expect((await watcher.next((m) => m.command === 'WALLOPS')).params).toEqual(['click gnp.exe']);
    // Nothing but controls: nothing to send.
    evil.send('WALLOPS :\x1b[2J\x07');
    expect((await evil.next((m) => /^\d{3}$/.test(m.command))).command).toBe('412');
    evil.send('QUIT');
    await evil.next((m) => m.command === 'ERROR');
    watcher.send('WHOWAS evil');
    expect((await watcher.next((m) => m.command === '314')).params).toEqual(['watcher', 'evil', 'user', 'parley', '*', 'Real Name']);
    expect(watcher.raw.some((l) => /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/.test(l))).toBe(false);
  });

  it('INFO answers 371 lines and 374', async () => {
    await start({ defaultRoom: false });
    const c = await irc('nick');
    c.send('INFO');
    expect((await c.next((m) => /^\d{3}$/.test(m.command))).command).toBe('371');
    await c.next((m) => m.command === '374');
  });
});

describe('LIST and NICK', () => {
  it('LIST #a,#b lists only those channels, and nothing (no error) for one that does not exist', async () => {
    await start({ defaultRoom: false });
    const c = await irc('bar');
    c.send('JOIN #one');
    c.send('JOIN #two');
    await c.next((m) => m.command === '366' && m.params[1] === '#two');
    c.lines.length = 0;
    const listed = async (line: string) => {
      c.send(line);
      const rooms: string[] = [];
      for (;;) {
        const m = await c.next((m) => /^\d{3}$/.test(m.command));
        if (m.command === '323') return rooms;
        if (m.command === '322') rooms.push(m.params[1]!);
        else expect(m.command).toBe('321');
      }
    };
    expect(await listed('LIST #nonexistent')).toEqual([]);
    expect(await listed('LIST #TWO')).toEqual(['#two']);
    expect((await listed('LIST')).sort()).toEqual(['#lobby', '#one', '#two']);
  });

  it('a NICK to the nick one has is silent, to oneself and to others', async () => {
    await start({ defaultRoom: false });
    const alice = await irc('alice');
    const bob = await irc('bob');
    alice.send('JOIN #test');
    bob.send('JOIN #test');
    await bob.next((m) => m.command === '366');
    alice.send('NICK Alice');
    expect((await bob.next((m) => m.command === 'NICK')).params).toEqual(['Alice']);
    await alice.next((m) => m.command === 'NICK');
    const seen = [alice.raw.length, bob.raw.length];
    alice.send('NICK Alice');
    await alice.sync();
    await bob.sync();
    expect(alice.raw.slice(seen[0]).filter((l) => !l.includes(' PONG '))).toEqual([]);
    expect(bob.raw.slice(seen[1]).filter((l) => !l.includes(' PONG '))).toEqual([]);
  });
});

describe('INVITE', () => {
  it('tells the invitee (INVITE) and the inviter (341), both ways between IRC and parley; others hear nothing', async () => {
    await start({ defaultRoom: false });
    const foo = await irc('foo');
    const bar = await irc('bar');
    const baz = await irc('baz');
    const alice = await parleyV2('alice');
    foo.send('JOIN #chan');
    baz.send('JOIN #chan');
    await baz.next((m) => m.command === '366');
    foo.send('INVITE bar #chan');
    expect((await foo.next((m) => /^\d{3}$/.test(m.command) && m.command !== '353' && m.command !== '366')).params).toEqual(['foo', 'bar', '#chan']);
    expect(await bar.next((m) => m.command === 'INVITE')).toMatchObject({ source: 'foo!foo@parley', params: ['bar', '#chan'] });
    bar.send('INVITE');
    expect((await bar.next((m) => m.command === '336')).params).toEqual(['bar', '#chan']);
    await bar.next((m) => m.command === '337');
    foo.send('INVITE alice #chan');
    expect(await alice.next((f) => f.type === 'invited')).toMatchObject({ room: '#chan', by: 'foo', name: 'alice' });
    alice.send({ type: 'join', room: '#chan' });
    await alice.next((f) => f.type === 'room');
    alice.send({ type: 'invite', room: '#chan', name: 'bar', ref: 'i1' });
    expect(await alice.next((f) => 'ref' in f && f.ref === 'i1')).toMatchObject({ type: 'invited', room: '#chan', by: 'alice', name: 'bar' });
    expect((await bar.next((m) => m.command === 'INVITE')).source).toBe('alice!alice@parley');
    await baz.sync();
    expect(baz.raw.some((l) => l.includes('INVITE'))).toBe(false);
  });

  it('remembers at most MAX_ROOMS_PER_USER invitations for INVITE to list, forgetting the oldest', async () => {
    await start({ defaultRoom: false });
    const foo = await irc('foo');
    const bar = await irc('bar');
    const rooms = Array.from({ length: MAX_ROOMS_PER_USER + 5 }, (_, i) => `#r${i}`);
    for (const room of rooms) {
      foo.send(`JOIN ${room}`);
      foo.send(`INVITE bar ${room}`);
      foo.send(`PART ${room}`);
      await foo.next((m) => m.command === '341' && m.params[2] === room);
    }
    await bar.next((m) => m.command === 'INVITE' && m.params[1] === rooms.at(-1));
    bar.send('INVITE');
    const listed: string[] = [];
    for (;;) {
      const m = await bar.next((m) => m.command === '336' || m.command === '337');
      if (m.command === '337') break;
      listed.push(m.params[1]!);
    }
    expect(listed).toEqual(rooms.slice(5));
  });

  it('refuses: no such nick (401), not in the channel (442), already in it (443), no such channel (403)', async () => {
    await start({ defaultRoom: false });
    const foo = await irc('foo');
    const bar = await irc('bar');
    const num = async () => (await foo.next((m) => /^\d{3}$/.test(m.command))).command;
    bar.send('JOIN #other');
    await bar.next((m) => m.command === '366');
    foo.send('JOIN #chan');
    await foo.next((m) => m.command === '366');
    foo.lines.length = 0;
    foo.send('INVITE nobody #chan');
    expect(await num()).toBe('401');
    foo.send('INVITE bar #other');
    expect(await num()).toBe('442');
    foo.send('INVITE bar #nowhere');
    expect(await num()).toBe('403');
    bar.send('JOIN #chan');
    await foo.next((m) => m.command === 'JOIN');
    foo.send('INVITE bar #chan');
    expect(await num()).toBe('443');
  });
});

describe('away, shared room or not', () => {
  it('WHOIS and USERHOST of someone away who shares no channel show it (301, -), with the message', async () => {
    await start({ defaultRoom: false });
    const bar = await irc('bar');
    const alice = await parleyV2('alice');
    alice.send({ type: 'away', message: 'out to lunch' });
    await alice.next((f) => f.type === 'away');
    bar.send('WHOIS alice');
    expect((await bar.next((m) => m.command === '301')).params).toEqual(['bar', 'alice', 'out to lunch']);
    bar.send('USERHOST alice');
    expect((await bar.next((m) => m.command === '302')).params[1]).toBe('alice=-alice@parley');
    alice.send({ type: 'back' });
    await alice.next((f) => f.type === 'away');
    bar.send('USERHOST alice');
    expect((await bar.next((m) => m.command === '302')).params[1]).toBe('alice=+alice@parley');
  });

  it('someone away who joins is followed by their AWAY (away-notify), and parley clients get joined with away', async () => {
    await start({ defaultRoom: false });
    const bar = await IrcClient.connect(t.server.irc!.port);
    open.push(bar);
    bar.send('CAP REQ :away-notify');
    bar.send('NICK bar');
    bar.send('USER bar 0 * :bar');
    bar.send('CAP END');
    await bar.next((m) => m.command === '001');
    bar.send('JOIN #chan');
    await bar.next((m) => m.command === '366');
    const dave = await parleyV2('dave');
    dave.send({ type: 'join', room: '#chan' });
    await dave.next((f) => f.type === 'room');
    const alice = await irc('alice');
    alice.send('AWAY :gone fishing');
    await alice.next((m) => m.command === '306');
    alice.send('JOIN #chan');
    expect((await bar.next((m) => m.command === 'JOIN' && m.source!.startsWith('alice!'))).params).toEqual(['#chan']);
    expect(await bar.next((m) => m.command === 'AWAY')).toMatchObject({ source: 'alice!alice@parley', params: ['gone fishing'] });
    expect(await dave.next((f) => f.type === 'joined' && f.name === 'alice')).toMatchObject({ away: 'gone fishing' });
  });
});
