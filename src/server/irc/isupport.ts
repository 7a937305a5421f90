import { IRC_LINE_BYTES, MAX_AWAY_CHARS, MAX_NAME_CHARS, MAX_REASON_CHARS, MAX_ROOM_NAME_CHARS, MAX_ROOMS_PER_USER, MAX_TOPIC_CHARS } from '../../wire/limits.js';

// RPL_ISUPPORT (005) tokens: what an IRC client may assume about this server. Each value comes from
// parley's own rules so the client refuses what the core would refuse before sending it. Token meanings:
// https://modern.ircdocs.horse/#rplisupport-parameters.

/** The room everyone enters first unless the server says otherwise (DEFAULT_ROOM). */
export { DEFAULT_ROOM as LOBBY } from '../../wire/limits.js';

/** Characters of a channel name, `#` included: the room's name rule plus the prefix. */
export const CHANNEL_CHARS = MAX_ROOM_NAME_CHARS + 1;

/** The tokens in the order they are sent. */
export function isupportTokens(network: string): string[] {
  return [
    'CASEMAPPING=ascii', // names are unique ignoring ASCII case (src/wire/names.ts foldName)
    `CHANNELLEN=${CHANNEL_CHARS}`,
    'CHANTYPES=#',
    `CHANLIMIT=#:${MAX_ROOMS_PER_USER}`,
    'CHANMODES=b,,,t', // bans (by name) and the topic lock; `o` is in PREFIX
    `NICKLEN=${MAX_NAME_CHARS}`,
    `LINELEN=${IRC_LINE_BYTES}`,
    `NETWORK=${network}`,
    'PREFIX=(o)@', // a room's operators
    'SAFELIST',
    'STATUSMSG=',
    `TOPICLEN=${MAX_TOPIC_CHARS}`,
    `KICKLEN=${MAX_REASON_CHARS}`,
    `AWAYLEN=${MAX_AWAY_CHARS}`,
    'TARGMAX=PRIVMSG:4,NOTICE:4,NAMES:1,WHOIS:1,JOIN:,PART:,KICK:',
    'UTF8ONLY',
  ];
}

/** ISUPPORT lines: at most 13 tokens each (modern.ircdocs.horse: "up to 13 parameters per line"). */
export function isupportLines(network: string): string[][] {
  const tokens = isupportTokens(network);
  const out: string[][] = [];
  for (let i = 0; i < tokens.length; i += 13) out.push(tokens.slice(i, i + 13));
  return out;
}
